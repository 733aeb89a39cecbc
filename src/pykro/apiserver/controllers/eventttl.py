"""Events expire, as kube-apiserver's `--event-ttl` (default one hour) makes them.

kube-apiserver stores each Event with an etcd lease of the TTL, renewed by every write, so an
Event disappears one TTL after it was last written (created, or counted up by a patch). Here a
sweep deletes Events whose newest timestamp is older than the TTL. The timestamps are the
object's own (the time of its last write is among them), so expiry survives a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from pykro.apiserver.machinery.status import ApiError
from pykro.apiserver.registry.kinds import Catalog, GroupResource
from pykro.apiserver.registry.resources import Resources
from pykro.apiserver.storage.store import Store
from pykro.timestamps import parse_rfc3339

log = logging.getLogger(__name__)

DEFAULT_EVENT_TTL = 3600.0
EVENT_GRS: tuple[GroupResource, ...] = (("", "events"), ("events.k8s.io", "events"))

Obj = dict[str, Any]


def last_written(event: Obj) -> float | None:
    """Unix time of the Event's last write: the newest timestamp it carries."""
    m = event.get("metadata") or {}
    series = event.get("series") or {}
    stamps = [
        m.get("creationTimestamp"),
        event.get("lastTimestamp"),
        event.get("eventTime"),
        event.get("deprecatedLastTimestamp"),
        series.get("lastObservedTime") if isinstance(series, dict) else None,
        *(f.get("time") for f in m.get("managedFields") or () if isinstance(f, dict)),
    ]
    times = [t for t in map(parse_rfc3339, stamps) if t is not None]
    return max(times) if times else None


class EventExpiry:
    def __init__(self, store: Store, catalog: Catalog, resources: Resources, ttl: float) -> None:
        self.store, self.catalog, self.resources = store, catalog, resources
        self.ttl = ttl
        # Often enough that an Event outlives its TTL by at most a quarter of it (a minute at most).
        self.interval = max(0.5, min(60.0, ttl / 4))
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="event-expiry")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.sweep()
            except Exception:  # one bad sweep must not end expiry for the server's life
                log.exception("event expiry sweep failed")

    async def sweep(self, now: float | None = None) -> int:
        """Delete every expired Event; returns how many."""
        deadline = (time.time() if now is None else now) - self.ttl
        expired = 0
        for group, plural in EVENT_GRS:
            kind = self.catalog.preferred(group, plural)
            if kind is None:
                continue
            for event in self.store.items((group, plural)):
                written = last_written(event)
                if written is None or written > deadline:
                    continue
                m = event["metadata"]
                with contextlib.suppress(ApiError):  # already gone, or changed under us
                    await self.resources.delete(
                        kind, m.get("namespace") or "", m["name"], preconditions={"uid": m.get("uid")}
                    )
                    expired += 1
        return expired
