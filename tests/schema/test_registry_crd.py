"""CRDs in the schema registry: add, validate, resolve with full ObjectMeta, remove."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykro.api.frozen import freeze
from pykro.errors import PykroError
from pykro.schema.gvk import GVK
from pykro.schema.registry import SchemaRegistry, UnknownKindError
from tests.paths import KRO, KRO_E2E

ALLOW_UNKNOWN_CRD = KRO_E2E / "check-unknown-fields/allow-unknown-crd.yaml"


def widget_crd() -> dict[str, Any]:
    """A cluster-scoped CRD with two served versions, one unserved, subresources and categories."""

    def version(name: str, served: bool, replicas_type: str) -> dict[str, Any]:
        return {
            "name": name,
            "served": served,
            "storage": name == "v2",
            "subresources": {
                "status": {},
                "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"},
            },
            "schema": {
                "openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "metadata": {"type": "object"},
                        "spec": {
                            "type": "object",
                            "required": ["size"],
                            "properties": {
                                "size": {"type": "string", "enum": ["S", "M", "L"]},
                                "replicas": {"type": replicas_type},
                                "port": {"x-kubernetes-int-or-string": True},
                                "tags": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                    "x-kubernetes-list-type": "set",
                                },
                                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                            },
                        },
                        "status": {"type": "object", "properties": {"replicas": {"type": "integer"}}},
                    },
                }
            },
        }

    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Cluster",
            "names": {
                "kind": "Widget",
                "plural": "widgets",
                "singular": "widget",
                "listKind": "WidgetList",
                "shortNames": ["wg"],
                "categories": ["all", "toys"],
            },
            "versions": [
                version("v1", True, "integer"),
                version("v2", True, "number"),
                version("v0", False, "integer"),
            ],
        },
    }


def test_add_crd_from_kro_e2e_file() -> None:
    registry = SchemaRegistry()
    crd = yaml.safe_load(ALLOW_UNKNOWN_CRD.read_text())
    gvk = GVK("kro.run", "v1alpha1", "AllowUnknown")
    assert registry.add_crd(crd) == [gvk]
    kind = registry.resolve(gvk)
    assert (kind.info.plural, kind.info.singular, kind.info.short_names) == (
        "allowunknowns",
        "allowunknown",
        ("alu",),
    )
    assert kind.info.namespaced is True
    assert kind.info.list_kind == "AllowUnknownList"
    config = kind.schema["properties"]["spec"]["properties"]["config"]
    assert config["x-kubernetes-preserve-unknown-fields"] is True
    assert kind.schema["properties"]["apiVersion"]["type"] == "string"


def test_crd_kinds_get_full_object_meta() -> None:
    registry = SchemaRegistry()
    registry.add_crd(widget_crd())
    meta = registry.resolve(GVK("example.com", "v1", "Widget")).schema["properties"]["metadata"]
    fields = meta["properties"]
    assert {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
        "deletionGracePeriodSeconds",
    } <= set(fields)
    assert fields["generation"]["type"] == "integer"
    assert fields["creationTimestamp"]["format"] == "date-time"
    assert fields["ownerReferences"]["items"]["properties"]["uid"]["type"] == "string"


def test_every_served_version_with_its_own_schema_and_crd_facts() -> None:
    registry = SchemaRegistry()
    gvks = registry.add_crd(widget_crd())
    assert gvks == [GVK("example.com", "v1", "Widget"), GVK("example.com", "v2", "Widget")]
    assert registry.find(GVK("example.com", "v0", "Widget")) is None  # not served
    v1, v2 = (registry.resolve(gvk) for gvk in gvks)
    spec_v1, spec_v2 = (kind.schema["properties"]["spec"]["properties"] for kind in (v1, v2))
    assert spec_v1["replicas"]["type"] == "integer"
    assert spec_v2["replicas"]["type"] == "number"
    assert spec_v1["size"]["enum"] == ("S", "M", "L")
    assert spec_v1["port"]["x-kubernetes-int-or-string"] is True
    info = v2.info
    assert info.namespaced is False
    assert info.subresources == {"status", "scale"}
    assert (info.short_names, info.categories) == (("wg",), ("all", "toys"))
    assert "create" in info.verbs and "watch" in info.verbs
    assert info in registry.crd_kinds()


def test_add_crd_accepts_frozen_input_and_does_not_alias_it() -> None:
    registry = SchemaRegistry()
    crd = widget_crd()
    registry.add_crd(freeze(crd))
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"].clear()
    spec = registry.resolve(GVK("example.com", "v1", "Widget")).schema["properties"]["spec"]
    assert "size" in spec["properties"]


def test_readding_replaces_and_remove_forgets() -> None:
    registry = SchemaRegistry()
    registry.add_crd(widget_crd())
    only_v2 = widget_crd()
    only_v2["spec"]["versions"][0]["served"] = False
    assert registry.add_crd(only_v2) == [GVK("example.com", "v2", "Widget")]
    assert registry.find(GVK("example.com", "v1", "Widget")) is None
    assert registry.remove_crd("widgets.example.com") == [GVK("example.com", "v2", "Widget")]
    assert registry.remove_crd("widgets.example.com") == []
    with pytest.raises(UnknownKindError):
        registry.resolve(GVK("example.com", "v2", "Widget"))


def test_crd_shadows_builtin_kind_until_removed() -> None:
    registry = SchemaRegistry()
    crd = widget_crd()
    crd["metadata"]["name"] = "deployments.apps"
    crd["spec"].update(group="apps", names={"kind": "Deployment", "plural": "deployments"})
    registry.add_crd(crd)
    assert (
        "size" in registry.resolve(GVK("apps", "v1", "Deployment")).schema["properties"]["spec"]["properties"]
    )
    registry.remove_crd("deployments.apps")
    assert (
        "template"
        in registry.resolve(GVK("apps", "v1", "Deployment")).schema["properties"]["spec"]["properties"]
    )


def _broken(path: list[str | int], value: Any) -> dict[str, Any]:
    crd = widget_crd()
    node: Any = crd
    for key in path[:-1]:
        node = node[key]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return crd


SPEC_PROPS: list[str | int] = [
    "spec",
    "versions",
    0,
    "schema",
    "openAPIV3Schema",
    "properties",
    "spec",
    "properties",
]
WHERE = "spec.versions[0].schema.openAPIV3Schema.properties.spec.properties"


@pytest.mark.parametrize(
    ("crd", "path", "fragment"),
    [
        (_broken([*SPEC_PROPS, "size", "type"], None), f"{WHERE}.size.type", "missing type"),
        (_broken([*SPEC_PROPS, "tags", "items"], None), f"{WHERE}.tags.items", "needs items"),
        (
            _broken([*SPEC_PROPS, "labels", "properties"], {"a": {"type": "string"}}),
            f"{WHERE}.labels",
            "mutually exclusive",
        ),
        (_broken([*SPEC_PROPS, "size", "$ref"], "#/definitions/x"), f"{WHERE}.size.$ref", "not allowed"),
        (_broken([*SPEC_PROPS, "size", "type"], "str"), f"{WHERE}.size.type", "is not one of"),
        (_broken([*SPEC_PROPS, "port", "type"], "string"), f"{WHERE}.port.type", "must be empty"),
        (
            _broken([*SPEC_PROPS, "tags", "x-kubernetes-list-type"], "map"),
            f"{WHERE}.tags.x-kubernetes-list-map-keys",
            "required",
        ),
        (
            _broken(
                ["spec", "versions", 0, "schema", "openAPIV3Schema", "properties", "metadata", "properties"],
                {"labels": {"type": "object"}},
            ),
            "spec.versions[0].schema.openAPIV3Schema.properties.metadata",
            "only restrict name and generateName",
        ),
        (_broken(["spec", "versions", 1, "schema"], None), "spec.versions[1].schema", "required"),
        (_broken(["spec", "scope"], "Global"), "spec.scope", "Namespaced or Cluster"),
        (_broken(["metadata", "name"], "widgets"), "metadata.name", "widgets.example.com"),
        (_broken(["spec", "names", "plural"], None), "spec.names.plural", "required"),
        (_broken(["spec", "versions"], []), "spec.versions", "non-empty"),
        (_broken(["spec", "preserveUnknownFields"], True), "spec.preserveUnknownFields", "must be false"),
    ],
)
def test_invalid_crds_are_rejected_with_located_problems(
    crd: dict[str, Any], path: str, fragment: str
) -> None:
    registry = SchemaRegistry()
    with pytest.raises(PykroError) as err:
        registry.add_crd(crd)
    assert "widgets.example.com" in str(err.value) or path == "metadata.name"
    matching = [p for p in err.value.problems if p.path == path]
    assert matching, err.value.lines()
    assert fragment in matching[0].message
    assert registry.crd_kinds() == []


def test_only_v1_crds_are_accepted() -> None:
    crd = copy.deepcopy(widget_crd())
    crd["apiVersion"] = "apiextensions.k8s.io/v1beta1"
    with pytest.raises(PykroError, match="not an apiextensions.k8s.io/v1 CustomResourceDefinition"):
        SchemaRegistry().add_crd(crd)


def test_value_validations_inside_logic_need_no_types() -> None:
    crd = _broken([*SPEC_PROPS, "size", "anyOf"], [{"pattern": "^S"}, {"maxLength": 1}])
    assert SchemaRegistry().add_crd(crd)


KRO = KRO
E2E_CRDS = sorted(
    p for p in (KRO / "e2e").rglob("*.yaml") if "kind: CustomResourceDefinition" in p.read_text()
)
EXAMPLE_RGDS = sorted(
    p for p in (KRO / "examples").rglob("*.yaml") if "kind: ResourceGraphDefinition" in p.read_text()
)


@pytest.mark.parametrize("path", E2E_CRDS, ids=lambda p: p.parent.name)
def test_upstream_e2e_crds_are_accepted(path: Path) -> None:
    registry = SchemaRegistry()
    for doc in yaml.safe_load_all(path.read_text()):
        if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
            for gvk in registry.add_crd(doc):
                assert (
                    registry.resolve(gvk).schema["properties"]["metadata"]["properties"]["uid"]["type"]
                    == "string"
                )


@pytest.mark.parametrize("path", EXAMPLE_RGDS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_generated_instance_crds_of_example_rgds_are_accepted(path: Path) -> None:
    from pykro.api.rgd import is_rgd_document, load_documents, parse_rgd
    from pykro.schema.crd import rgd_instance_crd

    registry = SchemaRegistry()
    for doc in load_documents(path):
        if is_rgd_document(doc):
            rgd = parse_rgd(doc, source=str(path))
            (gvk,) = registry.add_crd(rgd_instance_crd(rgd))
            assert gvk.kind == rgd.spec.schema.kind
            kind = registry.resolve(gvk)
            assert kind.schema["properties"]["status"]["properties"]["state"]["type"] == "string"
            assert kind.info.namespaced is (rgd.spec.schema.scope == "Namespaced")


def test_the_rgd_crd_itself_is_accepted() -> None:
    from pykro.api.crd import rgd_crd_manifest

    registry = SchemaRegistry()
    (gvk,) = registry.add_crd(rgd_crd_manifest())
    assert registry.resolve(gvk).info.plural == "resourcegraphdefinitions"
