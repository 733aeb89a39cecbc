"""Time as Kubernetes writes it: metav1.Time (RFC 3339, seconds, UTC) and Go durations."""

from __future__ import annotations

import datetime
import re

_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def now_rfc3339() -> str:
    """`2026-01-02T03:04:05Z`: creationTimestamp, lastTransitionTime and friends."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def go_duration(text: str) -> float | None:
    """Seconds in a Go duration (`5s`, `2m`, `1m30s`, `500ms`, `0`); None when `text` is not one."""
    text = text.strip()
    if text == "0":
        return 0.0
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
