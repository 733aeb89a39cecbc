"""OpenAPI → protobuf descriptors, observed through the CEL checker."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from pykro.cel import CelCompiler, CompileError, escape_field_name
from pykro.cel.types import MAX_DEPTH, build_types

OBJ: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "count": {"type": "integer"},
        "ratio": {"type": "number"},
        "on": {"type": "boolean"},
        "blob": {"type": "string", "format": "byte"},
        "when": {"type": "string", "format": "date-time"},
        "ttl": {"type": "string", "format": "duration"},
        "port": {"x-kubernetes-int-or-string": True},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "untyped": {},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "matrix": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
        "groups": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "nested": {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": {}}},
        "listOfMaps": {
            "type": "array",
            "items": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "items": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}}}},
        "byName": {
            "type": "object",
            "additionalProperties": {"type": "object", "properties": {"z": {"type": "integer"}}},
        },
        "my-field": {"type": "string"},
        "a.b/c": {"type": "string"},
        "x__y": {"type": "string"},
        "namespace": {"type": "string"},
        "in": {"type": "string"},
        "bad name!": {"type": "string"},
    },
}


@pytest.fixture(scope="module")
def compiler() -> CelCompiler:
    return CelCompiler({"o": OBJ, "objs": {"type": "array", "items": OBJ}, "d": {}})


@pytest.mark.parametrize(
    ("expr", "cel_type"),
    [
        ("o.name", "string"),
        ("o.count", "int"),
        ("o.ratio", "double"),
        ("o.on", "bool"),
        ("o.blob", "bytes"),
        ("o.when", "timestamp"),
        ("o.ttl", "duration"),
        ("o.port", "dyn"),
        ("o.free", "dyn"),
        ("o.untyped", "dyn"),
        ("o.labels", "map(string, string)"),
        ("o.tags", "list(string)"),
        ("o.matrix", "list(dyn)"),
        ("o.groups", "map(string, dyn)"),
        ("o.nested", "map(string, dyn)"),
        ("o.listOfMaps", "list(dyn)"),
        ("o.items[0].id", "int"),
        ("o.byName['k'].z", "int"),
        ("o.my__dash__field", "string"),
        ("o.a__dot__b__slash__c", "string"),
        ("o.x__underscores__y", "string"),
        ("o.namespace", "string"),
        ("o.__in__", "string"),
        ("objs", "list(kro.objs)"),
        ("objs[0].labels", "map(string, string)"),
        ("d.anything.goes", "dyn"),
        ("has(o.name)", "bool"),
        ("o.?name", "optional_type(string)"),
        ("o.?items.orValue([])", "list(kro.o.Items)"),
        ("o.free.anything", "dyn"),
    ],
)
def test_schema_types(compiler: CelCompiler, expr: str, cel_type: str) -> None:
    assert str(compiler.check(expr).output_type) == cel_type


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("o.nosuch", "undefined field 'nosuch'"),
        ("o.name.first", "does not support field selection"),
        ("o.count + 'x'", "no matching overload"),
    ],
)
def test_type_errors(compiler: CelCompiler, expr: str, message: str) -> None:
    with pytest.raises(CompileError) as err:
        compiler.check(expr)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("plain", "plain"),
        ("my-field", "my__dash__field"),
        ("a.b", "a__dot__b"),
        ("a/b", "a__slash__b"),
        ("a__b", "a__underscores__b"),
        ("true", "__true__"),
        ("namespace", "namespace"),
        ("1abc", None),
        ("", None),
        ("sp ace", None),
    ],
)
def test_escape_field_name(name: str, escaped: str | None) -> None:
    assert escape_field_name(name) == escaped


def test_kubernetes_reserved_set_is_available() -> None:
    from pykro.cel.types import KUBERNETES_RESERVED

    assert escape_field_name("namespace", reserved=KUBERNETES_RESERVED) == "__namespace__"


class Recursive(Mapping[str, Any]):
    """A lazily resolved schema that refers to itself, like JSONSchemaProps."""

    def __init__(self) -> None:
        self.created = 0

    def _props(self) -> dict[str, Any]:
        self.created += 1
        return {"child": Recursive(), "name": {"type": "string"}}

    def __getitem__(self, key: str) -> Any:
        return {"type": "object", "properties": self._props()}[key]

    def __iter__(self) -> Iterator[str]:
        return iter(("type", "properties"))

    def __len__(self) -> int:
        return 2


def test_recursive_schema_is_bounded_and_falls_back_to_dyn() -> None:
    compiler = CelCompiler({"r": Recursive()})
    deep = "r" + ".child" * (MAX_DEPTH + 5) + ".whatever"
    assert str(compiler.check("r.child.child.name").output_type) == "string"
    assert str(compiler.check(deep).output_type) == "dyn"


def test_self_referencing_mapping_falls_back_to_dyn() -> None:
    schema: dict[str, Any] = {"type": "object", "properties": {}}
    schema["properties"]["self"] = schema
    compiler = CelCompiler({"s": schema})
    assert str(compiler.check("s.self").output_type) == "dyn"


def test_descriptor_pools_are_cached_per_schema_set() -> None:
    first = build_types({"o": OBJ})
    again = build_types({"o": dict(OBJ)})
    other = build_types({"o": {"type": "object", "properties": {"x": {"type": "string"}}}})
    assert first is again
    assert first is not other


def test_schema_message_names_do_not_collide_with_fields() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": {"x": {"type": "string"}}},
            "Spec": {"type": "object", "properties": {"y": {"type": "integer"}}},
        },
    }
    compiler = CelCompiler({"v": schema})
    assert str(compiler.check("v.spec.x").output_type) == "string"
    assert str(compiler.check("v.Spec.y").output_type) == "int"
