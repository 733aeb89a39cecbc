"""Time as Kubernetes writes it: metav1.Time (RFC 3339, seconds, UTC) and Go durations."""

from __future__ import annotations

import datetime
import re
import time

_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def rfc3339(unix: float) -> str:
    """`2026-01-02T03:04:05Z` for a Unix time: creationTimestamp, lastTransitionTime and friends."""
    return datetime.datetime.fromtimestamp(unix, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_last_second: tuple[int, str] = (-1, "")


def now_rfc3339() -> str:
    """The current second; formatted once per second (every write stamps one or two)."""
    global _last_second
    second = int(time.time())
    if second != _last_second[0]:
        _last_second = (second, rfc3339(second))
    return _last_second[1]


def parse_rfc3339(text: object) -> float | None:
    """The Unix time of an RFC 3339 timestamp (metav1.Time or MicroTime); None if `text` is not one."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def short_age(seconds: float) -> str:
    """kubectl's short duration (`duration.HumanDuration`): 45s, 3m12s, 2h, 5d, 3y."""
    secs = max(0, int(seconds))
    if secs < 120:
        return f"{secs}s"
    minutes = secs // 60
    if minutes < 10:
        return f"{minutes}m{secs % 60}s" if secs % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    return f"{days}d" if days < 365 * 2 else f"{days // 365}y"


def go_duration(text: str) -> float | None:
    """Seconds in a Go duration (`5s`, `2m`, `1m30s`, `500ms`, `0`); None when `text` is not one."""
    text = text.strip()
    if text == "0":
        return 0.0
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
