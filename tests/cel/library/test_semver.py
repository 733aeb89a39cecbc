"""Kubernetes Semver library (examples from the Kubernetes CEL documentation and semver.org)."""

from __future__ import annotations

import pytest

from .celenv import error, evaluate


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("isSemver('1.0.0')", True),
        ("isSemver('1.0.0-rc.1+build.5')", True),
        ("isSemver('v1.0.0')", False),
        ("isSemver('1.0')", False),
        ("isSemver('01.0.0')", False),
        ("isSemver('v1.0', true)", True),
        ("isSemver('1.01.0', true)", True),
        ("isSemver('hello', true)", False),
        ("semver('1.2.3').major()", 1),
        ("semver('1.2.3').minor()", 2),
        ("semver('1.2.3').patch()", 3),
        ("semver('v1.2', true).minor()", 2),
        ("semver('v1.2', true) == semver('1.2.0')", True),
        ("semver('1.0.0').compareTo(semver('1.2.3'))", -1),
        ("semver('1.2.3').compareTo(semver('1.2.3'))", 0),
        ("semver('2.0.0').compareTo(semver('1.2.3'))", 1),
        ("semver('1.2.3').isGreaterThan(semver('1.0.0'))", True),
        ("semver('1.2.3').isLessThan(semver('2.0.0'))", True),
        ("semver('1.0.0+a') == semver('1.0.0+b')", True),
    ],
)
def test_semver_library(expr: str, expected: object) -> None:
    assert evaluate(expr) == expected


def test_prerelease_precedence_follows_semver_2() -> None:
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
    ]
    for lower, higher in zip(ordered, ordered[1:], strict=False):
        assert evaluate(f"semver('{lower}').isLessThan(semver('{higher}'))") is True
        assert evaluate(f"semver('{higher}').compareTo(semver('{lower}'))") == 1


def test_semver_errors() -> None:
    assert "invalid semver" in error("semver('v1.0.0')")
    assert "no such overload" in error("semver('1.0.0').major() == 1 && {'x': 'y'}.major() == 1")
