"""Walking a template: find every `${...}` string leaf and validate literal values against the schema.

kro parses templates against the kind's OpenAPI schema (spec §4.1 step 4): each field must exist
(`schema not found for field x`) unless it lies under a preserve-unknown-fields object, literal
values must have the declared type (`expected array type for path spec.cidrBlocks, got string`),
and each expression remembers the schema of the field it writes (its expected type, §3.6).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pykro.cel.errors import ScanError
from pykro.cel.scanner import Literal, Match, Standalone, Template, go_quote, parse_value
from pykro.graph.model import FieldPath, format_path
from pykro.jsontypes import json_type

MAX_DEPTH = 64


class FieldError(Exception):
    """A problem at `path` (the caller adds the resource)."""

    def __init__(self, path: FieldPath, message: str, text: str = "", offset: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.text = text
        self.offset = offset


@dataclass(frozen=True)
class Leaf:
    """A string leaf holding at least one `${...}`; `schema` is the field's schema (None: unknown, dyn)."""

    path: FieldPath
    parsed: Standalone | Template
    schema: Mapping[str, Any] | None

    @property
    def text(self) -> str:
        return self.parsed.text

    @property
    def expressions(self) -> tuple[str, ...]:
        if isinstance(self.parsed, Standalone):
            return (self.parsed.expression,)
        return self.parsed.expressions


def cel_source(parsed: Standalone | Template) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The CEL text to check and, per piece, `(offset in CEL text, offset in the user's string)`.

    Templates become kro's concatenation (`"a-" + (x)`); the offsets map a cel error column back
    into the `${...}` string the user wrote.
    """
    if isinstance(parsed, Standalone):
        return parsed.expression, ((0, 2),)
    pieces: list[str] = []
    anchors: list[tuple[int, int]] = []
    cursor = 0
    text_pos = 0
    for index, part in enumerate(parsed.parts):
        if index:
            pieces.append(" + ")
            cursor += 3
        if isinstance(part, Match):
            anchors.append((cursor, text_pos))  # the `(` maps to the `$`
            anchors.append((cursor + 1, part.start + 2))
            piece = f"({part.expression})"
            text_pos = part.end
        else:
            anchors.append((cursor, text_pos))
            piece = go_quote(part)
            text_pos += len(part)
        pieces.append(piece)
        cursor += len(piece)
    return "".join(pieces), tuple(anchors)


def map_offset(anchors: Sequence[tuple[int, int]], cel_offset: int) -> int:
    """The offset in the user's string of a position in the CEL text built by `cel_source`."""
    index = 0
    for position, anchor in enumerate(anchors):
        if anchor[0] <= cel_offset:
            index = position
    cel_start, text_start = anchors[index]
    offset = text_start + (cel_offset - cel_start)
    if index + 1 < len(anchors):
        # A position past this piece (the ` + ` that joins it to the next, where a type error of the
        # concatenation is reported) has no text of its own: point at the start of the next piece.
        offset = min(offset, anchors[index + 1][1])
    return offset


def types_of(schema: Mapping[str, Any] | None) -> frozenset[str] | None:
    """The JSON types a schema admits, or None for any."""
    if schema is None:
        return None
    if schema.get("x-kubernetes-int-or-string"):
        return frozenset({"string", "integer"})
    typ = schema.get("type")
    if isinstance(typ, str) and typ:
        return frozenset({typ, "integer"}) if typ == "number" else frozenset({typ})
    branches = [*(schema.get("oneOf") or ()), *(schema.get("anyOf") or ())]
    if branches:
        found: set[str] = set()
        for branch in branches:
            sub = types_of(branch) if isinstance(branch, Mapping) else None
            if sub is None:
                return None
            found |= sub
        return frozenset(found)
    return None


def _expect(schema: Mapping[str, Any] | None, value: object, path: FieldPath) -> None:
    allowed = types_of(schema)
    if allowed is None or value is None:
        return
    got = json_type(value)
    if got not in allowed:
        wanted = _wanted(schema, allowed)
        raise FieldError(path, f"expected {wanted} type for path {format_path(path)}, got {got}")


def _wanted(schema: Mapping[str, Any] | None, allowed: frozenset[str]) -> str:
    typ = schema.get("type") if schema is not None else None
    return typ if isinstance(typ, str) and typ else " or ".join(sorted(allowed))


def _preserves_unknown(schema: Mapping[str, Any]) -> bool:
    return bool(schema.get("x-kubernetes-preserve-unknown-fields"))


def _child_schema(
    schema: Mapping[str, Any], key: str, path: FieldPath
) -> tuple[Mapping[str, Any] | None, bool]:
    """(schema of `key`, schemaless?) under an object schema."""
    props = schema.get("properties")
    if isinstance(props, Mapping) and key in props:
        child = props[key]
        return (child, False) if isinstance(child, Mapping) else (None, True)
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        return extra, False
    if extra is True or _preserves_unknown(schema):
        return None, True
    if not isinstance(props, Mapping) and types_of(schema) is None:
        return None, True  # untyped object: nothing to check against
    if not isinstance(props, Mapping) and schema.get("type") == "object":
        return None, True  # `type: object` without properties accepts anything
    raise FieldError(path, f"schema not found for field {format_path(path)}")


def collect_leaves(value: Any, schema: Mapping[str, Any] | None) -> list[Leaf]:
    """Every expression leaf of `value` (a template), validating literals when `schema` is given.

    `schema=None` parses schemalessly (externalRefs, CRD templates, `.status`).
    """
    leaves: list[Leaf] = []
    _walk(value, schema, (), schema is None, leaves, 0)
    return leaves


def _walk(
    value: Any,
    schema: Mapping[str, Any] | None,
    path: FieldPath,
    schemaless: bool,
    leaves: list[Leaf],
    depth: int,
) -> None:
    if depth > MAX_DEPTH:
        raise FieldError(path, f"template is nested more than {MAX_DEPTH} levels deep at {format_path(path)}")
    current = None if schemaless else schema
    if isinstance(value, str):
        try:
            parsed = parse_value(value)
        except ScanError as exc:
            raise FieldError(path, exc.detail, value) from None
        if isinstance(parsed, Literal):
            _expect(current, value, path)
            return
        if isinstance(parsed, Template):
            allowed = types_of(current)
            if allowed is not None and "string" not in allowed:
                wanted = _wanted(current, allowed)
                raise FieldError(
                    path,
                    f"expected {wanted} type for path {format_path(path)}, got string template",
                    value,
                    0,
                )
        leaves.append(Leaf(path, parsed, current))
        return
    _expect(current, value, path)
    if isinstance(value, Mapping):
        for key, child in value.items():
            key_s = str(key)
            child_path = (*path, key_s)
            if current is None:
                _walk(child, None, child_path, True, leaves, depth + 1)
                continue
            child_schema, child_schemaless = _child_schema(current, key_s, child_path)
            _walk(child, child_schema, child_path, child_schemaless, leaves, depth + 1)
    elif isinstance(value, list | tuple):
        items = current.get("items") if current is not None else None
        items_schema = items if isinstance(items, Mapping) else None
        for index, child in enumerate(value):
            _walk(child, items_schema, (*path, index), items_schema is None, leaves, depth + 1)
