"""§2.7 ParseField / parseSpec / parseMapString vectors."""

from __future__ import annotations

import pytest

from pykro.schema.simpleschema import SimpleSchemaError, parse_field, to_openapi
from pykro.schema.simpleschema_types import FieldType, map_value_type

S = FieldType("atomic", "string")
INT = FieldType("atomic", "integer")


def slice_of(t: FieldType) -> FieldType:
    return FieldType("slice", element=t)


def map_of(t: FieldType) -> FieldType:
    return FieldType("map", element=t)


def custom(name: str) -> FieldType:
    return FieldType("custom", name)


@pytest.mark.parametrize(
    ("text", "expected", "n_markers"),
    [
        ("string", S, 0),
        ("integer", INT, 0),
        ("boolean", FieldType("atomic", "boolean"), 0),
        ("float", FieldType("atomic", "float"), 0),
        ("object", FieldType("object", "object"), 0),
        ("[]string", slice_of(S), 0),
        ("[]integer", slice_of(INT), 0),
        ("[][]string", slice_of(slice_of(S)), 0),
        ("[][][]integer", slice_of(slice_of(slice_of(INT))), 0),
        ("map[string]string", map_of(S), 0),
        ("map[string]integer", map_of(INT), 0),
        ("map[string]map[string]string", map_of(map_of(S)), 0),
        ("[]map[string]string", slice_of(map_of(S)), 0),
        ("map[string][]integer", map_of(slice_of(INT)), 0),
        ("Person", custom("Person"), 0),
        ("[]Person", slice_of(custom("Person")), 0),
        ("map[string]Person", map_of(custom("Person")), 0),
        ("string | required=true", S, 1),
        ("string | required=true default=foo", S, 2),
        ("  string   |   ", S, 0),
    ],
)
def test_parse_field(text: str, expected: FieldType, n_markers: int) -> None:
    field_type, markers = parse_field(text)
    assert field_type == expected
    assert len(markers) == n_markers


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[]", "empty slice element type"),
        ("map[integer]string", "map key must be string"),
        ("string | =invalid", "empty marker key"),
        ("[][]", "empty slice element type"),
        ("map[string][]", "empty slice element type"),
        ("", "empty type"),
        ("   ", "empty type"),
        ("| required=true", "empty type"),
        ("map[string] ", "map value type is required"),
        ("map[string]", "map value type is required"),
        ("map[stringPerson", "map key must be string"),
        ("[]" * 17 + "string", "type nesting too deep (max 16)"),
    ],
)
def test_parse_field_errors(text: str, reason: str) -> None:
    with pytest.raises(SimpleSchemaError, match=None) as info:
        parse_field(text)
    assert reason in str(info.value)


def test_nesting_depth_limit_is_inclusive() -> None:
    field_type, _ = parse_field("[]" * 16 + "string")
    assert str(field_type) == "[]" * 16 + "string"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("map[string]integer", "integer"),
        ("map[string][]string", "[]string"),
        ("map[string]map[string]int", "map[string]int"),
        ("string", ""),
    ],
)
def test_map_value_type(text: str, value: str) -> None:
    assert map_value_type(text) == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [("map[integer]string", "map key must be string"), ("map[string]", "map value type is required")],
)
def test_map_value_type_errors(text: str, reason: str) -> None:
    with pytest.raises(SimpleSchemaError, match=reason):
        map_value_type(text)


def test_parse_spec_struct_and_nested_struct() -> None:
    flat = to_openapi({"name": "string", "age": "integer"})
    assert flat["type"] == "object"
    assert set(flat["properties"]) == {"name", "age"}
    nested = to_openapi({"person": {"name": "string", "address": {"city": "string"}}})
    assert nested["properties"]["person"]["properties"]["address"]["properties"]["city"] == {"type": "string"}


@pytest.mark.parametrize(
    ("spec", "path", "reason"),
    [
        ({"name": 123}, "spec.schema.spec.name", "unexpected type: int"),
        ({"name": "string", "bad": 123}, "spec.schema.spec.bad", "unexpected type: int"),
        ({"outer": {"flag": True}}, "spec.schema.spec.outer.flag", "unexpected type: bool"),
        ({"list": ["a"]}, "spec.schema.spec.list", "unexpected type: []interface {}"),
    ],
)
def test_parse_spec_rejects_non_string_non_map(spec: dict[str, object], path: str, reason: str) -> None:
    with pytest.raises(SimpleSchemaError) as info:
        to_openapi(spec)
    assert [(p.path, p.message) for p in info.value.problems] == [(path, reason)]
