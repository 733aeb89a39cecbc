"""CEL results → JSON-native Python values (spec §3.8), guarded by the checked output type.

cel-expr-python crashes the interpreter when `plain_value()` meets an optional value inside a
map, and raises on optionals anywhere else. So `plain_value()` is only called when the checked
output type proves the result holds nothing but JSON-native values; every other result is walked
one `Value` at a time with `value()`, which raises a clean `TypeError` on an optional.

Conversions: int/double/bool/string/null as is; uint → int (error above int64); timestamp →
RFC3339 UTC with second precision (`2024-01-02T03:04:05Z`, the metav1.Time format); duration →
Go duration string (`1h0m0s`); bytes → error (kro refuses bytes in manifests); lists and maps
recursively; `optional.none()` at the top level → None.
"""

from __future__ import annotations

import datetime
from typing import Any

from pykro.cel.checked import CelType

INT64_MAX = 2**63 - 1
BYTES_ERROR = (
    "bytes value cannot be used directly in a resource or status field; "
    "encode it explicitly, e.g. base64.encode(...) or string(...)"
)
_PLAIN_KINDS = frozenset({"string", "int", "bool", "double", "null_type", "list", "map"})


class ConversionError(Exception):
    """The result cannot be represented as a JSON-native value."""


def is_plain(t: CelType) -> bool:
    """True when `plain_value()` is safe and exact for every value of type `t`."""
    return t.kind in _PLAIN_KINDS and all(is_plain(p) for p in t.params)


def rfc3339(ts: datetime.datetime) -> str:
    if ts.tzinfo is not None:
        ts = ts.astimezone(datetime.UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def go_duration(d: datetime.timedelta) -> str:
    """Go's `time.Duration.String()`."""
    nanos = (d.days * 86_400 + d.seconds) * 1_000_000_000 + d.microseconds * 1_000
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    nanos = abs(nanos)
    if nanos < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if nanos >= size:
                return f"{sign}{_fraction(nanos, size)}{unit}"
    hours, rest = divmod(nanos, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    seconds = _fraction(rest, 1_000_000_000)
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{sign}{minutes}m{seconds}s"
    return f"{sign}{seconds}s"


def _fraction(value: int, size: int) -> str:
    whole, frac = divmod(value, size)
    if not frac:
        return str(whole)
    digits = len(str(size)) - 1
    return f"{whole}.{str(frac).rjust(digits, '0').rstrip('0')}"


def convert(value: Any) -> Any:
    """Convert one `cel.Value` (any type) without ever calling `plain_value()` on a container."""
    kind = value.type().name()
    try:
        raw = value.value()
    except (TypeError, SystemError) as exc:
        raise ConversionError(
            "the result holds an optional value; unwrap it with .orValue(...) or .value()"
        ) from exc
    if kind == "ERROR":
        raise ConversionError(str(raw))
    return _native(raw)


def _native(raw: Any) -> Any:
    if raw is None or isinstance(raw, (bool, str, float)):
        return raw
    if isinstance(raw, int):
        if raw > INT64_MAX:
            raise ConversionError(f"unsigned integer {raw} overflows int64")
        return raw
    if isinstance(raw, list):
        return [convert(item) for item in raw]
    if isinstance(raw, dict):
        return {_key(k): convert(v) for k, v in raw.items()}
    if isinstance(raw, (bytes, bytearray)):
        raise ConversionError(BYTES_ERROR)
    if isinstance(raw, datetime.datetime):
        return rfc3339(raw)
    if isinstance(raw, datetime.timedelta):
        return go_duration(raw)
    if hasattr(raw, "value") and hasattr(raw, "type"):
        return convert(raw)
    raise ConversionError(f"a value of type {type(raw).__name__} cannot be used in a manifest")


def _key(key: Any) -> Any:
    if isinstance(key, (bytes, bytearray)):
        raise ConversionError(BYTES_ERROR)
    if isinstance(key, bool) or key is None:
        return key
    if isinstance(key, int) and key > INT64_MAX:
        raise ConversionError(f"unsigned integer {key} overflows int64")
    return key
