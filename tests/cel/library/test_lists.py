"""List functions: cel-go ext.Lists, kro's index operations, Kubernetes list library."""

from __future__ import annotations

import pytest
from cel_expr_python import cel

from .celenv import compile_error, error, evaluate

INTS = (cel.Type.List(cel.Type.INT), [3, 1, 2])
STRS = (cel.Type.List(cel.Type.STRING), ["b", "a", "c"])


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # cel-go ext.Lists documentation examples.
        ("lists.range(4)", [0, 1, 2, 3]),
        ("lists.range(0)", []),
        ("[1, 2, 3, 4].slice(1, 3)", [2, 3]),
        ("[1, [2, 3], [4]].flatten()", [1, 2, 3, 4]),
        ("[1, [2, [3, 4]]].flatten()", [1, 2, [3, 4]]),
        ("[1, 2, [], [], [3, 4]].flatten()", [1, 2, 3, 4]),
        ("[1, [2, [3, [4]]]].flatten(2)", [1, 2, 3, [4]]),
        ("[3, 2, 1].sort()", [1, 2, 3]),
        ("['b', 'c', 'a'].sort()", ["a", "b", "c"]),
        ("[1, 2, 2, 3, 3, 3].distinct()", [1, 2, 3]),
        ("['b', 'b', 'c', 'a', 'c'].distinct()", ["b", "c", "a"]),
        ("[5, 3, 1, 2].reverse()", [2, 1, 3, 5]),
        ("['a', 'b'].reverse()", ["b", "a"]),
    ],
)
def test_cel_go_list_extension(expr: str, expected: list[object]) -> None:
    assert evaluate(expr) == expected


def test_list_extension_on_variables() -> None:
    assert evaluate("l.sort()", l=INTS) == [1, 2, 3]
    assert evaluate("l.slice(0, 1)", l=STRS) == ["b"]
    assert evaluate("lists.range(size(l)).map(i, l[i] + string(i))", l=STRS) == ["b0", "a1", "c2"]


def test_sort_by_macro() -> None:
    # cel-go sortBy documentation example.
    people = (
        cel.Type.List(cel.Type.Map(cel.Type.STRING, cel.Type.DYN)),
        [{"name": "foo", "score": 0}, {"name": "bar", "score": -10}, {"name": "baz", "score": 1000}],
    )
    assert evaluate("people.sortBy(e, e.score).map(e, e.name)", people=people) == ["bar", "foo", "baz"]
    assert evaluate("[3, 1, 2].sortBy(v, -v)") == [3, 2, 1]
    assert evaluate("l.sortBy(s, s)", l=STRS) == ["a", "b", "c"]


def test_list_extension_errors() -> None:
    assert "same type" in error("[1, 'a'].sort()")
    assert error("[1, 2].slice(2, 1)")


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # Examples from upstream kro's lists.go documentation.
        ("lists.setAtIndex([1, 2, 3], 1, 99)", [1, 99, 3]),
        ("lists.setAtIndex(['a', 'b', 'c'], 0, 'z')", ["z", "b", "c"]),
        ("lists.insertAtIndex([1, 2, 3], 1, 99)", [1, 99, 2, 3]),
        ("lists.insertAtIndex([1, 2, 3], 0, 99)", [99, 1, 2, 3]),
        ("lists.insertAtIndex([1, 2, 3], 3, 99)", [1, 2, 3, 99]),
        ("lists.removeAtIndex([1, 2, 3], 1)", [1, 3]),
        ("lists.removeAtIndex([1, 2, 3], 0)", [2, 3]),
        ("lists.removeAtIndex([1, 2, 3], 2)", [1, 2]),
        ("lists.setAtIndex([{'a': 1}], 0, {'b': 2})", [{"b": 2}]),
    ],
)
def test_kro_index_operations(expr: str, expected: list[object]) -> None:
    assert evaluate(expr) == expected


def test_kro_index_operations_on_typed_lists() -> None:
    assert evaluate("lists.setAtIndex(l, 2, 7)", l=INTS) == [3, 1, 7]
    assert evaluate("lists.insertAtIndex(l, 1, 'z')", l=STRS) == ["b", "z", "a", "c"]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("lists.setAtIndex([1, 2, 3], 3, 0)", "lists.setAtIndex: index 3 out of bounds [0, 3)"),
        ("lists.setAtIndex([1, 2, 3], -1, 0)", "lists.setAtIndex: index -1 out of bounds [0, 3)"),
        ("lists.insertAtIndex([1, 2, 3], 4, 0)", "lists.insertAtIndex: index 4 out of bounds [0, 3]"),
        ("lists.removeAtIndex([], 0)", "lists.removeAtIndex: index 0 out of bounds [0, 0)"),
    ],
)
def test_kro_index_operations_out_of_bounds(expr: str, message: str) -> None:
    assert message in error(expr)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # Kubernetes list library documentation examples.
        ("[1, 2, 3].isSorted()", True),
        ("['a', 'b', 'b', 'c'].isSorted()", True),
        ("[2.0, 1.0].isSorted()", False),
        ("[].isSorted()", True),
        ("[1, 2, 3].sum()", 6),
        ("[1.0, 2.5].sum()", 3.5),
        ("[].sum()", 0),
        ("[1, 2, 3].min()", 1),
        ("['d', 'a', 'b', 'c'].min()", "a"),
        ("[1, 2, 3].max()", 3),
        ("[1, 2, 3].indexOf(2)", 1),
        ("['a', 'b', 'b', 'c'].indexOf('b')", 1),
        ("[1.0].indexOf(1.1)", -1),
        ("[[1], [2]].indexOf([2])", 1),
        ("[{'a': 1}].indexOf({'a': 1})", 0),
        ("['a', 'b', 'b', 'c'].lastIndexOf('b')", 2),
        ("[1, 2, 3].lastIndexOf(4)", -1),
        ("[true, 1].indexOf(1)", 1),
    ],
)
def test_kubernetes_list_library(expr: str, expected: object) -> None:
    assert evaluate(expr) == expected


def test_kubernetes_list_library_on_typed_values() -> None:
    assert evaluate("l.sum()", l=INTS) == 6
    assert evaluate("l.max()", l=INTS) == 3
    assert evaluate("l.isSorted()", l=STRS) is False
    assert evaluate("l.indexOf(1)", l=INTS) == 1
    assert evaluate("[duration('1s'), duration('2s')].sum() == duration('3s')") is True


def test_kubernetes_list_library_errors() -> None:
    assert "min called on empty list" in error("[].min()")
    assert "max called on empty list" in error("[].max()")
    assert "same type" in error("[1, 'a'].isSorted()")
    assert "integer overflow" in error("[9223372036854775807, 1].sum()")


def test_string_and_list_overloads_share_names() -> None:
    assert evaluate("'hello'.indexOf('l') + ['h', 'l'].indexOf('l')") == 3
    assert evaluate("'abc'.reverse() + string(size([1, 2].reverse()))") == "cba2"
    assert "no matching overload" in compile_error("1.indexOf(1)")


def test_library_helpers_take_whole_objects_with_timestamps() -> None:
    """sortBy/distinct hand whole Kubernetes objects back to CEL; their timestamps arrive in Python as
    `datetime` and must go back as CEL timestamps (once "Non-CEL value type ... datetime")."""
    import datetime

    from pykro.cel.library._delegate import evaluate as delegate

    created = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    objects = [{"metadata": {"name": n, "creationTimestamp": created}} for n in ("b", "a")]
    pairs = [[o, o["metadata"]["name"]] for o in objects]
    ordered = delegate("l.sortBy(e, e[1]).map(e, e[0])", l=pairs)
    assert [o["metadata"]["name"] for o in ordered] == ["a", "b"]
    assert ordered[0]["metadata"]["creationTimestamp"] == created
    assert len(delegate("l.distinct()", l=objects + objects)) == 2
