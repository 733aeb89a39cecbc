"""Schema-aware activation data (kro's `UnstructuredToVal`, spec §3.7).

Objects read from the API server are JSON: timestamps, durations and bytes are strings. The
checker types them as `timestamp`, `duration` and `bytes`, so before evaluation the fields the
schema declares with `format: date-time`, `duration` or `byte` are converted to the protobuf
values CEL evaluates natively (`string(secret.data.k)` then decodes, `creationTimestamp` compares
as a time). Only subtrees that hold such fields are copied; the input is never mutated, and a
value that does not parse is left as it is.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from google.protobuf import duration_pb2, timestamp_pb2

from pykro.cel.types import TypeNode, normalize

Plan = tuple[
    Any, ...
]  # ("timestamp",) ("duration",) ("bytes",) ("obj", {prop: plan}) ("list", plan) ("map", plan)


@functools.lru_cache(maxsize=1024)
def plan_for(tree: TypeNode) -> Plan | None:
    """The conversions a type tree needs, or None when its data is used as is."""
    kind = tree[0]
    if kind == "prim" and tree[1] in ("timestamp", "duration", "bytes"):
        return (tree[1],)
    if kind in ("list", "map"):
        inner = plan_for(tree[1])
        return (kind, inner) if inner is not None else None
    if kind == "obj":
        fields = {raw: sub for _cel, raw, child in tree[1] if (sub := plan_for(child)) is not None}
        return ("obj", fields) if fields else None
    return None


class DataPreparer:
    """Converts objects of one OpenAPI schema into CEL-ready data."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.plan = plan_for(normalize(schema))

    def __call__(self, value: Any) -> Any:
        return value if self.plan is None else _apply(self.plan, value)


_GO_DURATION = re.compile(r"([-+]?)((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|ms|s|m|h))+\Z")


def _apply(plan: Plan, value: Any) -> Any:
    kind = plan[0]
    if kind == "obj":
        if not isinstance(value, Mapping):
            return value
        out: dict[str, Any] | None = None
        for key, sub in plan[1].items():
            if key in value:
                converted = _apply(sub, value[key])
                if converted is not value[key]:
                    if out is None:
                        out = dict(value)
                    out[key] = converted
        return value if out is None else out
    if kind == "list":
        if not isinstance(value, list):
            return value
        return [_apply(plan[1], item) for item in value]
    if kind == "map":
        if not isinstance(value, Mapping):
            return value
        return {k: _apply(plan[1], v) for k, v in value.items()}
    if not isinstance(value, str):
        return value
    if kind == "timestamp":
        parts = _timestamp_parts(value)
        return value if parts is None else timestamp_pb2.Timestamp(seconds=parts[0], nanos=parts[1])
    if kind == "duration":
        return _duration(value)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return value


@functools.lru_cache(maxsize=4096)
def _timestamp_parts(text: str) -> tuple[int, int] | None:
    """(seconds, nanos) of an RFC 3339 time. Cached: protobuf parses with `strptime`, slow enough to
    show in a reconcile's profile, and every object carries several times (creation, managedFields)
    that recur from one reconcile to the next."""
    ts = timestamp_pb2.Timestamp()
    try:
        ts.FromJsonString(text)
    except ValueError:
        return None
    return ts.seconds, ts.nanos


_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_PART = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)")


def _duration(text: str) -> Any:
    if not _GO_DURATION.match(text):
        return text
    sign = -1 if text.startswith("-") else 1
    nanos = 0
    for number, unit in _PART.findall(text):
        whole, _, frac = number.partition(".")
        scale = _UNITS[unit]
        nanos += int(whole or "0") * scale
        if frac:
            nanos += int(frac.ljust(18, "0")[:18]) * scale // 10**18
    seconds, rest = divmod(sign * nanos, 10**9)
    if sign < 0 and rest:
        seconds, rest = seconds + 1, rest - 10**9
    return duration_pb2.Duration(seconds=seconds, nanos=rest)


def plain(value: Any, depth: int = 0) -> Any:
    """`value` with every Mapping as a dict and every tuple as a list (cel accepts only those).

    Returns the same object when nothing needs converting. Depth is bounded like the schemas.
    """
    if depth > 512:
        raise ValueError("value is nested too deeply")
    if isinstance(value, dict):
        changed = {k: plain(v, depth + 1) for k, v in value.items()}
        return value if all(changed[k] is value[k] for k in value) else changed
    if isinstance(value, Mapping):
        return {k: plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        items = [plain(v, depth + 1) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if isinstance(value, tuple):
        return [plain(v, depth + 1) for v in value]
    return value


Selection = dict[str, "Selection"]  # field → the part of it read; {} = all of it


def field_selection(paths: Iterable[str]) -> dict[str, Selection]:
    """Per variable that an expression only ever reaches through field selections (`schema.spec.x`),
    the tree of fields it selects; a variable also used whole (`size(schema.spec)` selects `spec` whole,
    `schema` alone all of it) is left out or cut at that field. `paths` are an expression's field
    paths (`AstInfo.paths`: macros, indexes and `has()` end a path at what they apply to)."""
    chains: dict[str, set[tuple[str, ...]]] = {}
    for path in paths:
        root, *fields = path.split(".")
        chains.setdefault(root, set()).add(tuple(fields))
    selections: dict[str, Selection] = {}
    for root, selected in chains.items():
        if () in selected:
            continue  # read whole
        tree: Selection = {}
        for chain in selected:
            if any(chain[:i] in selected for i in range(1, len(chain))):
                continue  # a shorter chain takes that field whole
            node = tree
            for name in chain:
                node = node.setdefault(name, {})
        selections[root] = tree
    return selections


def select_fields(value: Any, selection: Selection) -> Any:
    """`value` cut down to `selection` (shared, not copied); what it lacks stays absent, so presence
    tests and missing-key errors come out as on the whole value."""
    if not selection or type(value) is not dict:
        return value
    return {k: select_fields(value[k], sub) for k, sub in selection.items() if k in value}
