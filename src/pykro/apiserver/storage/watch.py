"""The retained event window and fan-out to watchers.

Each committed change becomes one `Event`; its wire encoding is computed once per
output format and shared by every watcher. Watchers are indexed by resource so a
write only touches the watchers of its own resource, each through its own queue.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pykro.apiserver.machinery.selectors import FieldSelector, LabelSelector
from pykro.apiserver.machinery.status import gone
from pykro.jsontypes import encode_json

GroupResource = tuple[str, str]

# Drop a watcher that falls this far behind instead of buffering without bound;
# the client sees its stream end and re-lists, as with the real server.
_MAX_BACKLOG = 50_000
# Bytes of objects the event window retains at most: large objects shorten the window (their watchers
# resume with 410 and re-list sooner) instead of holding hundreds of megabytes.
WINDOW_BYTES = 64 * 1024 * 1024


class Event:
    __slots__ = ("_cache", "gr", "obj", "prev", "rv", "size", "type")

    def __init__(
        self,
        rv: int,
        type: str,
        gr: GroupResource,
        obj: dict[str, Any],
        prev: dict[str, Any] | None,
        size: int = 0,
    ) -> None:
        self.rv = rv
        self.size = size or len(encode_json(obj))  # bytes of `obj` as JSON
        self.type = type
        self.gr = gr
        self.obj = obj
        self.prev = prev
        self._cache: dict[str, bytes] = {}

    @property
    def namespace(self) -> str:
        ns = self.obj.get("metadata", {}).get("namespace", "")
        return ns if isinstance(ns, str) else ""

    def encoded(self, fmt: str, render: Callable[[str, dict[str, Any]], dict[str, Any]]) -> bytes:
        """`{"type":..., "object":...}\\n`, rendered by `render(type, obj)` once per format."""
        data = self._cache.get(fmt)
        if data is None:
            body = {"type": self.type, "object": render(self.type, self.obj)}
            data = encode_json(body) + b"\n"
            self._cache[fmt] = data
        return data


@dataclass(eq=False)
class Watcher:
    gr: GroupResource
    namespace: str | None
    labels: LabelSelector
    fields: FieldSelector
    min_rv: int
    queue: asyncio.Queue[Event | None] = field(default_factory=asyncio.Queue)
    closed: bool = False

    def _selected(self, obj: dict[str, Any] | None) -> bool:
        if obj is None:
            return False
        meta = obj.get("metadata", {})
        return self.labels.matches(meta.get("labels")) and self.fields.matches(obj)

    def translate(self, ev: Event) -> str | None:
        """The event type this watcher sees, honoring selector transitions like the real server."""
        if ev.rv <= self.min_rv:
            return None
        if self.namespace is not None and ev.namespace != self.namespace:
            return None
        now = self._selected(ev.obj)
        if ev.type != "MODIFIED" or (self.labels.empty and not self.fields.requirements):
            return ev.type if now else None
        before = self._selected(ev.prev)
        if now and before:
            return "MODIFIED"
        if now:
            return "ADDED"
        if before:
            return "DELETED"
        return None

    def offer(self, ev: Event) -> None:
        if self.closed:
            return
        kind = self.translate(ev)
        if kind is None:
            return
        if kind != ev.type:
            ev = Event(ev.rv, kind, ev.gr, ev.obj, None, ev.size)
        if self.queue.qsize() >= _MAX_BACKLOG:
            self.close()
            return
        self.queue.put_nowait(ev)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.queue.put_nowait(None)


class EventLog:
    """The last `window` events, holding at most `max_bytes` of objects, plus the live watchers."""

    def __init__(self, window: int, max_bytes: int = WINDOW_BYTES) -> None:
        self.window = window
        self.max_bytes = max_bytes
        self._events: collections.deque[Event] = collections.deque()
        self._bytes = 0  # sum of the retained events' sizes
        self._watchers: dict[GroupResource, set[Watcher]] = collections.defaultdict(set)
        self.last_rv = 0  # highest published rv
        # In-process observers of every committed event (the simulated controllers, the garbage
        # collector); called synchronously in resourceVersion order, so they must only enqueue work.
        self.listeners: list[Callable[[Event], None]] = []

    def seed(self, events: list[Event], rv: int) -> None:
        for ev in events[-self.window :]:
            self._retain(ev)
        self.last_rv = rv

    def _retain(self, ev: Event) -> None:
        """Keep `ev`, forgetting the oldest events beyond the count or byte bound (the newest stays)."""
        self._events.append(ev)
        self._bytes += ev.size
        while len(self._events) > self.window or (self._bytes > self.max_bytes and len(self._events) > 1):
            self._bytes -= self._events.popleft().size

    def publish(self, ev: Event) -> None:
        self._retain(ev)
        self.last_rv = max(self.last_rv, ev.rv)
        for w in tuple(self._watchers.get(ev.gr, ())):
            w.offer(ev)
        for listener in self.listeners:
            listener(ev)

    def oldest_resumable(self) -> int:
        """The smallest resourceVersion a watch can start from without missing events."""
        return self._events[0].rv - 1 if self._events else self.last_rv

    def subscribe(self, watcher: Watcher, since: int | None) -> None:
        """Register; with `since`, first replay retained events newer than it (410 if too old)."""
        if since is not None:
            if since < self.oldest_resumable():
                raise gone(f"too old resource version: {since} ({self.oldest_resumable() + 1})")
            # Resumes are usually near the head: walk back from the newest event only as far as needed.
            missed: list[Event] = []
            for ev in reversed(self._events):
                if ev.rv <= since:
                    break
                if ev.gr == watcher.gr:
                    missed.append(ev)
            for ev in reversed(missed):
                watcher.offer(ev)
        self._watchers[watcher.gr].add(watcher)

    def unsubscribe(self, watcher: Watcher) -> None:
        watcher.closed = True
        self._watchers.get(watcher.gr, set()).discard(watcher)

    def close_all(self) -> None:
        for ws in self._watchers.values():
            for w in tuple(ws):
                w.close()
        self._watchers.clear()

    @property
    def watcher_count(self) -> int:
        return sum(len(ws) for ws in self._watchers.values())
