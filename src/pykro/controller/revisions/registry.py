"""The in-memory revision registry (spec §6.6): what each GraphRevision compiled to.

The GraphRevision controller writes it (Pending → Active/Failed, evicted on deletion); the RGD
controller reads it to decide what to serve. Listeners hear the RGD name of every change, which is
how a finished compile wakes the RGD up without polling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pykro.graph.model import CompiledGraph

PENDING, ACTIVE, FAILED = "Pending", "Active", "Failed"

Listener = Callable[[str], None]


@dataclass(frozen=True)
class RevisionEntry:
    rgd_name: str
    revision: int
    spec_hash: str
    state: str
    graph: CompiledGraph | None = None  # set iff Active
    error: str = ""  # set iff Failed


class RevisionRegistry:
    """Entries by RGD name, then revision number. Single event loop: no locking needed."""

    def __init__(self) -> None:
        self._buckets: dict[str, dict[int, RevisionEntry]] = {}
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def get(self, rgd_name: str, revision: int) -> RevisionEntry | None:
        return self._buckets.get(rgd_name, {}).get(revision)

    def entries(self, rgd_name: str) -> list[RevisionEntry]:
        """Oldest first."""
        return [e for _, e in sorted(self._buckets.get(rgd_name, {}).items())]

    def latest_active(self, rgd_name: str) -> RevisionEntry | None:
        active = [e for e in self.entries(rgd_name) if e.state == ACTIVE]
        return active[-1] if active else None

    def pending(self, rgd_name: str, revision: int, spec_hash: str) -> None:
        self._put(RevisionEntry(rgd_name, revision, spec_hash, PENDING))

    def activate(self, rgd_name: str, revision: int, spec_hash: str, graph: CompiledGraph) -> None:
        self._put(RevisionEntry(rgd_name, revision, spec_hash, ACTIVE, graph=graph))

    def fail(self, rgd_name: str, revision: int, spec_hash: str, error: str) -> None:
        self._put(RevisionEntry(rgd_name, revision, spec_hash, FAILED, error=error))

    def evict(self, rgd_name: str, revision: int) -> None:
        """Forget one revision. Listeners hear of it even if it was not known: a revision going away
        is what an RGD waiting for terminating revisions to settle waits for."""
        bucket = self._buckets.get(rgd_name)
        if bucket is not None:
            bucket.pop(revision, None)
            if not bucket:
                del self._buckets[rgd_name]
        self._notify(rgd_name)

    def purge(self, rgd_name: str) -> None:
        """Drop every entry of `rgd_name` (its revisions are all gone)."""
        if self._buckets.pop(rgd_name, None):
            self._notify(rgd_name)

    def _put(self, entry: RevisionEntry) -> None:
        self._buckets.setdefault(entry.rgd_name, {})[entry.revision] = entry
        self._notify(entry.rgd_name)

    def _notify(self, rgd_name: str) -> None:
        for listener in self._listeners:
            listener(rgd_name)
