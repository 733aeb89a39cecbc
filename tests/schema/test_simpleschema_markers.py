"""§2.7 ParseMarkers and applyMarkers vectors (§2.4, §2.5)."""

from __future__ import annotations

from typing import Any

import pytest

from pykro.schema.simpleschema import SimpleSchemaError, parse_markers
from pykro.schema.simpleschema_markers import apply_markers


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("invalid=true", 'invalid marker key "invalid": unknown marker'),
        ('description="Unclosed quote', "unclosed quote"),
        ('default={"unclosed": "brace"', "unclosed bracket/brace"),
        ("=value", "empty marker key"),
        ("default=}", "unmatched closing bracket/brace"),
        ("optional", "marker key 'optional' without a value"),
        ('description="some description" optional', "marker key 'optional' without a value"),
        ('optional description="A description"', "unknown marker"),
        ('default=5 optional description="A description"', "unknown marker"),
    ],
)
def test_parse_markers_errors(text: str, reason: str) -> None:
    with pytest.raises(SimpleSchemaError) as info:
        parse_markers(text)
    assert reason in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'required=true description="This is a description"',
            [("required", "true"), ("description", "This is a description")],
        ),
        (
            'required=true default=5 description="This is a description"',
            [("required", "true"), ("default", "5"), ("description", "This is a description")],
        ),
        ('default=["key": "value"] required=true', [("default", '["key": "value"]'), ("required", "true")]),
        (
            'default={"key": "value"} description="A complex \\"description\\"" required=true',
            [
                ("default", '{"key": "value"}'),
                ("description", 'A complex "description"'),
                ("required", "true"),
            ],
        ),
        ("minimum=0 maximum=100", [("minimum", "0"), ("maximum", "100")]),
        ("minimum=0.1 maximum=1.5", [("minimum", "0.1"), ("maximum", "1.5")]),
        (
            'description="This has \\"quotes\\" and a \\n newline" default="\\"quoted\\""',
            [("description", 'This has "quotes" and a \\n newline'), ("default", '"quoted"')],
        ),
        ("immutable=true required=false", [("immutable", "true"), ("required", "false")]),
        ('pattern="^[a-zA-Z0-9]+$"', [("pattern", "^[a-zA-Z0-9]+$")]),
        ('pattern="^(foo|bar)\\d{2,4}$"', [("pattern", "^(foo|bar)\\d{2,4}$")]),
        ("minLength=0", [("minLength", "0")]),
        ("listType=map", [("listType", "map")]),
        ("listMapKey=name listMapKey=namespace", [("listMapKey", "name"), ("listMapKey", "namespace")]),
        ("uniqueItems=true", [("uniqueItems", "true")]),
        ("uniqueItems=false", [("uniqueItems", "false")]),
        ("minItems=2 maxItems=10", [("minItems", "2"), ("maxItems", "10")]),
        ("", []),
    ],
)
def test_parse_markers(text: str, expected: list[tuple[str, str]]) -> None:
    assert parse_markers(text) == expected


def apply(schema_type: str, markers: str) -> tuple[dict[str, Any], bool]:
    schema: dict[str, Any] = {"type": schema_type}
    required = apply_markers(schema, parse_markers(markers))
    return schema, required


IMMUTABLE = {"rule": "self == oldSelf", "message": "field is immutable"}


@pytest.mark.parametrize(
    ("schema_type", "markers", "expected", "required"),
    [
        ("string", "required=true", {}, True),
        ("string", "required=false", {}, False),
        ("string", 'default="hello"', {"default": "hello"}, False),
        ("integer", "default=42", {"default": 42}, False),
        ("boolean", "default=true", {"default": True}, False),
        ("number", "default=1.5", {"default": 1.5}, False),
        ("object", 'default={"a":"b"}', {"default": {"a": "b"}}, False),
        ("array", 'default=["a","b"]', {"default": ["a", "b"]}, False),
        ("string", 'description="A helpful description"', {"description": "A helpful description"}, False),
        ("integer", "minimum=0", {"minimum": 0.0}, False),
        ("integer", "maximum=100", {"maximum": 100.0}, False),
        ("number", "minimum=0.5 maximum=99.5", {"minimum": 0.5, "maximum": 99.5}, False),
        (
            "string",
            'validation="self.size() > 0"',
            {"x-kubernetes-validations": [{"rule": "self.size() > 0", "message": "validation failed"}]},
            False,
        ),
        ("string", "immutable=true", {"x-kubernetes-validations": [IMMUTABLE]}, False),
        ("string", "immutable=false", {}, False),
        ("string", 'enum="a,b,c"', {"enum": ["a", "b", "c"]}, False),
        ("integer", 'enum="1,2,3"', {"enum": [1, 2, 3]}, False),
        ("string", 'pattern="^[a-z]+$"', {"pattern": "^[a-z]+$"}, False),
        ("string", "minLength=3 maxLength=20", {"minLength": 3, "maxLength": 20}, False),
        ("array", "uniqueItems=true", {"x-kubernetes-list-type": "set"}, False),
        ("array", "uniqueItems=false", {}, False),
        ("array", "minItems=2 maxItems=10", {"minItems": 2, "maxItems": 10}, False),
        ("array", "minItems=0", {"minItems": 0}, False),
        (
            "array",
            "listType=map listMapKey=name",
            {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
            False,
        ),
        ("array", "listType=set", {"x-kubernetes-list-type": "set"}, False),
        ("array", "listType=atomic", {"x-kubernetes-list-type": "atomic"}, False),
        (
            "array",
            "listType=map listMapKey=name listMapKey=namespace",
            {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name", "namespace"]},
            False,
        ),
        (
            "string",
            'required=true default="test" description="A test field"',
            {"default": "test", "description": "A test field"},
            True,
        ),
        (
            "string",
            "immutable=true validation=\"self.matches('^(pending|active|done)$')\"",
            {
                "x-kubernetes-validations": [
                    IMMUTABLE,
                    {"rule": "self.matches('^(pending|active|done)$')", "message": "validation failed"},
                ]
            },
            False,
        ),
        (
            "string",
            "validation=\"self.matches('^(pending|active|done)$')\" immutable=true",
            {
                "x-kubernetes-validations": [
                    {"rule": "self.matches('^(pending|active|done)$')", "message": "validation failed"},
                    IMMUTABLE,
                ]
            },
            False,
        ),
    ],
)
def test_apply_markers(schema_type: str, markers: str, expected: dict[str, Any], required: bool) -> None:
    schema, is_required = apply(schema_type, markers)
    assert schema == {"type": schema_type, **expected}
    assert is_required is required


@pytest.mark.parametrize(
    ("schema_type", "markers", "reason"),
    [
        ("string", "required=invalid", "must be a boolean"),
        ("integer", 'default="hello"', "default value must be a valid integer"),
        ("integer", "default=3.14", "default value must be a valid integer"),
        ("number", 'default="notanumber"', "default value must be a valid number"),
        ("boolean", 'default="maybe"', "default value must be a valid boolean"),
        ("boolean", "default=yes", "default value must be a valid boolean"),
        ("integer", "minimum=notanumber", "must be a valid number"),
        ("integer", "maximum=notanumber", "must be a valid number"),
        ("string", 'validation=""', "validation rule cannot be empty"),
        ("string", "immutable=invalid", "must be a boolean"),
        ("integer", 'enum="1,2,abc"', "must be a valid integer"),
        ("string", 'enum="a,,c"', "empty value"),
        ("boolean", 'enum="true,false"', "enum values only supported for string and integer types"),
        ("string", 'pattern="[unclosed"', "invalid pattern"),
        ("string", 'pattern=""', "pattern cannot be empty"),
        ("integer", 'pattern="[0-9]+"', "pattern is only supported for string types"),
        ("string", "minLength=abc", "must be a valid integer"),
        ("string", "maxLength=xyz", "must be a valid integer"),
        ("integer", "minLength=1", "minLength is only supported for string types"),
        ("boolean", "maxLength=1", "maxLength is only supported for string types"),
        ("array", "uniqueItems=invalid", "must be a boolean"),
        ("string", "uniqueItems=true", "uniqueItems is only supported for array types"),
        ("array", "minItems=abc", "must be a valid integer"),
        ("array", "maxItems=xyz", "must be a valid integer"),
        ("string", "minItems=1", "minItems is only supported for array types"),
        ("integer", "maxItems=1", "maxItems is only supported for array types"),
        ("array", "listType=invalid", "listType 'invalid' must be one of atomic, set, map"),
        ("string", "listType=set", "listType is only supported for array types"),
        ("array", "uniqueItems=true listType=map", "conflicting list types"),
        ("array", "listMapKey=name", "listMapKey requires listType=map"),
        ("array", "listType=set listMapKey=name", "listMapKey requires listType=map"),
        ("string", "listMapKey=name", "listMapKey is only supported for array types"),
        ("array", "listType=map listMapKey=name listMapKey=name", "duplicate listMapKey 'name'"),
        ("object", "default={not-json}", "must be valid JSON"),
    ],
)
def test_apply_markers_errors(schema_type: str, markers: str, reason: str) -> None:
    with pytest.raises(SimpleSchemaError) as info:
        apply(schema_type, markers)
    assert reason in str(info.value)


@pytest.mark.parametrize("value", ["1", "t", "T", "TRUE", "true", "True"])
def test_required_accepts_go_true_spellings(value: str) -> None:
    assert apply("string", f"required={value}")[1] is True
