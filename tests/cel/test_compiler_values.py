"""Result conversion (spec §3.8) and schema-aware activation data."""

from __future__ import annotations

from typing import Any

import pytest

from pykro.cel import CelCompiler, DataPreparer, evaluate

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "when": {"type": "string", "format": "date-time"},
        "ttl": {"type": "string", "format": "duration"},
        "blob": {"type": "string", "format": "byte"},
        "stamps": {"type": "array", "items": {"type": "string", "format": "date-time"}},
        "byName": {"type": "object", "additionalProperties": {"type": "string", "format": "byte"}},
        "plain": {"type": "object", "properties": {"s": {"type": "string"}}},
    },
}


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        ("duration('0s')", "0s"),
        ("duration('1.5s')", "1.5s"),
        ("duration('3600s')", "1h0m0s"),
        ("duration('90s')", "1m30s"),
        ("duration('0.5s')", "500ms"),
        ("duration('-1s')", "-1s"),
        ("duration('0.000001s')", "1µs"),
        ("timestamp('2024-02-03T04:05:06.789+02:00')", "2024-02-03T02:05:06Z"),
    ],
)
def test_time_values_render_like_go(expr: str, text: str) -> None:
    assert evaluate(CelCompiler({}).check(expr).program, {}) == text


def test_preparer_converts_declared_formats_only() -> None:
    obj = {
        "when": "2024-01-01T00:00:00Z",
        "ttl": "1m30s",
        "blob": "aGk=",
        "stamps": ["2024-01-01T00:00:01Z"],
        "byName": {"k": "eA=="},
        "plain": {"s": "2024-01-01T00:00:00Z"},
    }
    prepared = DataPreparer(SCHEMA)(obj)
    compiler = CelCompiler({"o": SCHEMA})
    data = {"o": prepared}
    assert evaluate(compiler.check("o.when + o.ttl").program, data) == "2024-01-01T00:01:30Z"
    assert evaluate(compiler.check("string(o.blob) + string(o.byName.k)").program, data) == "hix"
    assert evaluate(compiler.check("o.stamps[0] > o.when").program, data) is True
    assert prepared["plain"] is obj["plain"]  # untouched subtrees are shared, not copied
    assert obj["blob"] == "aGk="


def test_preparer_leaves_unparseable_values_alone() -> None:
    bad = {"when": "yesterday", "ttl": "forever", "blob": "!!!"}
    assert DataPreparer(SCHEMA)(bad) == bad


def test_preparer_without_special_fields_is_identity() -> None:
    obj = {"s": "x"}
    assert DataPreparer({"type": "object", "properties": {"s": {"type": "string"}}})(obj) is obj


def test_frozen_mappings_and_tuples_are_accepted() -> None:
    from types import MappingProxyType

    from pykro.cel import compile_untyped, make_activation

    program = compile_untyped("x.a[1] + x.b.c")
    data = {"x": MappingProxyType({"a": (1, 2), "b": MappingProxyType({"c": 3})})}
    assert evaluate(program, data) == 5
    assert evaluate(program, make_activation(data)) == 5
