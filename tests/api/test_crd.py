"""The RGD CRD manifest agrees with the parser: same patterns, same admission outcomes."""

from __future__ import annotations

import copy
import glob
import re
from typing import Any

import kubernetes_validate
import pytest

from pykro.api import constants as c
from pykro.api.crd import rgd_crd_manifest
from pykro.api.rgd import is_rgd_document, load_documents, parse_rgd
from pykro.errors import PykroError
from tests.api.test_rgd import BASE
from tests.paths import KRO_EXAMPLES

EXAMPLES = sorted(glob.glob(f"{KRO_EXAMPLES}/**/*.yaml", recursive=True))


def root_schema() -> dict[str, Any]:
    return rgd_crd_manifest()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]  # type: ignore[no-any-return]


def structural_errors(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """A small OpenAPI-v3 structural validator (types, patterns, enums, required, limits)."""
    errors: list[str] = []
    expected = schema.get("type")
    checks = {"object": dict, "array": list, "string": str, "integer": int, "boolean": bool}
    if expected in checks and (
        not isinstance(value, checks[expected]) or (expected == "integer" and isinstance(value, bool))
    ):
        return [f"{path}: expected {expected}"]
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: pattern")
        if len(value) > schema.get("maxLength", len(value)) or len(value) < schema.get("minLength", 0):
            errors.append(f"{path}: length")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: enum")
    if isinstance(value, list):
        if len(value) > schema.get("maxItems", len(value)):
            errors.append(f"{path}: maxItems")
        if schema.get("x-kubernetes-list-type") == "set" and len(set(map(str, value))) != len(value):
            errors.append(f"{path}: duplicate")
        for index, item in enumerate(value):
            errors += structural_errors(item, schema.get("items", {}), f"{path}[{index}]")
    if isinstance(value, dict):
        errors += [f"{path}.{key}: required" for key in schema.get("required", []) if key not in value]
        if not schema.get("minProperties", 0) <= len(value) <= schema.get("maxProperties", len(value)):
            errors.append(f"{path}: properties count")
        if schema.get("x-kubernetes-preserve-unknown-fields"):
            return errors
        for key, item in value.items():
            if key in schema.get("properties", {}):
                errors += structural_errors(item, schema["properties"][key], f"{path}.{key}")
            elif "additionalProperties" in schema:
                errors += structural_errors(item, schema["additionalProperties"], f"{path}.{key}")
    return errors


def test_manifest_identity() -> None:
    crd = rgd_crd_manifest()
    assert crd["metadata"]["name"] == "resourcegraphdefinitions.kro.run"
    spec = crd["spec"]
    assert spec["scope"] == "Cluster" and spec["names"]["shortNames"] == ["rgd"]
    version = spec["versions"][0]
    assert version["name"] == "v1alpha1" and version["subresources"] == {"status": {}}
    columns = {col["name"]: col for col in version["additionalPrinterColumns"]}
    assert list(columns) == ["APIVERSION", "KIND", "STATE", "READY", "TOPOLOGICALORDER", "AGE"]
    assert columns["TOPOLOGICALORDER"]["priority"] == 1
    assert columns["READY"]["jsonPath"] == '.status.conditions[?(@.type=="Ready")].status'


def test_manifest_is_a_valid_crd_object() -> None:
    kubernetes_validate.validate(rgd_crd_manifest(), "1.32", strict=True)


def test_manifest_shares_the_parser_constants() -> None:
    schema = root_schema()["properties"]["spec"]["properties"]
    section = schema["schema"]["properties"]
    assert section["kind"]["pattern"] == c.KIND_PATTERN
    assert section["apiVersion"]["pattern"] == c.SCHEMA_API_VERSION_PATTERN
    assert section["group"]["pattern"] == c.GROUP_PATTERN and section["group"]["default"] == c.DEFAULT_GROUP
    assert section["scope"]["enum"] == list(c.SCOPES) and section["scope"]["default"] == c.DEFAULT_SCOPE
    for key in ("shortNames", "categories"):
        assert section[key]["items"]["pattern"] == c.NAME_LIST_PATTERN
        assert section[key]["maxItems"] == c.NAME_LIST_MAX_ITEMS
    for key in ("kind", "apiVersion", "group", "scope"):
        assert section[key]["x-kubernetes-validations"] == [
            {"rule": "self == oldSelf", "message": f"{key} is immutable"}
        ]
    for key in ("spec", "types", "status"):
        assert section[key]["x-kubernetes-preserve-unknown-fields"] is True
    resource = schema["resources"]["items"]
    assert resource["properties"]["id"]["pattern"] == c.RESOURCE_ID_PATTERN
    assert resource["x-kubernetes-validations"][0]["message"] == c.ONE_OF_TEMPLATE_MESSAGE
    assert resource["properties"]["template"]["x-kubernetes-preserve-unknown-fields"] is True
    ext_meta = resource["properties"]["externalRef"]["properties"]["metadata"]
    assert ext_meta["x-kubernetes-validations"][0]["message"] == c.ONE_OF_NAME_MESSAGE


@pytest.mark.parametrize("path", EXAMPLES)
def test_examples_satisfy_both_the_crd_schema_and_the_parser(path: str) -> None:
    for doc in filter(is_rgd_document, load_documents(path)):
        assert structural_errors(doc, root_schema()) == []
        parse_rgd(doc)


@pytest.mark.parametrize(
    ("dotted", "value"),
    [
        ("spec.schema.kind", "lowercase"),
        ("spec.schema.kind", "K" * 64),
        ("spec.schema.apiVersion", "1.0"),
        ("spec.schema.scope", "Everywhere"),
        ("spec.schema.shortNames", ["UPPER"]),
        ("spec.schema.shortNames", ["dup", "dup"]),
        ("spec.schema.categories", ["c"] * 33),
        ("spec.resources.0.id", "Bad-Id"),
        ("spec.resources.2.forEach", [{}]),
    ],
)
def test_crd_schema_and_parser_reject_the_same_values(dotted: str, value: Any) -> None:
    doc = copy.deepcopy(BASE)
    *parents, last = dotted.split(".")
    target: Any = doc
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    target[last] = value
    assert structural_errors(doc, root_schema()) != []
    with pytest.raises(PykroError):
        parse_rgd(doc)
