"""`/openapi/v2` as protobuf: the gnostic `openapi.v2.Document` kubectl asks for first.

kubectl reads the definitions (with their `x-kubernetes-group-version-kind` extensions) to validate
objects whose group-version `/openapi/v3` does not cover, and refuses anything but this encoding.
The encoder covers what a Swagger 2.0 definition holds; field numbers are those of gnostic's
`openapiv2/OpenAPIv2.proto`. Paths are left empty: clients read the definitions only.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from typing import Any

# What kube-openapi answers with (clients ask with the deprecated `...spec.v2@v1.0+protobuf`, whose
# `@` Go's mime parser refuses in a response).
PROTOBUF_V2 = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


def _varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        low = n & 0x7F
        n >>= 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _bytes(field: int, payload: bytes) -> bytes:
    return _key(field, 2) + _varint(len(payload)) + payload


def _string(field: int, text: str) -> bytes:
    return _bytes(field, text.encode())


def _bool(field: int, value: bool) -> bytes:
    return _key(field, 0) + _varint(int(value)) if value else b""


def _int(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(value) if value else b""


def _double(field: int, value: float) -> bytes:
    return _key(field, 1) + struct.pack("<d", float(value))


def _any(field: int, value: Any) -> bytes:
    """`Any{yaml}`: gnostic keeps free-form values as YAML text (JSON is YAML)."""
    return _bytes(field, _string(2, json.dumps(value)))


_STRINGS = {"$ref": 1, "format": 2, "title": 3, "description": 4, "pattern": 13, "discriminator": 26}
_DOUBLES = {"multipleOf": 6, "maximum": 7, "minimum": 9}
_BOOLS = {"exclusiveMaximum": 8, "exclusiveMinimum": 10, "uniqueItems": 16, "readOnly": 27}
_INTS = {
    "maxLength": 11,
    "minLength": 12,
    "maxItems": 14,
    "minItems": 15,
    "maxProperties": 17,
    "minProperties": 18,
}


def schema(s: Mapping[str, Any]) -> bytes:
    """One `openapi.v2.Schema`."""
    out = bytearray()
    for key, value in s.items():
        if key in _STRINGS and isinstance(value, str):
            out += _string(_STRINGS[key], value)
        elif key in _DOUBLES and isinstance(value, (int, float)):
            out += _double(_DOUBLES[key], value)
        elif key in _BOOLS and isinstance(value, bool):
            out += _bool(_BOOLS[key], value)
        elif key in _INTS and isinstance(value, int):
            out += _int(_INTS[key], value)
        elif key == "default":
            out += _any(5, value)
        elif key == "example":
            out += _any(30, value)
        elif key == "required" and isinstance(value, list):
            out += b"".join(_string(19, str(name)) for name in value)
        elif key == "enum" and isinstance(value, list):
            out += b"".join(_any(20, item) for item in value)
        elif key == "additionalProperties":
            inner = _bytes(1, schema(value)) if isinstance(value, Mapping) else _bool(2, bool(value))
            out += _bytes(21, inner)
        elif key == "type":
            types = value if isinstance(value, list) else [value]
            out += _bytes(22, b"".join(_string(1, str(t)) for t in types))
        elif key == "items":
            items = value if isinstance(value, list) else [value]
            out += _bytes(23, b"".join(_bytes(1, schema(i)) for i in items if isinstance(i, Mapping)))
        elif key == "allOf" and isinstance(value, list):
            out += b"".join(_bytes(24, schema(i)) for i in value if isinstance(i, Mapping))
        elif key == "properties" and isinstance(value, Mapping):
            named = b"".join(
                _bytes(1, _string(1, name) + _bytes(2, schema(sub)))
                for name, sub in value.items()
                if isinstance(sub, Mapping)
            )
            out += _bytes(25, named)
        elif key.startswith("x-"):
            out += _bytes(31, _string(1, key) + _any(2, value))
    return bytes(out)


def document(doc: Mapping[str, Any]) -> bytes:
    """The `openapi.v2.Document` for a Swagger 2.0 document (as `OpenAPI.v2()` builds it)."""
    info = doc.get("info") or {}
    definitions = doc.get("definitions") or {}
    return (
        _string(1, str(doc.get("swagger") or "2.0"))
        + _bytes(2, _string(1, str(info.get("title") or "")) + _string(2, str(info.get("version") or "")))
        + _bytes(8, b"")
        + _bytes(
            9,
            b"".join(
                _bytes(1, _string(1, name) + _bytes(2, schema(definition)))
                for name, definition in definitions.items()
            ),
        )
    )
