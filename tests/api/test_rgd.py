"""parse_rgd: typed model and every §1.1 admission rule, with all problems collected."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from pykro.api.frozen import FrozenDict, thaw
from pykro.api.rgd import ForEachDimension, is_rgd_document, load_documents, parse_rgd
from pykro.errors import PykroError

BASE: dict[str, Any] = {
    "apiVersion": "kro.run/v1alpha1",
    "kind": "ResourceGraphDefinition",
    "metadata": {"name": "webapp", "uid": "u-1", "generation": 3, "labels": {"team": "a"}},
    "spec": {
        "schema": {
            "apiVersion": "v1alpha1",
            "kind": "WebApp",
            "spec": {"name": "string | required=true"},
            "status": {"url": "${service.metadata.name}"},
        },
        "resources": [
            {
                "id": "deployment",
                "readyWhen": ["${deployment.status.ready}"],
                "template": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}},
            },
            {
                "id": "config",
                "externalRef": {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "c", "namespace": "ns"},
                },
            },
            {
                "id": "pods",
                "forEach": [{"region": "${schema.spec.regions}"}],
                "includeWhen": ["${schema.spec.on}"],
                "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "${region}"}},
            },
        ],
    },
}


def rgd_with(**changes: Any) -> dict[str, Any]:
    """BASE with dotted-path replacements, e.g. `rgd_with(**{"spec.schema.kind": "x"})`."""
    doc = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        target: Any = doc
        *parents, last = dotted.split(".")
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        elif value is _DELETE:
            del target[last]
        else:
            target[last] = value
    return doc


_DELETE = object()


def problems_of(doc: Any) -> list[tuple[str, str]]:
    with pytest.raises(PykroError) as info:
        parse_rgd(doc, source="rgd.yaml")
    assert all(p.source == "rgd.yaml" for p in info.value.problems)
    return [(p.path, p.message) for p in info.value.problems]


def test_parses_typed_model() -> None:
    rgd = parse_rgd(BASE)
    assert (rgd.name, rgd.uid, rgd.generation, dict(rgd.labels)) == ("webapp", "u-1", 3, {"team": "a"})
    schema = rgd.spec.schema
    assert (schema.kind, schema.api_version, schema.group, schema.scope) == (
        "WebApp",
        "v1alpha1",
        "kro.run",
        "Namespaced",
    )
    assert schema.instance_api_version == "kro.run/v1alpha1"
    assert isinstance(schema.spec, FrozenDict) and thaw(schema.spec) == {"name": "string | required=true"}
    deployment, config, pods = rgd.spec.resources
    assert deployment.ready_when == ("${deployment.status.ready}",)
    assert thaw(deployment.template) == BASE["spec"]["resources"][0]["template"]
    assert config.external_ref is not None and config.template is None
    assert config.external_ref.to_object() == BASE["spec"]["resources"][1]["externalRef"]
    assert not config.external_ref.is_collection
    assert pods.for_each == (ForEachDimension("region", "${schema.spec.regions}"),)
    assert rgd.resource("pods") is pods and rgd.resource("nope") is None


def test_model_is_immutable_and_hashable() -> None:
    rgd = parse_rgd(BASE)
    assert hash(rgd) == hash(parse_rgd(copy.deepcopy(BASE)))
    with pytest.raises(TypeError):
        rgd.spec.resources[0].template["kind"] = "Pod"  # type: ignore[index]
    thawed = thaw(rgd.spec.resources[0].template)
    thawed["kind"] = "Pod"
    assert (
        rgd.spec.resources[0].template is not None and rgd.spec.resources[0].template["kind"] == "Deployment"
    )


def test_parses_yaml_text() -> None:
    text = (
        "apiVersion: kro.run/v1alpha1\nkind: ResourceGraphDefinition\nmetadata: {name: x}\n"
        "spec: {schema: {apiVersion: v1, kind: Thing, group: example.com, scope: Cluster}}\n"
    )
    rgd = parse_rgd(text)
    assert (
        rgd.spec.resources == () and rgd.spec.schema.group == "example.com" and not rgd.spec.schema.namespaced
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"spec.schema.kind": "webApp"},
            ("spec.schema.kind", "kind 'webApp' must match ^[A-Z][a-zA-Z0-9]{0,62}$"),
        ),
        ({"spec.schema.kind": "W" * 64}, ("spec.schema.kind", "must match")),
        ({"spec.schema.kind": _DELETE}, ("spec.schema.kind", "required field is missing")),
        ({"spec.schema.apiVersion": "v1gamma1"}, ("spec.schema.apiVersion", "must match")),
        ({"spec.schema.apiVersion": "kro.run/v1"}, ("spec.schema.apiVersion", "must match")),
        ({"spec.schema.group": "Not_A_Group"}, ("spec.schema.group", "must match")),
        (
            {"spec.schema.scope": "Global"},
            ("spec.schema.scope", "scope 'Global' must be one of Namespaced, Cluster"),
        ),
        ({"spec.schema.shortNames": ["ok", "Bad"]}, ("spec.schema.shortNames[1]", "must match")),
        ({"spec.schema.shortNames": ["a", "a"]}, ("spec.schema.shortNames[1]", "duplicate value 'a'")),
        (
            {"spec.schema.shortNames": [f"s{i}" for i in range(33)]},
            ("spec.schema.shortNames", "at most 32 items"),
        ),
        ({"spec.schema.categories": ["x" * 64]}, ("spec.schema.categories[0]", "at most 63 characters")),
        ({"spec.schema.categories": "all"}, ("spec.schema.categories", "must be a list of strings")),
        ({"spec.schema.spec": ["x"]}, ("spec.schema.spec", "must be an object, got array")),
        (
            {"spec.schema.metadata": {"labels": {"a": 1}}},
            ("spec.schema.metadata.labels.a", "must be a string"),
        ),
        (
            {"spec.schema.additionalPrinterColumns": [{"name": "X", "type": "str"}]},
            ("spec.schema.additionalPrinterColumns[0].jsonPath", "required field is missing"),
        ),
        ({"spec.resources.0.id": "Deployment"}, ("spec.resources[0].id", "must be lower camelCase")),
        ({"spec.resources.0.id": "my-deployment"}, ("spec.resources[0].id", "naming convention violation")),
        (
            {"spec.resources.0.id": "schema"},
            ("spec.resources[0].id", "naming convention violation: id schema is a reserved keyword in KRO"),
        ),
        ({"spec.resources.0.id": "while"}, ("spec.resources[0].id", "is a reserved keyword in KRO")),
        (
            {"spec.resources.1.id": "deployment"},
            ("spec.resources[1].id", "naming convention violation: found duplicate resource IDs deployment"),
        ),
        (
            {"spec.resources.0.template": _DELETE},
            ("spec.resources[0]", "exactly one of template or externalRef must be provided"),
        ),
        (
            {"spec.resources.1.template": {"apiVersion": "v1"}},
            ("spec.resources[1]", "exactly one of template or externalRef must be provided"),
        ),
        (
            {"spec.resources.1.externalRef.metadata": {"namespace": "x"}},
            ("spec.resources[1].externalRef.metadata", "exactly one of name or selector must be provided"),
        ),
        (
            {"spec.resources.1.externalRef.metadata": {"name": "a", "selector": {"matchLabels": {"a": "b"}}}},
            ("spec.resources[1].externalRef.metadata", "exactly one of name or selector must be provided"),
        ),
        (
            {"spec.resources.1.externalRef.kind": _DELETE},
            ("spec.resources[1].externalRef.kind", "required field is missing"),
        ),
        (
            {"spec.resources.0.readyWhen": "${x}"},
            ("spec.resources[0].readyWhen", "must be a list of strings"),
        ),
        (
            {"spec.resources.0.readyWhen": [True]},
            ("spec.resources[0].readyWhen[0]", "must be a string, got boolean"),
        ),
        (
            {"spec.resources.2.includeWhen": [{"a": 1}]},
            ("spec.resources[2].includeWhen[0]", "must be a string"),
        ),
        (
            {"spec.resources.2.forEach": [{"a": "${x}", "b": "${y}"}]},
            (
                "spec.resources[2].forEach[0]",
                "each forEach item must be a map with exactly one entry, got 2 entries",
            ),
        ),
        (
            {"spec.resources.2.forEach": ["${x}"]},
            ("spec.resources[2].forEach[0]", "exactly one entry, got string"),
        ),
        (
            {"spec.resources.2.forEach": [{"Region": "${x}"}]},
            (
                "spec.resources[2].forEach[0]",
                "naming convention violation: iterator 'Region' is not a valid KRO identifier",
            ),
        ),
        (
            {"spec.resources.2.forEach": [{"each": "${x}"}]},
            (
                "spec.resources[2].forEach[0]",
                "naming convention violation: iterator each is a reserved keyword in KRO",
            ),
        ),
        (
            {"spec.resources.2.forEach": [{"config": "${x}"}]},
            ("spec.resources[2].forEach[0]", "iterator config conflicts with a resource id"),
        ),
        (
            {"spec.resources.2.forEach": [{"r": "${x}"}, {"r": "${y}"}]},
            ("spec.resources[2].forEach[1]", "duplicate iterator name r"),
        ),
        ({"spec.resources.0.readywhen": []}, ("spec.resources[0].readywhen", 'unknown field "readywhen"')),
        ({"spec.resources": {"id": "x"}}, ("spec.resources", "must be a list, got object")),
        ({"apiVersion": "kro.run/v1"}, ("apiVersion", 'must be "kro.run/v1alpha1"')),
        ({"kind": "Deployment"}, ("kind", 'must be "ResourceGraphDefinition"')),
        ({"metadata": {}}, ("metadata.name", "required field is missing")),
        ({"spec": _DELETE}, ("spec", "required field is missing")),
        ({"spec.schema": "x"}, ("spec.schema", "must be an object, got string")),
    ],
)
def test_admission_rules(changes: dict[str, Any], expected: tuple[str, str]) -> None:
    found = problems_of(rgd_with(**changes))
    path, message = expected
    assert any(p == path and message in m for p, m in found), found


def test_external_ref_selector_is_collection() -> None:
    doc = rgd_with(
        **{
            "spec.resources.1.externalRef.metadata": {
                "selector": {"matchLabels": {"team": "${schema.spec.t}"}}
            }
        }
    )
    ref = parse_rgd(doc).spec.resources[1].external_ref
    assert ref is not None and ref.is_collection and ref.name is None
    assert ref.to_object()["metadata"] == {"selector": {"matchLabels": {"team": "${schema.spec.t}"}}}


def test_external_ref_with_for_each_is_rejected() -> None:
    doc = rgd_with(**{"spec.resources.1.forEach": [{"x": "${schema.spec.xs}"}]})
    assert ("spec.resources[1].forEach", "cannot use externalRef with forEach") in problems_of(doc)


def test_all_problems_are_collected() -> None:
    doc = rgd_with(
        **{
            "spec.schema.kind": "bad",
            "spec.schema.scope": "x",
            "spec.resources.0.id": "self",
            "spec.resources.2.template": _DELETE,
        }
    )
    paths = [p for p, _ in problems_of(doc)]
    assert paths == ["spec.schema.kind", "spec.schema.scope", "spec.resources[0].id", "spec.resources[2]"]


@pytest.mark.parametrize(
    ("doc", "message"), [(None, "document is empty"), ([1], "must be an object, got array")]
)
def test_wrong_top_level_shape(doc: Any, message: str) -> None:
    assert any(message in m for _, m in problems_of(doc))


def test_multi_document_text_is_rejected() -> None:
    with pytest.raises(PykroError, match="expected exactly one YAML document, found 2"):
        parse_rgd("a: 1\n---\nb: 2\n")


def test_load_documents_multi_doc_and_kind_selection(tmp_path: Path) -> None:
    path = tmp_path / "all.yaml"
    path.write_text(
        "---\nkind: ResourceGraphDefinition\nmetadata: {name: a}\n---\n\n---\nkind: WebApp\ndate: "
        "2024-01-01\n"
    )
    docs = load_documents(path)
    assert len(docs) == 2
    assert [is_rgd_document(d) for d in docs] == [True, False]
    assert docs[1]["date"] == "2024-01-01"  # timestamps stay strings, as through JSON


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("a: 1\nb: [1, 2\n", 3, "invalid YAML"),
        ("a:\n  - b\n c: d\n", 3, "invalid YAML"),
        ('key: "unterminated\n', 2, "invalid YAML"),
    ],
)
def test_load_documents_malformed_yaml(tmp_path: Path, text: str, line: int, reason: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(PykroError) as info:
        load_documents(path)
    (message,) = info.value.lines()
    assert message.startswith(f"{path}:{line}:") and reason in message
    assert "Traceback" not in message


def test_load_documents_non_mapping_and_missing(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(PykroError, match="document 1 is a list, expected a mapping"):
        load_documents(path)
    with pytest.raises(PykroError, match="cannot read file"):
        load_documents(tmp_path / "missing.yaml")


_BILLION_LAUGHS = "a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 5000 + "]" * 5000, "invalid YAML: nesting too deep"),
        ("spec: " + "{a: " * 150 + "1" + "}" * 150, "document nests deeper than 100 levels"),
        ("spec: &a {x: *a}", "document contains itself through a YAML alias"),
        (_BILLION_LAUGHS, "document expands to more than 1000000 nodes"),
    ],
)
def test_hostile_yaml_is_a_clean_error(text: str, reason: str) -> None:
    with pytest.raises(PykroError) as info:
        parse_rgd(text, source="x.yaml")
    assert reason in info.value.lines()[0]


def test_deep_decoded_document_is_a_clean_error() -> None:
    doc = rgd_with()
    leaf: dict[str, Any] = {}
    doc["spec"]["schema"]["spec"] = leaf
    for _ in range(150):
        leaf["a"] = {}
        leaf = leaf["a"]
    with pytest.raises(PykroError, match="deeper than 100 levels"):
        parse_rgd(doc)
