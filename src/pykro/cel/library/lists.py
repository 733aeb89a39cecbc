"""List functions: cel-go `ext.Lists`, kro's index operations and the Kubernetes list library.

cel-go ext (slice, flatten, sort, distinct, reverse) is forwarded to the bundled cel-cpp `lists`
extension; `lists.range` is ours so that its size is bounded; `sortBy` is a macro in cel-go and is
rewritten by `pykro.cel.library.comprehensions.rewrite_macros` into a call of `SORT_BY_PAIRS`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from pykro.cel.library._base import (
    ANY,
    DYN_LIST,
    MAX_QUADRATIC_ELEMENTS,
    Fn,
    LibraryError,
    T,
    cel_equal,
    check_list_size,
    fn,
    member,
)
from pykro.cel.library._delegate import evaluate

# Target of the `sortBy` rewrite: receiver is a list of [element, key] pairs.
SORT_BY_PAIRS = "kroSortByAssociatedKeys__"

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _forward(expr: str, *names: str) -> Callable[..., Any]:
    def impl(*args: Any) -> Any:
        return evaluate(expr, **dict(zip(names, args, strict=True)))

    return impl


def _range(n: int) -> list[int]:
    check_list_size("lists.range", n)
    return list(range(max(n, 0)))


def _distinct(items: list[Any]) -> Any:
    check_list_size("distinct", len(items), MAX_QUADRATIC_ELEMENTS)
    return evaluate("l.distinct()", l=items)


def _sort_by_pairs(pairs: list[Any]) -> Any:
    return evaluate("l.sortBy(e, e[1]).map(e, e[0])", l=pairs)


def _check_index(name: str, index: int, size: int, *, inclusive: bool) -> None:
    upper_ok = index <= size if inclusive else index < size
    if index < 0 or not upper_ok:
        bracket = "]" if inclusive else ")"
        raise LibraryError(f"{name}: index {index} out of bounds [0, {size}{bracket}")


def _set_at_index(items: list[Any], index: int, value: Any) -> list[Any]:
    _check_index("lists.setAtIndex", index, len(items), inclusive=False)
    return [*items[:index], value, *items[index + 1 :]]


def _insert_at_index(items: list[Any], index: int, value: Any) -> list[Any]:
    _check_index("lists.insertAtIndex", index, len(items), inclusive=True)
    return [*items[:index], value, *items[index:]]


def _remove_at_index(items: list[Any], index: int) -> list[Any]:
    _check_index("lists.removeAtIndex", index, len(items), inclusive=False)
    return [*items[:index], *items[index + 1 :]]


def _order_class(value: Any) -> str:
    """Values of one class are mutually comparable in CEL (int, uint and double compare numerically)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    for cls, name in (
        (str, "string"),
        (bytes, "bytes"),
        (bytearray, "bytes"),
        (datetime.datetime, "timestamp"),
        (datetime.timedelta, "duration"),
    ):
        if isinstance(value, cls):
            return name
    raise LibraryError(f"no such overload: values of type {type(value).__name__} are not comparable")


def _comparable(name: str, items: list[Any]) -> list[Any]:
    classes = {_order_class(item) for item in items}
    if len(classes) > 1:
        raise LibraryError(f"{name}: list elements must have the same type, got {sorted(classes)}")
    return [bytes(item) if isinstance(item, bytearray) else item for item in items]


def _extreme(name: str, pick: Callable[[list[Any]], Any]) -> Callable[[list[Any]], Any]:
    def impl(items: list[Any]) -> Any:
        if not items:
            raise LibraryError(f"{name} called on empty list")
        return pick(_comparable(name, items))

    return impl


def _is_sorted(items: list[Any]) -> bool:
    values = _comparable("isSorted", items)
    return all(a <= b for a, b in zip(values, values[1:], strict=False))


def _sum(items: list[Any]) -> Any:
    if not items:
        return 0
    classes = {_order_class(item) for item in items}
    if classes == {"number"}:
        if all(isinstance(item, int) for item in items):
            total = sum(items)
            if not _INT64_MIN <= total <= _INT64_MAX:
                raise LibraryError("sum: integer overflow")
            return total
        return float(sum(items))
    if classes == {"duration"}:
        return sum(items, datetime.timedelta())
    raise LibraryError(f"sum: no such overload for elements of type {sorted(classes)}")


def _index_of(items: list[Any], value: Any) -> int:
    return next((i for i, item in enumerate(items) if cel_equal(item, value)), -1)


def _last_index_of(items: list[Any], value: Any) -> int:
    return next((i for i in range(len(items) - 1, -1, -1) if cel_equal(items[i], value)), -1)


def functions() -> list[Fn]:
    L, INT = DYN_LIST, T.INT
    return [
        # cel-go ext.Lists
        *fn("lists.range", "kro_lists_range_int", T.List(INT), [INT], _range),
        *member(
            "slice", "kro_list_slice_int_int", L, [L, INT, INT], _forward("l.slice(a, b)", "l", "a", "b")
        ),
        *member("flatten", "kro_list_flatten", L, [L], _forward("l.flatten()", "l")),
        *member("flatten", "kro_list_flatten_int", L, [L, INT], _forward("l.flatten(a)", "l", "a")),
        *member("sort", "kro_list_sort", L, [L], _forward("l.sort()", "l")),
        *member("distinct", "kro_list_distinct", L, [L], _distinct),
        *member("reverse", "kro_list_reverse", L, [L], _forward("l.reverse()", "l")),
        *member(SORT_BY_PAIRS, "kro_list_sort_by_pairs", L, [L], _sort_by_pairs),
        # kro
        *fn("lists.setAtIndex", "kro_lists_set_at_index", L, [L, INT, ANY], _set_at_index),
        *fn("lists.insertAtIndex", "kro_lists_insert_at_index", L, [L, INT, ANY], _insert_at_index),
        *fn("lists.removeAtIndex", "kro_lists_remove_at_index", L, [L, INT], _remove_at_index),
        # Kubernetes
        *member("isSorted", "kro_list_is_sorted", T.BOOL, [L], _is_sorted),
        *member("sum", "kro_list_sum", T.DYN, [L], _sum),
        *member("min", "kro_list_min", T.DYN, [L], _extreme("min", min)),
        *member("max", "kro_list_max", T.DYN, [L], _extreme("max", max)),
        *member("indexOf", "kro_list_index_of", INT, [L, ANY], _index_of),
        *member("lastIndexOf", "kro_list_last_index_of", INT, [L, ANY], _last_index_of),
    ]
