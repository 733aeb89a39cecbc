"""JSON Schema type names of Python values, for error messages that say what was found."""

from __future__ import annotations

from collections.abc import Mapping


def json_type(value: object) -> str:
    """`boolean`, `integer`, `number`, `string`, `object`, `array` or `null`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__
