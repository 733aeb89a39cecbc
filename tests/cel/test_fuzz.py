"""Hypothesis: arbitrary text through the scanner and the full compile + evaluate path.

The scanner runs in process. The CEL path runs in a child interpreter (`python -m
tests.cel.test_fuzz`) so that a native crash would fail the test instead of killing pytest.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykro.cel import CelCompiler, CelError, ScanError, Template, find_expressions, parse_value
from pykro.cel.scanner import go_quote

ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)
BRACEY = st.text(alphabet=st.sampled_from(list("${}\"\\'ab .\n")), max_size=300)
TOKENS = [
    "x",
    "x.a",
    "x.?a",
    "schema.spec.name",
    "schema.spec.replicas",
    "schema.metadata.labels",
    "1",
    "-1",
    "2.5",
    "'s'",
    '"t"',
    "b'\\x00'",
    "true",
    "null",
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    ",",
    ":",
    "+",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    "&&",
    "||",
    "!",
    "?",
    ".",
    "in",
    "has(",
    "size(",
    "string(",
    "int(",
    ".map(i, ",
    ".filter(i, ",
    ".all(i, v, ",
    ".orValue(",
    "optional.of(",
    "optional.none()",
    "dyn(",
    "lists.range(",
    "json.marshal(",
    "json.unmarshal(",
    ".transformMap(k, v, ",
    "hash.md5(",
    "base64.encode(",
    "timestamp(",
    "duration(",
    "'1h'",
    "i",
    "k",
    "v",
    "9" * 40,
    "'" + "a" * 2000 + "'",
    "(" * 300,
    ")" * 300,
    "\ud800",
    "\x00",
    "${",
    "\u2028",
]
CEL_ISH = st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join)

ATOMS = st.one_of(
    st.sampled_from(
        [
            "x",
            "x.a",
            "x.a[0]",
            "x.a[1].b",
            "x.nope",
            "schema.spec.name",
            "schema.spec.replicas",
            "schema.metadata.labels",
            "schema.metadata",
            "i",
            "null",
            "true",
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=20).map(go_quote),
    st.binary(max_size=8).map(lambda b: "b" + go_quote(b.decode("latin-1"))),
)


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "%", "==", "<", "&&", "||", "in"]), inner)
    return st.one_of(
        binary.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(
            st.sampled_from(
                [
                    "size",
                    "string",
                    "int",
                    "double",
                    "has",
                    "dyn",
                    "type",
                    "json.marshal",
                    "base64.encode",
                    "hash.sha256",
                    "optional.of",
                    "lists.range",
                ]
            ),
            inner,
        ).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(
            inner,
            st.sampled_from(
                [
                    "size()",
                    "orValue(1)",
                    "lowerAscii()",
                    "split(',')",
                    "join('-')",
                    "merge({'k': 1})",
                    "hasValue()",
                ]
            ),
        ).map(lambda t: f"{t[0]}.{t[1]}"),
        st.tuples(inner, st.sampled_from(["map", "filter", "all", "exists"]), inner).map(
            lambda t: f"{t[0]}.{t[1]}(i, {t[2]})"
        ),
        st.tuples(inner, st.sampled_from(["a", "b", "name", "labels"])).map(lambda t: f"{t[0]}.?{t[1]}"),
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(inner, inner), max_size=3).map(
            lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"
        ),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
    )


GRAMMAR = st.recursive(ATOMS, _extend, max_leaves=12)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(ANY_TEXT, BRACEY))
def test_scanner_never_fails_uncleanly(text: str) -> None:
    try:
        matches = find_expressions(text)
    except ScanError as err:
        assert "nested expressions are not allowed" in str(err)
        return
    cursor = 0
    for m in matches:
        assert m.start >= cursor
        assert text[m.start : m.end] == "${" + m.expression + "}"
        cursor = m.end
    value = parse_value(text)
    if isinstance(value, Template):
        assert "".join(p if isinstance(p, str) else text[p.start : p.end] for p in value.parts) == text


@pytest.mark.timeout(60)  # quadratic scanning would not finish
def test_scanner_is_linear_enough_on_pathological_input() -> None:
    for text in ['${"' * 2000, "${" + "{" * 20000, "${" + '"' * 20000, "$" * 20000 + "{"]:
        try:
            find_expressions(text)
        except ScanError:
            pass


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_quoted_literals_round_trip_through_cel(text: str) -> None:
    compiler = CelCompiler({})
    checked = compiler.check(go_quote(text))
    assert checked.type_name == "string"
    from pykro.cel import evaluate

    assert evaluate(checked.program, {}) == text


def _pipeline_fuzz() -> None:
    from pykro.cel import compile_untyped, evaluate

    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "replicas": {"type": "integer"}},
            },
            "metadata": {
                "type": "object",
                "properties": {"labels": {"type": "object", "additionalProperties": {"type": "string"}}},
            },
        },
    }
    compiler = CelCompiler({"schema": schema, "x": {}})
    data = {"schema": {"spec": {"name": "n", "replicas": 2}, "metadata": {}}, "x": {"a": [1, {"b": None}]}}

    @settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.one_of(GRAMMAR, GRAMMAR, CEL_ISH, ANY_TEXT, BRACEY))
    def run(text: str) -> None:
        for build in (lambda: compiler.check(text).program, lambda: compile_untyped(text)):
            try:
                evaluate(build(), data)
            except CelError:
                pass

    run()
    print("pipeline fuzz ok")


def test_full_pipeline_never_crashes_or_hangs() -> None:
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "tests.cel.test_fuzz"], cwd=root, capture_output=True, text=True, timeout=240
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "pipeline fuzz ok" in proc.stdout


if __name__ == "__main__":
    _pipeline_fuzz()
