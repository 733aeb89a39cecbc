"""Output type of an expression vs the schema of the field it is written to (spec §3.6).

Rules, in order: an expected `dyn` (int-or-string, preserve-unknown, untyped, unknown path)
or an output `dyn` is compatible; `optional_type(T)` output is checked as T; lists compare
element types, maps their value types; struct ⇐ map needs the map's value type to fit at least one
field (keys are not known statically), map ⇐ struct needs every field to fit the map's values; struct ⇐
struct uses subset semantics (every output field must exist in the
expected type, unless it preserves unknown fields); anything else must be the same primitive kind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pykro.cel.checked import CelType
from pykro.cel.types import DYN, MAX_DEPTH, TypeNode, escape_field_name, normalize

_PRIM_OF_CEL = {
    "string": "string",
    "int": "int64",
    "uint": "uint",
    "double": "double",
    "bool": "bool",
    "bytes": "bytes",
    "timestamp": "timestamp",
    "duration": "duration",
}
_CEL_OF_PRIM = {"int64": "int"}
_SEGMENT = re.compile(r"([^.\[\]]+)|\[([0-9]+)\]")


def parse_field_path(path: str) -> list[str | int]:
    """`spec.containers[0].image` → ["spec", "containers", 0, "image"]."""
    return [name if name else int(index) for name, index in _SEGMENT.findall(path)]


def expected_schema_at(
    schema: Mapping[str, Any], path: str | Sequence[str | int]
) -> Mapping[str, Any] | None:
    """The schema of the field at `path`, or None (dyn) when the schema does not describe it.

    A named segment is looked up in `properties`, else `additionalProperties`, else the properties
    of `items`; an index selects `items`.
    """
    segments = parse_field_path(path) if isinstance(path, str) else list(path)
    node: Any = schema
    for seg in segments:
        if not isinstance(node, Mapping):
            return None
        if isinstance(seg, int):
            node = node.get("items")
            continue
        props = node.get("properties")
        if isinstance(props, Mapping) and seg in props:
            node = props[seg]
        elif isinstance(node.get("additionalProperties"), Mapping):
            node = node["additionalProperties"]
        elif (
            isinstance(node.get("items"), Mapping)
            and isinstance(node["items"].get("properties"), Mapping)
            and seg in node["items"]["properties"]
        ):
            node = node["items"]["properties"][seg]
        else:
            return None
    return node if isinstance(node, Mapping) else None


def output_node(t: CelType, messages: Mapping[str, TypeNode]) -> TypeNode:
    """The type tree of a checked output type; message types are looked up in `messages`."""
    if t.kind == "optional_type" and t.params:
        return output_node(t.params[0], messages)
    if t.kind in _PRIM_OF_CEL:
        return ("prim", _PRIM_OF_CEL[t.kind])
    if t.kind == "null_type":
        return ("null",)
    if t.kind == "list" and t.params:
        return ("list", output_node(t.params[0], messages))
    if t.kind == "map" and len(t.params) == 2:
        return ("map", output_node(t.params[1], messages))
    if t.kind == "message":
        return messages.get(t.name, DYN)
    return DYN


def render(node: TypeNode) -> str:
    """A type tree in cel-go's spelling (objects are `object`)."""
    kind = node[0]
    if kind == "prim":
        return str(_CEL_OF_PRIM.get(node[1], node[1]))
    if kind == "list":
        return f"list({render(node[1])})"
    if kind == "map":
        return f"map(string, {render(node[1])})"
    if kind == "obj":
        return "object"
    if kind == "null":
        return "null_type"
    return "dyn"


def incompatibility(output: TypeNode, expected: TypeNode, depth: int = 0) -> str | None:
    """Why `output` cannot be written where `expected` is declared; None when it can."""
    if expected[0] == "dyn" or output[0] == "dyn" or depth > MAX_DEPTH:
        return None
    ok, ek = output[0], expected[0]
    if ok == "null":
        return (
            None
            if ek in ("obj", "map", "list")
            else f"type kind mismatch: null_type is not {render(expected)}"
        )
    if ok == "list" and ek == "list":
        return _nested("list element", incompatibility(output[1], expected[1], depth + 1))
    if ok == "map" and ek == "map":
        return _nested("map value", incompatibility(output[1], expected[1], depth + 1))
    if ok == "map" and ek == "obj":
        # The keys of a map are unknown statically: its values must fit at least one field.
        if expected[2] or not expected[1]:
            return None
        if any(incompatibility(output[1], child, depth + 1) is None for _c, _r, child in expected[1]):
            return None
        return f"map values of type {render(output[1])} fit no field of the expected object"
    if ok == "obj" and ek == "map":
        for cel_name, _raw, child in output[1]:
            why = incompatibility(child, expected[1], depth + 1)
            if why is not None:
                return f'field "{cel_name}": {why}'
        return None
    if ok == "obj" and ek == "obj":
        fields = {cel_name: child for cel_name, _raw, child in expected[1]}
        for cel_name, _raw, child in output[1]:
            if cel_name not in fields:
                if expected[2]:
                    continue
                return f'field "{cel_name}" exists in output but not in expected type'
            why = incompatibility(child, fields[cel_name], depth + 1)
            if why is not None:
                return f'field "{cel_name}": {why}'
        return None
    if ok == ek == "prim" and output[1] == expected[1]:
        return None
    return f"type kind mismatch: got {render(output)}, expected {render(expected)}"


def _nested(what: str, why: str | None) -> str | None:
    return None if why is None else f"{what}: {why}"


def type_mismatch_message(
    resource_id: str, path: str, expression: str, output: CelType, expected: TypeNode, detail: str | None
) -> str:
    """kro's wording for an incompatible field assignment."""
    message = (
        f'type mismatch in resource "{resource_id}" at path "{path}": expression "{expression}" '
        f'returns type "{output}" but expected "{render(expected)}"'
    )
    return f"{message}: {detail}" if detail else message


def check_field(
    resource_id: str,
    path: str,
    expression: str,
    output: CelType,
    target_schema: Mapping[str, Any] | None,
    messages: Mapping[str, TypeNode],
) -> str | None:
    """The mismatch message for writing `output` at `path` of `target_schema`, or None if compatible.

    `messages` is `CelCompiler.types.messages` (the structure of message types in the output).
    """
    field_schema = expected_schema_at(target_schema, path) if target_schema is not None else None
    expected = normalize(field_schema) if field_schema is not None else DYN
    detail = incompatibility(output_node(output, messages), expected)
    if detail is None:
        return None
    return type_mismatch_message(resource_id, path, expression, output, expected, detail)


__all__ = [
    "check_field",
    "escape_field_name",
    "expected_schema_at",
    "incompatibility",
    "output_node",
    "parse_field_path",
    "render",
    "type_mismatch_message",
]
