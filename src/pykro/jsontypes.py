"""JSON-shaped values (what every Kubernetes object is): their JSON Schema type names, and deep copies."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def encode_json(value: Any) -> bytes:
    """Compact JSON, UTF-8: msgspec's encoder (several times faster than `json.dumps` on Kubernetes
    objects), or the standard one for what msgspec refuses and it takes (bool or None map keys)."""
    try:
        return _encode(value)
    except (TypeError, OverflowError):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def decode_json(body: bytes) -> Any:
    """A JSON document: msgspec's decoder (several times faster than `json.loads`), or the standard
    one for what msgspec refuses (a number beyond a float's range, which `json.loads` reads as inf)."""
    try:
        return _decode(body)
    except msgspec.MsgspecError:
        return json.loads(body)


# Decoded JSON holds exactly these types; looking the type up beats a chain of isinstance checks.
_DECODED_TYPES: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    dict: "object",
    list: "array",
}


def json_type(value: object) -> str:
    """`boolean`, `integer`, `number`, `string`, `object`, `array` or `null`."""
    decoded = _DECODED_TYPES.get(type(value))
    if decoded is not None:
        return decoded
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


def _copy_tree(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: _copy_tree(v) for k, v in value.items()}
    if kind is list:
        return [_copy_tree(v) for v in value]
    if kind in (str, int, float, bool) or value is None:
        return value
    return copy.deepcopy(value)  # rare: read-only schema views, tuples


def copy_json(value: T) -> T:
    """A deep copy of decoded JSON (dicts, lists, scalars): the one copy of the hot paths.

    A msgspec encode/decode round trip is ~3x faster than `copy.deepcopy` on Kubernetes objects
    (bench/runtime_bench.py). Values it can't represent the same way (ints beyond 64 bits, NaN,
    tuples, non-JSON objects) take an exact tree copy instead.
    """
    kind = type(value)
    if kind is dict or kind is list:
        try:
            copied = _decode(_encode(value))
        except (TypeError, ValueError, OverflowError):
            return _copy_tree(value)  # type: ignore[no-any-return]
        if copied == value:  # NaN and tuples do not survive a round trip unchanged
            return copied  # type: ignore[no-any-return]
    return _copy_tree(value)  # type: ignore[no-any-return]
