"""kro's own functions (upstream `pkg/cel/library`): hash, json, maps, random and omit()."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import math
from decimal import Decimal
from typing import Any

from pykro import fnv
from pykro.cel.library._base import (
    ANY,
    DYN_MAP,
    Fn,
    LibraryError,
    T,
    check_string_size,
    fn,
    member,
)

_ALPHANUMERIC = "0123456789abcdefghijklmnopqrstuvwxyz"
_U64 = 2**64

# omit() evaluates to this single-entry map; the resolver deletes every field holding it.
OMIT_KEY = "@kro.omit"


def is_omit(value: object) -> bool:
    """True when an evaluation result is the `omit()` sentinel."""
    return isinstance(value, dict) and len(value) == 1 and value.get(OMIT_KEY) is True


def _omit() -> dict[str, bool]:
    return {OMIT_KEY: True}


# --- hash -------------------------------------------------------------------------------------


def fnv64a(data: bytes) -> bytes:
    """kro's `hash.fnv64a`: the FNV-64a digest as 8 big-endian bytes."""
    return fnv.fnv64a(data).to_bytes(8, "big")


# --- json -------------------------------------------------------------------------------------


def _go_float(value: float) -> str:
    """Format a float the way Go's encoding/json does (shortest round-trip digits)."""
    if not math.isfinite(value):
        raise LibraryError(
            f"json.marshal failed to encode value: json: unsupported value: {_go_special(value)}"
        )
    magnitude = abs(value)
    if magnitude == 0 or 1e-6 <= magnitude < 1e21:
        text = format(Decimal(repr(value)), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "-0" if text == "-0" else text
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    sign, digits = exponent[0], exponent[1:].lstrip("0") or "0"
    if len(digits) < 2 and sign == "+":
        digits = digits.rjust(2, "0")
    return f"{mantissa}e{sign}{digits}"


def _go_special(value: float) -> str:
    return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")


def _to_go_json(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, str):
        return _go_string(value)
    if isinstance(value, bytes | bytearray):
        return _go_string(base64.b64encode(bytes(value)).decode())
    if isinstance(value, datetime.datetime):
        return _go_string(_rfc3339nano(value))
    if isinstance(value, datetime.timedelta):
        # Go's time.Duration marshals as its integer nanosecond count.
        return str((value.days * 86_400 + value.seconds) * 1_000_000_000 + value.microseconds * 1_000)
    if isinstance(value, list):
        return "[" + ",".join(_to_go_json(item) for item in value) + "]"
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise LibraryError(f"json.marshal failed to convert value: map key {key!r} is not a string")
        return "{" + ",".join(f"{_go_string(k)}:{_to_go_json(value[k])}" for k in sorted(value)) + "}"
    raise LibraryError(f"json.marshal failed to convert value: unsupported type {type(value).__name__}")


def _go_string(text: str) -> str:
    encoded = json.dumps(text, ensure_ascii=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        encoded = encoded.replace(char, escape)
    return encoded


def _rfc3339nano(ts: datetime.datetime) -> str:
    ts = ts.astimezone(datetime.UTC)
    base = ts.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{ts.microsecond:06d}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def _marshal(value: Any) -> str:
    text = _to_go_json(value)
    check_string_size("json.marshal", len(text))
    return text


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


def _unmarshal(text: str) -> Any:
    try:
        return json.loads(text, parse_int=float, parse_constant=_reject_constant)
    except RecursionError:
        raise LibraryError("json.unmarshal failed to parse JSON: exceeded max depth") from None
    except ValueError as err:
        raise LibraryError(f"json.unmarshal failed to parse JSON: {err}") from None


# --- maps -------------------------------------------------------------------------------------


def _merge(base: dict[Any, Any], other: dict[Any, Any]) -> dict[Any, Any]:
    return {**base, **other}


def deep_merge(base: dict[Any, Any], other: dict[Any, Any]) -> dict[Any, Any]:
    if not other:
        return base
    if not base:
        return other
    merged = dict(base)
    for key, value in other.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


# --- random -----------------------------------------------------------------------------------


def seeded_string(length: int, seed: str) -> str:
    if length <= 0:
        raise LibraryError("random.seededString length must be positive")
    check_string_size("random.seededString", length)
    digest = hashlib.sha256(seed.encode()).digest()
    # Upstream reads 4 bytes at offset (i*4)%32; its "rehash" branch can never trigger, so the
    # output repeats with period 8. Reproduced as is: outputs must match kro's.
    chars = []
    for i in range(length):
        start = (i * 4) % len(digest)
        chars.append(_ALPHANUMERIC[int.from_bytes(digest[start : start + 4], "big") % len(_ALPHANUMERIC)])
    return "".join(chars)


def _wrap_int64(value: int) -> int:
    value %= _U64
    return value - _U64 if value >= 2**63 else value


def seeded_int(minimum: int, maximum: int, seed: str) -> int:
    if minimum >= maximum:
        raise LibraryError("random.seededInt min must be less than max")
    v = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    range_size = (maximum - minimum) % _U64
    return _wrap_int64(minimum + _wrap_int64(v % range_size))


def functions(*, enable_omit: bool = False) -> list[Fn]:
    S, B = T.STRING, T.BYTES
    fns = [
        *fn("hash.fnv64a", "kro_hash_fnv64a_string", B, [S], lambda s: fnv64a(s.encode())),
        *fn("hash.sha256", "kro_hash_sha256_string", B, [S], lambda s: hashlib.sha256(s.encode()).digest()),
        *fn("hash.md5", "kro_hash_md5_string", B, [S], lambda s: hashlib.md5(s.encode()).digest()),
        *fn("json.unmarshal", "kro_json_unmarshal_string", T.DYN, [S], _unmarshal),
        *fn("json.marshal", "kro_json_marshal", S, [ANY], _marshal),
        *member("merge", "kro_map_merge", DYN_MAP, [DYN_MAP, DYN_MAP], _merge),
        *member("deepMerge", "kro_map_deep_merge", T.DYN, [DYN_MAP, DYN_MAP], deep_merge),
        *fn("random.seededString", "kro_random_seeded_string_int_string", S, [T.INT, S], seeded_string),
        *fn("random.seededInt", "kro_random_seeded_int_int_int_string", T.INT, [T.INT, T.INT, S], seeded_int),
    ]
    if enable_omit:
        fns += fn("omit", "kro_omit", T.DYN, [], _omit)
    return fns


__all__ = ["OMIT_KEY", "deep_merge", "fnv64a", "functions", "is_omit", "seeded_int", "seeded_string"]
