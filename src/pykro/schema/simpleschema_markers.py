"""SimpleSchema markers (§2.4 syntax, §2.5 semantics): the part of a field string after the first `|`."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

from pykro.goregexp import PatternError, compile_pattern
from pykro.schema.simpleschema_types import SimpleSchemaError

MARKER_KEYS = (
    "required",
    "default",
    "description",
    "minimum",
    "maximum",
    "validation",
    "enum",
    "immutable",
    "pattern",
    "uniqueItems",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "listType",
    "listMapKey",
)
_MARKER_KEY_SET = frozenset(MARKER_KEYS)
LIST_TYPES = ("atomic", "set", "map")
VALIDATION_MESSAGE = "validation failed"
IMMUTABLE_RULE = {"rule": "self == oldSelf", "message": "field is immutable"}

Marker = tuple[str, str]

# Go's strconv.ParseBool / ParseInt / ParseFloat accept exactly these spellings.
_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_GO_INT = re.compile(r"[+-]?[0-9]+\Z")
_GO_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def parse_markers(text: str) -> list[Marker]:
    """Tokenize `key=value key="quoted value" key={"json": 1}` into (key, value) pairs."""
    markers: list[Marker] = []
    buffer: list[str] = []
    key: str | None = None
    in_quotes = escaped = False
    depth = 0
    for char in text:
        if escaped:
            buffer.append(char)
            escaped = False
        elif in_quotes:
            buffer.append(char)
            if char == "\\":
                escaped = True
            elif char == '"':
                in_quotes = False
        elif char == '"':
            in_quotes = True
            buffer.append(char)
        elif char == "=" and key is None and depth == 0:
            key = "".join(buffer).strip()
            if not key:
                raise SimpleSchemaError("empty marker key")
            if key not in _MARKER_KEY_SET:
                raise SimpleSchemaError(f'invalid marker key "{key}": unknown marker')
            buffer.clear()
        elif char.isspace() and depth == 0:
            # Whitespace ends a value; between markers it carries no meaning and is dropped.
            if key is not None:
                markers.append((key, _marker_value("".join(buffer))))
                key = None
                buffer.clear()
        else:
            if char in "{[":
                depth += 1
            elif char in "}]":
                depth -= 1
                if depth < 0:
                    raise SimpleSchemaError("unmatched closing bracket/brace")
            buffer.append(char)
    if in_quotes:
        raise SimpleSchemaError("unclosed quote")
    if depth > 0:
        raise SimpleSchemaError("unclosed bracket/brace")
    rest = "".join(buffer)
    if key is not None:
        markers.append((key, _marker_value(rest)))
    elif rest.strip():
        raise SimpleSchemaError(f"marker key '{rest.strip()}' without a value")
    return markers


def _marker_value(raw: str) -> str:
    if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"'):
        return _unescape(raw[1:-1])
    return raw.strip()


def _unescape(text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in '"\\':
            out.append(text[index + 1])
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def parse_go_bool(value: str) -> bool | None:
    if value in _GO_TRUE:
        return True
    if value in _GO_FALSE:
        return False
    return None


def parse_go_int(value: str) -> int | None:
    if not _GO_INT.match(value):
        return None
    number = int(value)
    return number if _INT64_MIN <= number <= _INT64_MAX else None


def parse_go_float(value: str) -> float | None:
    if not _GO_FLOAT.match(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _number(value: float) -> float | int:
    # The API server serializes float64 1.0 as `1`; emitting the int keeps output identical.
    return int(value) if value.is_integer() else value


def apply_markers(schema: dict[str, Any], markers: Sequence[Marker]) -> bool:
    """Apply `markers` to `schema` in place; return whether the field is required in its parent."""
    schema_type = schema.get("type", "")
    required = False
    list_map_keys: list[str] = []
    for key, value in markers:
        if key == "required":
            required = _bool(key, value)
        elif key == "default":
            schema["default"] = _default(schema_type, value)
        elif key == "description":
            schema["description"] = value
        elif key in ("minimum", "maximum"):
            number = parse_go_float(value)
            if number is None:
                raise SimpleSchemaError(f"{key} value {value!r} must be a valid number")
            schema[key] = _number(number)
        elif key == "validation":
            if not value.strip():
                raise SimpleSchemaError("validation rule cannot be empty")
            schema.setdefault("x-kubernetes-validations", []).append(
                {"rule": value, "message": VALIDATION_MESSAGE}
            )
        elif key == "immutable":
            if _bool(key, value):
                schema.setdefault("x-kubernetes-validations", []).append(dict(IMMUTABLE_RULE))
        elif key == "enum":
            schema["enum"] = _enum(schema_type, value)
        elif key == "pattern":
            _pattern(schema_type, value)
            schema["pattern"] = value
        elif key in ("minLength", "maxLength"):
            _only(key, schema_type, "string")
            schema[key] = _int(key, value)
        elif key in ("minItems", "maxItems"):
            _only(key, schema_type, "array")
            schema[key] = _int(key, value)
        elif key == "uniqueItems":
            _only(key, schema_type, "array")
            if _bool(key, value):
                _set_list_type(schema, "set")
        elif key == "listType":
            _only(key, schema_type, "array")
            if value not in LIST_TYPES:
                raise SimpleSchemaError(f"listType {value!r} must be one of {', '.join(LIST_TYPES)}")
            _set_list_type(schema, value)
        elif key == "listMapKey":
            _only(key, schema_type, "array")
            if value in list_map_keys:
                raise SimpleSchemaError(f"duplicate listMapKey {value!r}")
            list_map_keys.append(value)
    if list_map_keys:
        if schema.get("x-kubernetes-list-type") != "map":
            raise SimpleSchemaError("listMapKey requires listType=map")
        schema["x-kubernetes-list-map-keys"] = list_map_keys
    return required


def _only(key: str, schema_type: str, wanted: str) -> None:
    if schema_type != wanted:
        raise SimpleSchemaError(f"{key} is only supported for {wanted} types, not {schema_type or 'untyped'}")


def _bool(key: str, value: str) -> bool:
    parsed = parse_go_bool(value)
    if parsed is None:
        raise SimpleSchemaError(f"{key} value {value!r} must be a boolean")
    return parsed


def _int(key: str, value: str) -> int:
    parsed = parse_go_int(value)
    if parsed is None:
        raise SimpleSchemaError(f"{key} value {value!r} must be a valid integer")
    return parsed


def _set_list_type(schema: dict[str, Any], list_type: str) -> None:
    current = schema.get("x-kubernetes-list-type")
    if current is not None and current != list_type:
        raise SimpleSchemaError(
            f"conflicting list types: listType is already {current!r}, cannot set {list_type!r}"
        )
    schema["x-kubernetes-list-type"] = list_type


def _default(schema_type: str, value: str) -> Any:
    if schema_type == "string":
        return value
    if schema_type == "integer":
        number = parse_go_int(value)
        if number is None:
            raise SimpleSchemaError("default value must be a valid integer")
        return number
    if schema_type == "number":
        real = parse_go_float(value)
        if real is None:
            raise SimpleSchemaError("default value must be a valid number")
        return real
    if schema_type == "boolean":
        flag = parse_go_bool(value)
        if flag is None:
            raise SimpleSchemaError("default value must be a valid boolean")
        return flag
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        raise SimpleSchemaError(
            f"default value {value!r} must be valid JSON for a {schema_type or 'untyped'} field"
        ) from None


def _enum(schema_type: str, value: str) -> list[Any]:
    if schema_type not in ("string", "integer"):
        raise SimpleSchemaError("enum values only supported for string and integer types")
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise SimpleSchemaError(f"enum {value!r} contains an empty value")
    if schema_type == "string":
        return items
    numbers: list[Any] = []
    for item in items:
        number = parse_go_int(item)
        if number is None:
            raise SimpleSchemaError(f"enum value {item!r} must be a valid integer")
        numbers.append(number)
    return numbers


def _pattern(schema_type: str, value: str) -> None:
    if not value:
        raise SimpleSchemaError("pattern cannot be empty")
    if schema_type != "string":
        raise SimpleSchemaError(f"pattern is only supported for string types, not {schema_type or 'untyped'}")
    try:
        compile_pattern(value)
    except PatternError as err:
        raise SimpleSchemaError(f"invalid pattern {value!r}: {err}") from None
