"""Checked CEL output types → OpenAPI v3 schemas, for status schema inference (spec §4.5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykro.cel.assignability import output_node
from pykro.cel.checked import CelType
from pykro.cel.types import MAX_DEPTH, TypeNode

# Keyed by the prim names of type trees (`int` is `int64` there).
_PRIMS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "int64": {"type": "integer"},
    "uint": {"type": "integer"},
    "double": {"type": "number"},
    "bool": {"type": "boolean"},
    "bytes": {"type": "string", "format": "byte"},
    "timestamp": {"type": "string", "format": "date-time"},
    "duration": {"type": "string", "format": "duration"},
}
_TYPED_KINDS = frozenset(
    {
        "string",
        "int",
        "uint",
        "double",
        "bool",
        "bytes",
        "timestamp",
        "duration",
        "list",
        "map",
        "message",
        "dyn",
    }
)
_PRESERVE = "x-kubernetes-preserve-unknown-fields"


def _unknown(description: str) -> dict[str, Any]:
    return {_PRESERVE: True, "description": description}


def openapi_schema(t: CelType, messages: Mapping[str, TypeNode]) -> dict[str, Any]:
    """The OpenAPI schema of values of type `t` (object types are expanded from their schema)."""
    if t.kind == "null_type":
        return _unknown("null value")
    if t.kind == "message" and t.name not in messages:
        return {"type": "object", "additionalProperties": True}
    if t.kind not in _TYPED_KINDS:  # optional_type, type, error...
        return _unknown(f"unknown CEL type: {t}")
    return schema_of_tree(output_node(t, messages))


def schema_of_tree(node: TypeNode, depth: int = 0) -> dict[str, Any]:
    """The OpenAPI schema of a normalized type tree (property names as in the source schema)."""
    kind = node[0]
    if depth > MAX_DEPTH:
        return {_PRESERVE: True}
    if kind == "prim":
        return dict(_PRIMS.get(node[1], {_PRESERVE: True}))
    if kind == "list":
        return {"type": "array", "items": schema_of_tree(node[1], depth + 1)}
    if kind == "map":
        return {"type": "object", "additionalProperties": schema_of_tree(node[1], depth + 1)}
    if kind == "obj":
        out: dict[str, Any] = {
            "type": "object",
            "properties": {raw: schema_of_tree(child, depth + 1) for _cel, raw, child in node[1]},
        }
        if node[2]:
            out[_PRESERVE] = True
        return out
    if kind == "null":
        return _unknown("null value")
    return {_PRESERVE: True}
