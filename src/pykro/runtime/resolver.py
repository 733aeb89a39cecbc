"""Writing evaluated values into a copy of a template.

Paths are tuples of map keys (str) and list indices (int) recorded by the graph builder. Values
produced by `omit()` are written first and removed afterwards, so indices recorded at compile
time stay valid while writing (spec §3.5, omit).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pykro.cel.library import is_omit

Path = tuple[str | int, ...]


class PathError(ValueError):
    """The template does not have the shape the recorded path expects."""


def set_at(document: Any, path: Path, value: Any) -> None:
    if not path:
        raise PathError("cannot replace the whole document")
    node = document
    for depth, step in enumerate(path[:-1]):
        node = _child(node, step, path[: depth + 1])
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or not 0 <= last < len(node):
            raise PathError(f"no list element at {render(path)}")
        node[last] = value
    else:
        if not isinstance(node, dict):
            raise PathError(f"no object at {render(path[:-1])}")
        node[last] = value


def _child(node: Any, step: str | int, where: Path) -> Any:
    if isinstance(step, int):
        if isinstance(node, list) and 0 <= step < len(node):
            return node[step]
    elif isinstance(node, dict) and step in node:
        return node[step]
    raise PathError(f"template has no field at {render(where)}")


def drop_omitted(value: Any) -> Any:
    """Remove every map entry and list element that holds the omit sentinel."""
    if isinstance(value, dict):
        return {k: drop_omitted(v) for k, v in value.items() if not is_omit(v)}
    if isinstance(value, list):
        return [drop_omitted(v) for v in value if not is_omit(v)]
    return value


def render(path: Iterable[str | int]) -> str:
    """`spec.containers[0].image`, the way users and kubectl write field paths."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif out:
            out += f".{step}"
        else:
            out = step
    return out
