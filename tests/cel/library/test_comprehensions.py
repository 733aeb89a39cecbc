"""Two-variable comprehensions (cel-go ext.TwoVarComprehensions), bindings, optionals, encoders."""

from __future__ import annotations

import pytest
from cel_expr_python import cel
from hypothesis import given, settings
from hypothesis import strategies as st

from pykro.cel.library import rewrite_macros

from .celenv import error, evaluate

M = (cel.Type.Map(cel.Type.STRING, cel.Type.INT), {"a": 1, "b": 2})
L = (cel.Type.List(cel.Type.INT), [1, 2, 3])


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # cel-go TwoVarComprehensions documentation examples.
        ("[1, 2, 3].all(i, j, i < j)", True),
        ("{'hello': 'world', 'taco': 'taco'}.all(k, v, k != v)", False),
        ("{'h': ['hello', 'hi'], 'j': ['joke', 'jog']}.all(k, vals, vals.all(v, v.startsWith(k)))", True),
        (
            "{'greeting': 'hello', 'farewell': 'goodbye'}.exists(k, v, k.startsWith('good') || "
            "v.endsWith('bye'))",
            True,
        ),
        ("[1, 2, 4, 8, 16].exists(i, v, v == 1024 && i == 10)", False),
        ("[1, 2, 1, 3, 1, 4].existsOne(i, v, i == 1 || v == 1)", False),
        ("[1, 1, 1, 1, 1].existsOne(i, v, i == 2 && v == 1)", True),
        ("{'a': 'b', 'c': 'c'}.existsOne(k, v, k == v)", True),
        ("[1, 2, 3].transformList(indexVar, valueVar, (indexVar * valueVar) + valueVar)", [1, 4, 9]),
        (
            "[1, 2, 3].transformList(indexVar, valueVar, indexVar % 2 == 0, "
            "(indexVar * valueVar) + valueVar)",
            [1, 9],
        ),
        # Map iteration order is unspecified, hence the sort.
        (
            "{'greeting': 'hello', 'farewell': 'goodbye'}.transformList(k, _, k).sort()",
            ["farewell", "greeting"],
        ),
        ("{'greeting': 'hello'}.transformMap(k, v, v + '!')", {"greeting": "hello!"}),
        ("[1, 2, 3].transformMap(i, v, v * 2)", {0: 2, 1: 4, 2: 6}),
        ("[1, 2, 3].transformMap(i, v, i > 0, v * 2)", {1: 4, 2: 6}),
        (
            "{'hello': 'world', 'greetings': 'tacocat'}.transformMapEntry(k, v, {v: k})",
            {"world": "hello", "tacocat": "greetings"},
        ),
        ("{'a': 1, 'b': 2}.transformMapEntry(k, v, v > 1, {k + k: v})", {"bb": 2}),
    ],
)
def test_two_variable_comprehensions(expr: str, expected: object) -> None:
    assert evaluate(expr) == expected


def test_comprehensions_over_typed_variables() -> None:
    assert evaluate("m.transformMap(k, v, v * 10)", m=M) == {"a": 10, "b": 20}
    assert evaluate("m.transformMapEntry(k, v, {k.upperAscii(): v})", m=M) == {"A": 1, "B": 2}
    assert evaluate("l.transformMap(i, v, string(v))", l=L) == {0: "1", 1: "2", 2: "3"}
    assert evaluate("l.all(i, v, v == i + 1)", l=L) is True
    assert evaluate("m.transformMap(k, v, m.transformMap(k2, v2, v + v2))", m=M) == {
        "a": {"a": 2, "b": 3},
        "b": {"a": 3, "b": 4},
    }


def test_transform_map_entry_rejects_duplicate_keys() -> None:
    assert "already exists" in error("{'a': 1, 'b': 1}.transformMapEntry(k, v, {'same': v})")


def test_bindings_optionals_and_encoders() -> None:
    assert evaluate("cel.bind(x, 'a', x + x)") == "aa"
    obj = (cel.Type.Map(cel.Type.STRING, cel.Type.DYN), {"metadata": {"name": "n"}})
    assert evaluate("obj.metadata.?generateName.orValue('not-set')", obj=obj) == "not-set"
    assert evaluate("obj.?metadata.name.orValue('x')", obj=obj) == "n"
    assert evaluate("optional.of(1).hasValue() && !optional.none().hasValue()") is True
    assert evaluate("{'a': 1}[?'b'].orValue(5)") == 5
    assert evaluate("base64.encode(b'hello')") == "aGVsbG8="
    assert bytes(evaluate("base64.decode('aGVsbG8=')")) == b"hello"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("m.transformMap(k, v, v)", "m.transformList(k, v, [k, v]).kroMapFromPairs__()"),
        ("m.transformMap(k, v, v > 0, v)", "m.transformList(k, v, v > 0, [k, v]).kroMapFromPairs__()"),
        ("m.transformMapEntry(k, v, {v: k})", "m.transformList(k, v, {v: k}).kroMapFromEntries__()"),
        ("l.sortBy(x, x.a)", "l.map(x, [x, x.a]).kroSortByAssociatedKeys__()"),
        ("'m.transformMap(k, v, v)'", "'m.transformMap(k, v, v)'"),
        ("\"a.sortBy(x, y)\" + r'\\''", "\"a.sortBy(x, y)\" + r'\\''"),
        ("a.transformMapX(k, v, v)", "a.transformMapX(k, v, v)"),
        ("a.sortBy(x)", "a.sortBy(x)"),
        ("f(a.sortBy(x, g(x, ',')), 'b')", "f(a.map(x, [x, g(x, ',')]).kroSortByAssociatedKeys__(), 'b')"),
    ],
)
def test_rewrite_macros(source: str, expected: str) -> None:
    assert rewrite_macros(source) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abk v.,()[]{}'\"\\rsortByMap", max_size=60))
def test_rewrite_macros_never_crashes_and_keeps_macro_free_text(text: str) -> None:
    rewritten = rewrite_macros(text)
    if "sortBy" not in text and "transformMap" not in text:
        assert rewritten == text
