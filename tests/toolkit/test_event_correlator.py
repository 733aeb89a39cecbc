"""client-go's EventCorrelator semantics: dedup into a count, aggregation of similar Events, and the
per-object token bucket."""

from __future__ import annotations

from typing import Any

from pykro.toolkit.eventcorrelator import COMBINED_PREFIX, EventCorrelator


def event(message: str = "boom", reason: str = "Failed", name: str = "x", uid: str = "u1") -> dict[str, Any]:
    return {
        "metadata": {"name": f"{name}.1", "namespace": "default"},
        "involvedObject": {"kind": "App", "name": name, "namespace": "default", "uid": uid},
        "source": {"component": "kro/apps.kro.run-controller"},
        "type": "Warning",
        "reason": reason,
        "message": message,
        "count": 1,
        "firstTimestamp": "2026-12-05T10:00:00Z",
        "lastTimestamp": "2026-12-05T10:00:00Z",
    }


def test_a_repeated_event_becomes_a_patch_of_the_first_with_a_higher_count() -> None:
    c = EventCorrelator()
    first = c.correlate(event(), now=0, wall=1e9)
    assert first.patch is None and not first.skip
    c.written({**first.event, "metadata": {**first.event["metadata"], "resourceVersion": "7"}})
    again = event()
    again["lastTimestamp"] = "2026-12-05T10:05:00Z"
    second = c.correlate(again, now=1, wall=1e9 + 1)
    assert second.patch == {"count": 2, "lastTimestamp": "2026-12-05T10:05:00Z", "message": "boom"}
    assert second.event["metadata"]["name"] == "x.1"
    assert second.event["firstTimestamp"] == "2026-12-05T10:00:00Z"
    third = c.correlate(event(), now=2, wall=1e9 + 2)
    assert third.patch is not None and third.patch["count"] == 3


def test_different_messages_are_separate_events_until_the_tenth_which_is_combined() -> None:
    c = EventCorrelator()
    results = [c.correlate(event(f"error {i}"), now=i, wall=1e9 + i) for i in range(12)]
    assert all(r.patch is None for r in results[:9])
    assert [r.event["message"] for r in results[:9]] == [f"error {i}" for i in range(9)]
    assert results[9].event["message"] == COMBINED_PREFIX + "error 9"
    assert results[9].patch is None  # the combined Event is new ...
    assert results[10].event["message"] == COMBINED_PREFIX + "error 10"
    assert results[10].patch is not None and results[10].patch["count"] == 2  # ... then counted up
    assert results[11].patch is not None and results[11].patch["count"] == 3


def test_aggregation_starts_over_after_ten_quiet_minutes() -> None:
    c = EventCorrelator()
    for i in range(9):
        c.correlate(event(f"error {i}"), now=i, wall=1e9 + i)
    later = c.correlate(event("error 9"), now=9 + 601, wall=1e9 + 700)
    assert later.event["message"] == "error 9"


def test_the_spam_filter_allows_a_burst_of_25_per_object_then_one_per_five_minutes() -> None:
    c = EventCorrelator()
    allowed = [not c.correlate(event(f"m{i}", reason=f"R{i}"), now=0, wall=1e9).skip for i in range(30)]
    assert allowed == [True] * 25 + [False] * 5
    assert c.correlate(event("late", reason="Late"), now=299, wall=1e9).skip
    assert not c.correlate(event("later", reason="Later"), now=301, wall=1e9).skip
    # Another object has its own bucket.
    assert not c.correlate(event(name="y", uid="u2"), now=301, wall=1e9).skip
