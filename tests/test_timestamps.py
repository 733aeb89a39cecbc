"""Kubernetes time spellings: RFC 3339 both ways, and kubectl's short ages."""

from __future__ import annotations

import pytest

from pykro.timestamps import go_duration, parse_rfc3339, rfc3339, short_age


def test_rfc3339_round_trips_whole_seconds_and_reads_micro_time() -> None:
    assert rfc3339(1767225600) == "2026-01-01T00:00:00Z"
    assert parse_rfc3339("2026-01-01T00:00:00Z") == 1767225600
    assert parse_rfc3339("2026-01-01T00:00:00.250000Z") == 1767225600.25
    for bad in ("", "yesterday", None, 42):
        assert parse_rfc3339(bad) is None


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (-5, "0s"),
        (45, "45s"),
        (119, "119s"),
        (192, "3m12s"),
        (600, "10m"),
        (7200, "120m"),
        (3 * 3600, "3h"),
        (2 * 86400, "2d"),
        (800 * 86400, "2y"),
    ],
)
def test_short_age_as_kubectl_prints_it(seconds: float, shown: str) -> None:
    assert short_age(seconds) == shown


def test_go_durations() -> None:
    assert go_duration("1m30s") == 90.0 and go_duration("0") == 0.0 and go_duration("soon") is None
