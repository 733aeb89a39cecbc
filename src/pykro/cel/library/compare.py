"""`isGreaterThan`, `isLessThan`, `compareTo`: shared by Quantity and Semver values.

Both kinds share one CEL representation (see `_opaque`), so one overload per function dispatches
on the value's tag; comparing a Quantity with a Semver is a "no such overload" error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pykro.cel.library import _opaque, quantity, semver
from pykro.cel.library._base import Fn, LibraryError, T, member

_COMPARERS: dict[str, Callable[[Any, Any, str], int]] = {
    "quantity": quantity.compare,
    "semver": semver.compare,
}


def _compare(function: str) -> Callable[[Any, Any], int]:
    def impl(a: Any, b: Any) -> int:
        kind = _opaque.kind_of(a)
        comparer = _COMPARERS.get(kind or "")
        if comparer is None or _opaque.kind_of(b) != kind:
            raise LibraryError(f"no such overload: {function} applies to two Quantity or two Semver values")
        return comparer(a, b, function)

    return impl


def functions() -> list[Fn]:
    V = _opaque.OPAQUE_TYPE
    cmp = _compare("compareTo")
    gt, lt = _compare("isGreaterThan"), _compare("isLessThan")
    return [
        *member("compareTo", "kro_opaque_compare_to", T.INT, [V, V], cmp),
        *member("isGreaterThan", "kro_opaque_is_greater_than", T.BOOL, [V, V], lambda a, b: gt(a, b) > 0),
        *member("isLessThan", "kro_opaque_is_less_than", T.BOOL, [V, V], lambda a, b: lt(a, b) < 0),
    ]
