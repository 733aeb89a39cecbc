"""Kubernetes Quantity library: quantity(), isQuantity() and Quantity member functions.

Values are exact (fractions rounded up, away from zero, to nano units, like Kubernetes' parser) and
carried as `{"@kro.quantity": "<exact decimal>"}` (see `_opaque`).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

from pykro.cel.library import _opaque
from pykro.cel.library._base import Fn, LibraryError, T, fn, member, validator

_QUANTITY = re.compile(r"^([+-]?)([0-9]*)(?:\.([0-9]*))?(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|[numkMGTPE]?)$")
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_MAX_EXPONENT = 1_000  # far beyond any real quantity; stops "1e999999999" from exhausting memory
_NANO = 10**9
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def parse_quantity(text: str) -> Fraction:
    """Parse a Kubernetes quantity string into its exact value."""
    match = _QUANTITY.match(text)
    if match is None or len(text) > 256:
        raise LibraryError(
            f"quantities must match the regular expression "
            f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text!r}"
        )
    sign, whole, fraction, suffix = match.groups()
    if not whole and not fraction:
        raise LibraryError(f"quantity {text!r} has no digits")
    value = Fraction(int(whole or "0")) + (Fraction(int(fraction), 10 ** len(fraction)) if fraction else 0)
    if suffix in _BINARY:
        value *= _BINARY[suffix]
    else:
        exponent = _DECIMAL[suffix] if suffix in _DECIMAL else int(suffix[1:])
        if abs(exponent) > _MAX_EXPONENT:
            raise LibraryError(f"quantity {text!r} exponent is out of range")
        value *= Fraction(10) ** exponent
    if sign == "-":
        value = -value
    return _round_nano(value)


def _round_nano(value: Fraction) -> Fraction:
    scaled = value * _NANO
    rounded = math.ceil(scaled) if scaled >= 0 else math.floor(scaled)
    return Fraction(rounded, _NANO)


def _canonical(value: Fraction) -> str:
    nanos = int(value * _NANO)
    sign = "-" if nanos < 0 else ""
    whole, frac = divmod(abs(nanos), _NANO)
    return f"{sign}{whole}.{frac:09d}".rstrip("0").rstrip(".") if frac else f"{sign}{whole}"


def to_value(value: Fraction) -> dict[str, str]:
    return _opaque.wrap("quantity", _canonical(value))


def from_value(value: Any, function: str) -> Fraction:
    return Fraction(_opaque.unwrap("quantity", value, function))


_is_quantity = validator(parse_quantity)


def _as_integer(q: Any) -> int:
    value = from_value(q, "asInteger")
    if value.denominator != 1 or not _INT64_MIN <= value <= _INT64_MAX:
        raise LibraryError("cannot convert value to integer")
    return int(value)


def _is_integer(q: Any) -> bool:
    value = from_value(q, "isInteger")
    return value.denominator == 1 and _INT64_MIN <= value <= _INT64_MAX


def _sign(q: Any) -> int:
    value = from_value(q, "sign")
    return (value > 0) - (value < 0)


def _arith(name: str, direction: int) -> Any:
    def impl(q: Any, other: Any) -> dict[str, str]:
        rhs = (
            Fraction(other)
            if isinstance(other, int) and not isinstance(other, bool)
            else from_value(other, name)
        )
        return to_value(from_value(q, name) + direction * rhs)

    return impl


def compare(a: Any, b: Any, function: str) -> int:
    left, right = from_value(a, function), from_value(b, function)
    return (left > right) - (left < right)


def functions() -> list[Fn]:
    Q = _opaque.OPAQUE_TYPE
    return [
        *fn("quantity", "kro_quantity_string", Q, [T.STRING], lambda s: to_value(parse_quantity(s))),
        *fn("isQuantity", "kro_is_quantity_string", T.BOOL, [T.STRING], _is_quantity),
        *member("sign", "kro_quantity_sign", T.INT, [Q], _sign),
        *member("isInteger", "kro_quantity_is_integer", T.BOOL, [Q], _is_integer),
        *member("asInteger", "kro_quantity_as_integer", T.INT, [Q], _as_integer),
        *member(
            "asApproximateFloat",
            "kro_quantity_as_approximate_float",
            T.DOUBLE,
            [Q],
            lambda q: float(from_value(q, "asApproximateFloat")),
        ),
        *member("add", "kro_quantity_add_quantity", Q, [Q, Q], _arith("add", 1)),
        *member("add", "kro_quantity_add_int", Q, [Q, T.INT], _arith("add", 1)),
        *member("sub", "kro_quantity_sub_quantity", Q, [Q, Q], _arith("sub", -1)),
        *member("sub", "kro_quantity_sub_int", Q, [Q, T.INT], _arith("sub", -1)),
    ]
