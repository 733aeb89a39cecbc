"""Copying JSON-shaped values (what every object in the server is) about 3x faster than deepcopy."""

from __future__ import annotations

import copy
from typing import TypeVar

T = TypeVar("T")


def clone(value: T) -> T:
    """A deep copy of dicts, lists and scalars; anything else (rare: schema views) via `copy.deepcopy`."""
    kind = type(value)
    if kind is dict:
        return {k: clone(v) for k, v in value.items()}  # type: ignore[attr-defined,return-value]
    if kind is list:
        return [clone(v) for v in value]  # type: ignore[attr-defined,return-value]
    if kind in (str, int, float, bool) or value is None:
        return value
    return copy.deepcopy(value)


