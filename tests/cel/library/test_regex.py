"""Kubernetes regex library: find / findAll (RE2 semantics)."""

from __future__ import annotations

import pytest
from cel_expr_python import cel

from .celenv import error, evaluate


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("'abc 123'.find('[0-9]+')", "123"),
        ("'abc 123'.find('xyz')", ""),
        ("'123 abc 456'.findAll('[0-9]+')", ["123", "456"]),
        ("'123 abc 456'.findAll('[0-9]+', 1)", ["123"]),
        ("'123 abc 456'.findAll('[0-9]+', 0)", []),
        ("'123 abc 456'.findAll('xyz')", []),
        # Go's FindAllString skips an empty match adjacent to the previous match.
        ("'baaa'.findAll('a*')", ["", "aaa"]),
    ],
)
def test_find_and_find_all(expr: str, expected: object) -> None:
    assert evaluate(expr) == expected


def test_regex_on_typed_variable() -> None:
    assert evaluate("s.find('v[0-9]+')", s=(cel.Type.STRING, "image:v42-alpine")) == "v42"


def test_invalid_pattern_is_an_error() -> None:
    assert "error parsing regexp" in error("'abc'.find('(')")


@pytest.mark.timeout(60)  # backtracking would take hours
def test_catastrophic_backtracking_pattern_runs_in_linear_time() -> None:
    hostile = (cel.Type.STRING, "a" * 200_000 + "!")
    assert evaluate("s.find('(a+)+$')", s=hostile) == ""
