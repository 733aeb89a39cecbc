"""§2.7 ToOpenAPISpec vectors: object building, custom types, default propagation, sorted required."""

from __future__ import annotations

from typing import Any

import pytest

from pykro.schema.simpleschema import SimpleSchemaError, build_field, to_openapi

ADDRESS = {"street": "string", "city": "string", "country": "string"}
PERSON = {"name": "string", "age": "integer"}


def test_complex_nested_schema() -> None:
    spec = {
        "name": "string | required=true",
        "age": "integer | default=18",
        "contacts": {"email": "string", "phone": 'string | default="000-000-0000"', "address": "Address"},
        "tags": "[]string",
        "metadata": "map[string]string",
        "scores": "[]integer",
        "attributes": "map[string]boolean",
        "friends": "[]Person",
    }
    schema = to_openapi(spec, {"Address": ADDRESS, "Person": PERSON})
    assert schema["required"] == ["name"]
    assert "default" not in schema
    props = schema["properties"]
    assert props["age"] == {"type": "integer", "default": 18}
    assert props["contacts"]["default"] == {}
    assert props["contacts"]["properties"]["phone"] == {"type": "string", "default": "000-000-0000"}
    address = props["contacts"]["properties"]["address"]
    assert address == {"type": "object", "properties": {k: {"type": "string"} for k in ADDRESS}}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["metadata"] == {"type": "object", "additionalProperties": {"type": "string"}}
    assert props["attributes"] == {"type": "object", "additionalProperties": {"type": "boolean"}}
    assert props["friends"]["items"]["properties"] == {"name": {"type": "string"}, "age": {"type": "integer"}}


OBJ = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "map[string]map[string]integer",
            {
                "type": "object",
                "additionalProperties": {"type": "object", "additionalProperties": {"type": "integer"}},
            },
        ),
        ("[][]float", {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}),
        ("[]object", {"type": "array", "items": OBJ}),
        ("[][]object", {"type": "array", "items": {"type": "array", "items": OBJ}}),
        ("map[string]object", {"type": "object", "additionalProperties": OBJ}),
        (
            "map[string]map[string]object",
            {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": OBJ}},
        ),
        (
            "[][][]string",
            {
                "type": "array",
                "items": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
            },
        ),
        (
            "map[string][]string",
            {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        ),
        (
            "[]map[string]integer",
            {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "integer"}}},
        ),
        ("object", OBJ),
    ],
)
def test_collection_types(text: str, expected: dict[str, Any]) -> None:
    assert build_field(text)[0] == expected


def test_custom_types_are_inlined_in_collections() -> None:
    person = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}
    assert build_field("[][][]Person", {"Person": PERSON})[0]["items"]["items"]["items"] == person
    nested = build_field("map[string]map[string]map[string]Person", {"Person": PERSON})[0]
    assert nested["additionalProperties"]["additionalProperties"]["additionalProperties"] == person
    record = build_field("Record", {"Record": {"tags": "map[string][]string", "matrix": "[][]integer"}})[0]
    assert record["properties"]["matrix"] == {
        "type": "array",
        "items": {"type": "array", "items": {"type": "integer"}},
    }
    assert "$ref" not in str(nested)


def test_enums_with_defaults() -> None:
    schema = to_openapi(
        {
            "logLevel": 'string | enum="debug,info,warn,error" default="info"',
            "features": {
                "logFormat": 'string | enum="json,text,csv" default="json"',
                "errorCode": 'integer | enum="400,404,500" default=500',
            },
        }
    )
    assert schema["default"] == {}
    assert schema["properties"]["logLevel"] == {
        "type": "string",
        "enum": ["debug", "info", "warn", "error"],
        "default": "info",
    }
    features = schema["properties"]["features"]
    assert features["default"] == {}
    assert features["properties"]["errorCode"] == {"type": "integer", "enum": [400, 404, 500], "default": 500}


def test_object_fields() -> None:
    assert to_openapi({"values": "object"})["properties"]["values"] == OBJ
    assert to_openapi({"values": "object | required=true"})["required"] == ["values"]
    with_default = to_openapi({"values": 'object | default={"a":"b"}'})
    assert with_default["properties"]["values"]["default"] == {"a": "b"}
    assert with_default["default"] == {}


def test_validation_and_immutable_markers_in_schema() -> None:
    schema = to_openapi({"name": "string | validation=\"self.name != 'invalid'\" immutable=true"})
    assert schema["properties"]["name"]["x-kubernetes-validations"] == [
        {"rule": "self.name != 'invalid'", "message": "validation failed"},
        {"rule": "self == oldSelf", "message": "field is immutable"},
    ]


def test_alias_type_with_required_propagates_to_parent() -> None:
    schema = to_openapi(
        {"myValue": "myType"}, {"myType": 'string | required=true description="my description"'}
    )
    assert schema["properties"]["myValue"] == {"type": "string", "description": "my description"}
    assert schema["required"] == ["myValue"]


def test_struct_types_never_propagate_required() -> None:
    schema = to_openapi({"db": "Database"}, {"Database": {"host": "string | required=true"}})
    assert "required" not in schema
    assert schema["properties"]["db"]["required"] == ["host"]


@pytest.mark.parametrize(
    ("spec", "types", "expected"),
    [
        (
            {"field": "TypeA"},
            {"TypeA": "TypeB", "TypeB": "TypeA"},
            [
                (
                    "spec.schema.types.TypeA",
                    "cyclic dependency in type TypeA: graph contains a cycle: TypeA -> TypeB -> TypeA",
                )
            ],
        ),
        (
            {"field": "string"},
            {"TypeA": "UndefinedType"},
            [("spec.schema.types.TypeA", "unknown type: UndefinedType")],
        ),
        ({"field": "string"}, {"BadType": 123}, [("spec.schema.types.BadType", "unexpected type: int")]),
        ({"field": "string"}, {"BadType": "[]"}, [("spec.schema.types.BadType", "empty slice element type")]),
        (
            {"field": "string"},
            {"BadType": {"field": 123}},
            [("spec.schema.types.BadType.field", "unexpected type: int")],
        ),
        ({"field": 123}, {}, [("spec.schema.spec.field", "unexpected type: int")]),
        (
            {"field": "string"},
            {"BadType": "string | minLength=abc"},
            [("spec.schema.types.BadType", "minLength value 'abc' must be a valid integer")],
        ),
        (
            {"field": "string"},
            {"BadType": {"field": "string | minLength=abc"}},
            [("spec.schema.types.BadType.field", "minLength value 'abc' must be a valid integer")],
        ),
        (
            {"outer": {"inner": "string | minLength=abc"}},
            {},
            [("spec.schema.spec.outer.inner", "minLength value 'abc' must be a valid integer")],
        ),
        ({"field": "string | =bad"}, {}, [("spec.schema.spec.field", "empty marker key")]),
        ({"invalid": "unknownType"}, {}, [("spec.schema.spec.invalid", "unknown type: unknownType")]),
        ({"field": "[]UndefinedType"}, {}, [("spec.schema.spec.field", "unknown type: UndefinedType")]),
        (
            {"field": "map[string]UndefinedType"},
            {},
            [("spec.schema.spec.field", "unknown type: UndefinedType")],
        ),
        (
            {"a": "nope", "b": {"c": "string | bogus=1"}},
            {},
            [
                ("spec.schema.spec.a", "unknown type: nope"),
                ("spec.schema.spec.b.c", 'invalid marker key "bogus": unknown marker'),
            ],
        ),
        (
            {"uses": "Loop"},
            {"Loop": {"self": "Loop"}},
            [
                (
                    "spec.schema.types.Loop",
                    "cyclic dependency in type Loop: graph contains a cycle: Loop -> Loop",
                )
            ],
        ),
    ],
)
def test_build_errors_name_path_and_reason(
    spec: dict[str, Any], types: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    with pytest.raises(SimpleSchemaError) as info:
        to_openapi(spec, types)
    assert [(p.path, p.message) for p in info.value.problems] == expected


@pytest.mark.parametrize(
    ("spec", "types", "root_default"),
    [
        ({"timeout": "integer | default=30", "retries": "integer | default=3"}, {}, True),
        ({"timeout": "integer | default=30", "name": "string | required=true"}, {}, False),
        ({"timeout": "integer", "name": "string"}, {}, False),
        ({"settings": "Settings"}, {"Settings": {"port": "integer | default=80"}}, True),
        ({"settings": "Settings"}, {"Settings": {"port": "integer | required=true"}}, False),
    ],
)
def test_default_propagation_at_root(spec: dict[str, Any], types: dict[str, Any], root_default: bool) -> None:
    assert ("default" in to_openapi(spec, types)) is root_default


def test_default_propagation_through_nested_custom_types() -> None:
    schema = to_openapi(
        {"app": "App"},
        {"App": {"name": "string", "config": "Config"}, "Config": {"port": "integer | default=8080"}},
    )
    app = schema["properties"]["app"]
    assert schema["default"] == {} and app["default"] == {} and app["properties"]["config"]["default"] == {}


def test_default_propagation_stops_at_required() -> None:
    schema = to_openapi(
        {
            "outer": {
                "inner": {
                    "required_field": "string | required=true",
                    "optional_field": "integer | default=42",
                },
                "sibling": 'string | default="hello"',
            }
        }
    )
    outer = schema["properties"]["outer"]
    assert outer["properties"]["inner"]["required"] == ["required_field"]
    assert "default" not in outer["properties"]["inner"]
    assert outer["default"] == {}
    assert schema["default"] == {}


def test_required_is_sorted_and_stable() -> None:
    names = ["zebra", "alpha", "mike", "bravo", "yankee", "charlie"]
    spec: dict[str, Any] = {n: "string | required=true" for n in names}
    spec["optional"] = "string"
    spec["nested"] = {n: "string | required=true" for n in reversed(names)}
    builds = [to_openapi(spec) for _ in range(20)]
    assert builds[0]["required"] == sorted(names)
    assert builds[0]["properties"]["nested"]["required"] == sorted(names)
    assert all(b == builds[0] for b in builds)


def test_complex_schema_e2e() -> None:
    types = {
        "RequiredString": "string | required=true",
        "Port": "integer | default=8080 minimum=1 maximum=65535",
        "ServiceEndpoint": {
            "name": "RequiredString",
            "url": 'string | required=true pattern="^https?://"',
            "port": "Port",
        },
        "Label": {"key": "string", "value": "string"},
        "Database": {"host": "string | required=true", "port": "Port", "user": "RequiredString"},
        "Retry": {"maxRetries": "integer | default=3", "backoffMs": "integer | default=1000"},
    }
    spec = {
        "name": "RequiredString",
        "endpoints": "[]ServiceEndpoint | minItems=1",
        "labels": "[]Label | uniqueItems=true",
        "replicas": 'integer | default=1 minimum=0 maximum=100 validation="self <= 10 || self % 2 == 0"',
        "database": "Database",
        "retry": "Retry",
    }
    schema = to_openapi(spec, types)
    props = schema["properties"]
    assert schema["required"] == ["name"]
    assert props["endpoints"]["minItems"] == 1
    assert props["endpoints"]["items"]["required"] == ["name", "url"]
    assert props["endpoints"]["items"]["properties"]["port"] == {
        "type": "integer",
        "default": 8080,
        "minimum": 1,
        "maximum": 65535,
    }
    assert props["labels"]["x-kubernetes-list-type"] == "set"
    assert props["replicas"]["x-kubernetes-validations"] == [
        {"rule": "self <= 10 || self % 2 == 0", "message": "validation failed"}
    ]
    assert props["database"]["required"] == ["host", "user"] and "default" not in props["database"]
    assert props["retry"]["default"] == {}


def test_custom_type_copies_are_independent() -> None:
    schema = to_openapi({"a": "P | description=first", "b": "P"}, {"P": "integer | default=1"})
    assert schema["properties"]["a"] == {"type": "integer", "default": 1, "description": "first"}
    assert schema["properties"]["b"] == {"type": "integer", "default": 1}
