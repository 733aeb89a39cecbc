"""`/openapi/v2` in protobuf: the gnostic `openapi.v2.Document` kubectl asks for.

kubectl requests `application/com.github.proto-openapi.spec.v2@v1.0+protobuf` and parses the body with
`proto.Unmarshal`, so a JSON body fails as "proto: cannot parse invalid wire-format data". Field numbers
are those of gnostic's OpenAPIv2.proto; free-form values (`default`, `enum`, `example`, `x-*`) travel as
`Any.yaml` text, which JSON is.
"""

from __future__ import annotations

import json
import struct
from typing import Any

# kube-openapi answers with the dotted form: "@" is no MIME token character, so Go clients reject it.
MEDIA_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

_SCHEMA_STRINGS = {"$ref": 1, "format": 2, "title": 3, "description": 4, "pattern": 13}
_SCHEMA_DOUBLES = {"maximum": 7, "minimum": 9}
_SCHEMA_INTS = {
    "maxLength": 11,
    "minLength": 12,
    "maxItems": 14,
    "minItems": 15,
    "maxProperties": 17,
    "minProperties": 18,
}
_SCHEMA_BOOLS = {"exclusiveMaximum": 8, "exclusiveMinimum": 10, "uniqueItems": 16, "readOnly": 27}
_SCHEMA_ANYS = {"default": 5, "example": 30}


def preferred(accept: str) -> bool:
    """Whether `accept` asks for the protobuf document before (or instead of) JSON."""
    for entry in accept.split(","):
        if "protobuf" in entry:
            return True
        if "json" in entry or "*/*" in entry:
            return False
    return False


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 values take ten bytes, as in Go
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _bytes_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _string(number: int, text: str) -> bytes:
    return _bytes_field(number, text.encode())


def _any(number: int, value: Any) -> bytes:
    return _bytes_field(number, _string(2, json.dumps(value)))  # Any{yaml = 2}


def _named(number: int, name: str, value: bytes) -> bytes:
    return _bytes_field(number, _string(1, name) + _bytes_field(2, value))


def schema(node: dict[str, Any]) -> bytes:
    """One `openapi.v2.Schema`; unknown keys other than `x-*` extensions are dropped."""
    out = bytearray()
    for key, value in node.items():
        if key in _SCHEMA_STRINGS and isinstance(value, str):
            out += _string(_SCHEMA_STRINGS[key], value)
        elif key in _SCHEMA_DOUBLES and isinstance(value, (int, float)):
            out += _varint(_SCHEMA_DOUBLES[key] << 3 | 1) + struct.pack("<d", float(value))
        elif key in _SCHEMA_INTS and isinstance(value, int):
            out += _varint(_SCHEMA_INTS[key] << 3) + _varint(value)
        elif key in _SCHEMA_BOOLS and value is True:
            out += _varint(_SCHEMA_BOOLS[key] << 3) + b"\x01"
        elif key in _SCHEMA_ANYS:
            out += _any(_SCHEMA_ANYS[key], value)
        elif key == "required" and isinstance(value, list):
            out += b"".join(_string(19, name) for name in value)
        elif key == "enum" and isinstance(value, list):
            out += b"".join(_any(20, item) for item in value)
        elif key == "additionalProperties":
            inner = _bytes_field(1, schema(value)) if isinstance(value, dict) else b"\x10" + _varint(value)
            out += _bytes_field(21, inner)
        elif key == "type":
            types = value if isinstance(value, list) else [value]
            out += _bytes_field(22, b"".join(_string(1, t) for t in types))
        elif key == "items" and isinstance(value, dict):
            out += _bytes_field(23, _bytes_field(1, schema(value)))
        elif key == "allOf" and isinstance(value, list):
            out += b"".join(_bytes_field(24, schema(item)) for item in value)
        elif key == "properties" and isinstance(value, dict):
            out += _bytes_field(25, b"".join(_named(1, k, schema(v)) for k, v in value.items()))
        elif key.startswith("x-"):
            out += _bytes_field(31, _string(1, key) + _any(2, value))
    return bytes(out)


def document(v2: dict[str, Any]) -> bytes:
    """The Swagger 2.0 document `v2` (swagger, info, definitions) as an `openapi.v2.Document`."""
    info = v2.get("info", {})
    definitions = b"".join(_named(1, name, schema(node)) for name, node in v2.get("definitions", {}).items())
    return (
        _string(1, v2.get("swagger", "2.0"))
        + _bytes_field(2, _string(1, info.get("title", "")) + _string(2, info.get("version", "")))
        + _bytes_field(9, definitions)
    )
