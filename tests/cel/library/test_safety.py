"""Hostile inputs get clean, bounded errors; values the engine cannot carry in `dyn` survive."""

from __future__ import annotations

import datetime

import pytest
from cel_expr_python import cel
from hypothesis import given, settings
from hypothesis import strategies as st

from pykro.cel.library import LibraryError, to_cel_value

from .celenv import EvalError, error, evaluate

BIG = (cel.Type.STRING, "x" * 1_000_000)


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("lists.range(1000000000)", "exceeds the limit"),
        ("random.seededString(1000000000, 'seed')", "exceeds the limit"),
        ("s.replace('', s)", "exceeds the limit"),
        ("[s, s, s, s, s].join(s)", "exceeds the limit"),
        ("'%.100000000f'.format([1.0])", "precision"),
        ("quantity('1e999999999')", "out of range"),
        ("lists.range(20000).distinct()", "exceeds the limit"),
        ("json.unmarshal(deep)", "json.unmarshal failed to parse JSON"),
    ],
)
@pytest.mark.timeout(60)  # a hang is a failure
def test_hostile_inputs_fail_fast_with_a_clear_error(expr: str, fragment: str) -> None:
    message = error(expr, s=BIG, deep=(cel.Type.STRING, "[" * 100_000))
    assert fragment in message


def test_deeply_nested_values_are_a_clean_error() -> None:
    nested: object = 1
    for _ in range(3000):
        nested = [nested]
    with pytest.raises(LibraryError, match="nested too deeply"):
        to_cel_value(nested)
    assert "nested too deeply" in error(
        "json.marshal(json.unmarshal(s))", s=(cel.Type.STRING, "[" * 900 + "]" * 900)
    )


def test_timestamps_and_durations_pass_through_dyn_results() -> None:
    stamp = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    times = (cel.Type.List(cel.Type.TIMESTAMP), [stamp])
    assert evaluate(
        "lists.setAtIndex(t, 0, t[0] + duration('1h'))[0]", t=times
    ) == stamp + datetime.timedelta(hours=1)
    assert evaluate("{'a': t[0]}.merge({'b': duration('2s')})", t=times) == {
        "a": stamp,
        "b": datetime.timedelta(seconds=2),
    }
    assert evaluate("[duration('3s'), duration('1s')].min()") == datetime.timedelta(seconds=1)
    assert evaluate("[t[0], t[0] + duration('1s')].max() > t[0]", t=times) is True


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=40))
def test_parsers_never_crash_on_arbitrary_strings(text: str) -> None:
    s = (cel.Type.STRING, text)
    for check in ("isQuantity(s)", "isSemver(s)", "isSemver(s, true)", "isIP(s)", "isCIDR(s)", "isURL(s)"):
        assert evaluate(check, s=s) in (True, False)
    try:
        evaluate("json.unmarshal(s)", s=s)
    except EvalError as err:
        assert "json.unmarshal failed to parse JSON" in str(err)
