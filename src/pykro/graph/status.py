"""Status schema inference (spec §4.5): the per-field schemas (`pykro.cel.openapi`) merged by path."""

from __future__ import annotations

from typing import Any

from pykro.graph.model import FieldPath, format_path


class StatusSchemaError(ValueError):
    """Two status fields claim incompatible shapes for the same path."""


def merge_status(fields: list[tuple[FieldPath, dict[str, Any]]]) -> dict[str, Any]:
    """One object schema holding every field: `a.b` nests objects, `a[0]` makes `a` an array."""
    root: dict[str, Any] = {"type": "object", "properties": {}}
    for path, leaf in fields:
        node = root
        for position, seg in enumerate(path):
            last = position == len(path) - 1
            if isinstance(seg, int):
                if node.get("type") != "array":
                    raise StatusSchemaError(
                        f"status field {format_path(path)} conflicts with another status field"
                    )
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
                raise StatusSchemaError(
                    f"status field {format_path(path)} conflicts with another status field"
                )
            node = child
    return root
