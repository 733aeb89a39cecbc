"""Status schema inference (spec §4.5): OpenAPI schemas from checked CEL output types, merged by path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykro.cel.assignability import output_node
from pykro.cel.checked import CelType
from pykro.cel.types import TypeNode
from pykro.graph.model import FieldPath, format_path

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
_MAX_DEPTH = 32


class StatusSchemaError(ValueError):
    """Two status fields claim incompatible shapes for the same path."""


def _unknown(description: str) -> dict[str, Any]:
    return {"x-kubernetes-preserve-unknown-fields": True, "description": description}


def schema_of_node(node: TypeNode, depth: int = 0) -> dict[str, Any]:
    """OpenAPI of a normalized type tree (properties keep their OpenAPI names)."""
    kind = node[0]
    if depth > _MAX_DEPTH:
        return {"x-kubernetes-preserve-unknown-fields": True}
    if kind == "prim":
        return dict(_PRIMS.get(node[1], {"x-kubernetes-preserve-unknown-fields": True}))
    if kind == "list":
        return {"type": "array", "items": schema_of_node(node[1], depth + 1)}
    if kind == "map":
        return {"type": "object", "additionalProperties": schema_of_node(node[1], depth + 1)}
    if kind == "obj":
        out: dict[str, Any] = {
            "type": "object",
            "properties": {raw: schema_of_node(child, depth + 1) for _cel, raw, child in node[1]},
        }
        if node[2]:
            out["x-kubernetes-preserve-unknown-fields"] = True
        return out
    if kind == "null":
        return _unknown("null value")
    return {"x-kubernetes-preserve-unknown-fields": True}


def schema_of_type(t: CelType, messages: Mapping[str, TypeNode]) -> dict[str, Any]:
    """The status schema of an expression's output type (§4.5)."""
    if t.kind == "optional_type":
        return _unknown(f"unknown CEL type: {t}")
    if t.kind == "null_type":
        return _unknown("null value")
    if t.kind == "message" and t.name not in messages:
        return {"type": "object", "additionalProperties": True}
    if t.kind in ("type", "error") or t.kind not in (
        "string", "int", "uint", "double", "bool", "bytes", "timestamp", "duration", "list", "map", "message", "dyn",
    ):
        return _unknown(f"unknown CEL type: {t}")
    return schema_of_node(output_node(t, messages))


def merge_status(fields: list[tuple[FieldPath, dict[str, Any]]]) -> dict[str, Any]:
    """One object schema holding every field: `a.b` nests objects, `a[0]` makes `a` an array."""
    root: dict[str, Any] = {"type": "object", "properties": {}}
    for path, leaf in fields:
        node = root
        for position, seg in enumerate(path):
            last = position == len(path) - 1
            if isinstance(seg, int):
                if node.get("type") != "array":
                    raise StatusSchemaError(f"status field {format_path(path)} conflicts with another status field")
                if last:
                    node["items"] = leaf
                else:
                    node = node.setdefault("items", {"type": "object", "properties": {}})
                continue
            props = node.setdefault("properties", {})
            if last:
                props[seg] = leaf
                continue
            nxt = path[position + 1]
            shape = {"type": "array"} if isinstance(nxt, int) else {"type": "object", "properties": {}}
            child = props.setdefault(seg, shape)
            if child.get("type") != shape["type"]:
                raise StatusSchemaError(f"status field {format_path(path)} conflicts with another status field")
            node = child
    return root
