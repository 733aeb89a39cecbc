"""SimpleSchema type grammar (§2.2): the part of a field string before the first `|`.

type   := atomic | "object" | "[]" type | "map[string]" type | CustomName
atomic := "string" | "integer" | "boolean" | "float"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pykro.errors import Problem, PykroError

ATOMIC_TYPES = ("string", "integer", "boolean", "float")
MAX_NESTING_DEPTH = 16
_MAP_PREFIX = "map["
_MAP_STRING_PREFIX = "map[string]"
_SLICE_PREFIX = "[]"

TypeKind = Literal["atomic", "object", "slice", "map", "custom"]


class SimpleSchemaError(PykroError):
    """A SimpleSchema that cannot be turned into OpenAPI; `problems` name the field paths."""

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message, problems)
        self.reason = message


@dataclass(frozen=True)
class FieldType:
    """A parsed type: `name` is the atomic or custom type name; `element` the item/value type."""

    kind: TypeKind
    name: str = ""
    element: FieldType | None = None

    def custom_names(self) -> set[str]:
        """Every custom type this type refers to."""
        if self.kind == "custom":
            return {self.name}
        return self.element.custom_names() if self.element is not None else set()

    def __str__(self) -> str:
        if self.kind == "slice":
            return f"[]{self.element}"
        if self.kind == "map":
            return f"map[string]{self.element}"
        return self.name


def split_field(text: str) -> tuple[str, str]:
    """Split a field string at the first `|`: (type text, marker text), both trimmed."""
    type_text, _, markers = text.partition("|")
    return type_text.strip(), markers.strip()


def parse_type(text: str) -> FieldType:
    """Parse a type expression; undefined custom names are not an error here (only at build time)."""
    return _parse_type(text.strip(), 0)


def _parse_type(text: str, depth: int) -> FieldType:
    if not text:
        raise SimpleSchemaError("empty type")
    if text.startswith(_SLICE_PREFIX):
        element = text[len(_SLICE_PREFIX) :].strip()
        if not element:
            raise SimpleSchemaError("empty slice element type")
        return FieldType("slice", element=_nested(element, depth))
    if text.startswith(_MAP_PREFIX):
        if not text.startswith(_MAP_STRING_PREFIX):
            raise SimpleSchemaError("map key must be string")
        value = text[len(_MAP_STRING_PREFIX) :].strip()
        if not value:
            raise SimpleSchemaError("map value type is required")
        return FieldType("map", element=_nested(value, depth))
    if text in ATOMIC_TYPES:
        return FieldType("atomic", name=text)
    if text == "object":
        return FieldType("object", name=text)
    return FieldType("custom", name=text)


def _nested(text: str, depth: int) -> FieldType:
    if depth + 1 > MAX_NESTING_DEPTH:
        raise SimpleSchemaError(f"type nesting too deep (max {MAX_NESTING_DEPTH})")
    return _parse_type(text, depth + 1)


def map_value_type(text: str) -> str:
    """The value type text of `map[string]X` ("" when `text` is not a map type)."""
    text = text.strip()
    if not text.startswith(_MAP_PREFIX):
        return ""
    if not text.startswith(_MAP_STRING_PREFIX):
        raise SimpleSchemaError("map key must be string")
    value = text[len(_MAP_STRING_PREFIX) :].strip()
    if not value:
        raise SimpleSchemaError("map value type is required")
    return value
