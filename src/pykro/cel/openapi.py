"""Checked CEL output types → OpenAPI v3 schemas, for status schema inference (spec §4.5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykro.cel.checked import CelType
from pykro.cel.types import MAX_DEPTH, TypeNode

_PRIMS: dict[str, dict[str, Any]] = {
    "bool": {"type": "boolean"},
    "int": {"type": "integer"},
    "int64": {"type": "integer"},
    "uint": {"type": "integer"},
    "double": {"type": "number"},
    "string": {"type": "string"},
    "bytes": {"type": "string", "format": "byte"},
    "timestamp": {"type": "string", "format": "date-time"},
    "duration": {"type": "string"},
}
_DYN: dict[str, Any] = {"x-kubernetes-preserve-unknown-fields": True}


def openapi_schema(t: CelType, messages: Mapping[str, TypeNode]) -> dict[str, Any]:
    """The OpenAPI schema of values of type `t` (object types are expanded from their schema)."""
    if t.kind in _PRIMS:
        return dict(_PRIMS[t.kind])
    if t.kind == "dyn":
        return dict(_DYN)
    if t.kind == "null_type":
        return {**_DYN, "description": "null value"}
    if t.kind == "list" and t.params:
        return {"type": "array", "items": openapi_schema(t.params[0], messages)}
    if t.kind == "map" and len(t.params) == 2:
        return {"type": "object", "additionalProperties": openapi_schema(t.params[1], messages)}
    if t.kind == "message":
        node = messages.get(t.name)
        if node is None:
            return {"type": "object", "additionalProperties": True}
        return schema_of_tree(node)
    return {**_DYN, "description": f"unknown CEL type: {t}"}


def schema_of_tree(node: TypeNode, depth: int = 0) -> dict[str, Any]:
    """The OpenAPI schema of a normalized type tree (property names as in the source schema)."""
    kind = node[0]
    if depth > MAX_DEPTH:
        return dict(_DYN)
    if kind == "prim":
        return dict(_PRIMS[node[1]])
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
            out["x-kubernetes-preserve-unknown-fields"] = True
        return out
    return dict(_DYN)
