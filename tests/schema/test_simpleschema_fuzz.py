"""Fuzzing: every input ends in a result or a clean `PykroError` (never another exception)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykro.errors import PykroError
from pykro.schema.simpleschema import parse_field, parse_markers, to_openapi

_PIECES = st.sampled_from(
    [
        "string",
        "integer",
        "boolean",
        "float",
        "object",
        "[]",
        "map[",
        "map[string]",
        "]",
        "[",
        "{",
        "}",
        "|",
        " ",
        "=",
        '"',
        "\\",
        "required",
        "default",
        "minItems",
        "listType",
        "listMapKey",
        "enum",
        "pattern",
        "true",
        "1",
        "Person",
        ",",
        "validation",
        "uniqueItems",
        "map",
        "set",
        "x",
    ]
)
_FIELD_TEXT = st.one_of(st.text(max_size=60), st.lists(_PIECES, max_size=14).map("".join))
_FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _ok_or_clean_error(fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except PykroError as err:
        assert err.lines() and all(line for line in err.lines())


@_FUZZ
@given(_FIELD_TEXT)
def test_parse_field_never_crashes(text: str) -> None:
    _ok_or_clean_error(parse_field, text)


@_FUZZ
@given(_FIELD_TEXT)
def test_parse_markers_never_crashes(text: str) -> None:
    _ok_or_clean_error(parse_markers, text)


_LEAF = st.one_of(
    _FIELD_TEXT, st.integers(), st.booleans(), st.none(), st.lists(st.text(max_size=3), max_size=2)
)
_NAMES = st.sampled_from(["a", "b", "Person", "Port", "x"])
_TREE = st.recursive(_LEAF, lambda children: st.dictionaries(_NAMES, children, max_size=3), max_leaves=8)


@_FUZZ
@given(
    st.dictionaries(_NAMES, _TREE, max_size=4),
    st.dictionaries(st.sampled_from(["Person", "Port", "a"]), _TREE, max_size=3),
)
def test_to_openapi_never_crashes(spec: dict[str, Any], types: dict[str, Any]) -> None:
    try:
        schema = to_openapi(spec, types)
    except PykroError as err:
        assert all(p.message for p in err.problems)
    else:
        assert schema["type"] == "object"
        assert set(schema["properties"]) == set(spec)
