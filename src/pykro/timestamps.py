"""Wall-clock time as Kubernetes writes it (metav1.Time: RFC 3339, seconds, UTC)."""

from __future__ import annotations

import datetime


def now_rfc3339() -> str:
    """`2026-01-02T03:04:05Z`: creationTimestamp, lastTransitionTime and friends."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
