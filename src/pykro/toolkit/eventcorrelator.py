"""client-go's `EventCorrelator` (k8s.io/client-go/tools/record/events_cache.go): what keeps a
controller's Events from flooding the API server.

Three steps, in client-go's order, for every Event a controller records:

1. **Aggregation.** Events alike in all but their message (same source, object, type and reason)
   are counted per 10-minute window; from the 10th distinct message on, they are recorded as one
   Event whose message starts with `(combined from similar events): `.
2. **Deduplication.** An Event identical to one already written (same source, object, type,
   reason and message) is not written again: the existing Event's `count` goes up and its
   `lastTimestamp` moves, by a patch. This is the "series with a count" `kubectl get events` shows.
3. **Spam filter.** Each source and object gets a token bucket (burst 25, one more every 5
   minutes); an Event that finds it empty is dropped.

Pure: no I/O; time comes from the caller, so tests need no sleeping.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pykro.timestamps import rfc3339

Obj = dict[str, Any]

AGGREGATE_MAX_EVENTS = 10
AGGREGATE_INTERVAL = 600.0  # seconds
SPAM_BURST = 25
SPAM_QPS = 1.0 / 300.0
CACHE_SIZE = 4096
COMBINED_PREFIX = "(combined from similar events): "

K = TypeVar("K")
V = TypeVar("V")


class _LRU(Generic[K, V]):
    """A bounded map that forgets the least recently used key (client-go's `lru.Cache`)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


def _source(event: Obj) -> tuple[str, str]:
    source = event.get("source") or {}
    return str(source.get("component") or ""), str(source.get("host") or "")


def _involved(event: Obj) -> tuple[str, ...]:
    ref = event.get("involvedObject") or {}
    return tuple(str(ref.get(k) or "") for k in ("kind", "namespace", "name", "uid", "apiVersion"))


def spam_key(event: Obj) -> str:
    """Source and object: what one token bucket limits."""
    return "".join((*_source(event), *_involved(event)))


def event_key(event: Obj) -> str:
    """Everything that makes two Events the same one (client-go's `getEventKey`)."""
    ref = event.get("involvedObject") or {}
    return "".join(
        (
            *_source(event),
            *_involved(event)[:3],
            str(ref.get("fieldPath") or ""),
            *_involved(event)[3:],
            str(event.get("type") or ""),
            str(event.get("reason") or ""),
            str(event.get("message") or ""),
        )
    )


def aggregate_keys(event: Obj) -> tuple[str, str]:
    """(what similar Events share, what tells them apart): client-go's `EventAggregatorByReasonFunc`."""
    shared = "".join(
        (
            *_source(event),
            *_involved(event),
            str(event.get("type") or ""),
            str(event.get("reason") or ""),
            str(event.get("reportingComponent") or ""),
            str(event.get("reportingInstance") or ""),
        )
    )
    return shared, str(event.get("message") or "")


def event_name(object_name: str, wall: float) -> str:
    """`<object>.<unix nanoseconds in hex>`, as client-go names Events."""
    return f"{object_name}.{int(wall * 1e9):x}"


@dataclass
class _Aggregate:
    messages: OrderedDict[str, None] = field(default_factory=OrderedDict)
    last: float = float("-inf")


@dataclass(frozen=True)
class _Observation:
    count: int
    first_timestamp: str
    name: str
    resource_version: str


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass(frozen=True)
class Correlation:
    """What to do with an Event: nothing (`skip`), create `event`, or apply `patch` to it."""

    event: Obj
    patch: Obj | None = None
    skip: bool = False


class EventCorrelator:
    def __init__(
        self,
        *,
        burst: int = SPAM_BURST,
        qps: float = SPAM_QPS,
        max_events: int = AGGREGATE_MAX_EVENTS,
        interval: float = AGGREGATE_INTERVAL,
        cache_size: int = CACHE_SIZE,
        key_func: Callable[[Obj], tuple[str, str]] = aggregate_keys,
    ) -> None:
        self.burst, self.qps = burst, qps
        self.max_events, self.interval = max_events, interval
        self.key_func = key_func
        self._aggregates: _LRU[str, _Aggregate] = _LRU(cache_size)
        self._observations: _LRU[str, _Observation] = _LRU(cache_size)
        self._buckets: _LRU[str, _Bucket] = _LRU(cache_size)

    def correlate(self, event: Obj, *, now: float, wall: float) -> Correlation:
        """`now`: monotonic seconds (windows and buckets); `wall`: Unix time (names, timestamps)."""
        aggregated, key = self._aggregate(event, now, wall)
        observed, patch = self._observe(aggregated, key)
        if not self._allow(observed, now):
            return Correlation(observed, skip=True)
        return Correlation(observed, patch)

    def written(self, event: Obj) -> None:
        """Remember what the server returned (name, resourceVersion) so repeats patch it."""
        m = event.get("metadata") or {}
        self._observations.put(
            event_key(event),
            _Observation(
                int(event.get("count") or 1),
                str(event.get("firstTimestamp") or ""),
                str(m.get("name") or ""),
                str(m.get("resourceVersion") or ""),
            ),
        )

    def _aggregate(self, event: Obj, now: float, wall: float) -> tuple[Obj, str]:
        shared, local = self.key_func(event)
        record = self._aggregates.get(shared) or _Aggregate()
        if now - record.last > self.interval:
            record = _Aggregate()
        record.messages[local] = None
        record.last = now
        self._aggregates.put(shared, record)
        if len(record.messages) < self.max_events:
            return event, event_key(event)
        record.messages.popitem(last=False)
        stamp = rfc3339(wall)
        ref = event.get("involvedObject") or {}
        combined = {
            **event,
            "metadata": {
                "name": event_name(str(ref.get("name") or ""), wall),
                "namespace": (event.get("metadata") or {}).get("namespace"),
            },
            "count": 1,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "message": COMBINED_PREFIX + str(event.get("message") or ""),
        }
        return combined, shared

    def _observe(self, event: Obj, key: str) -> tuple[Obj, Obj | None]:
        last = self._observations.get(key)
        if last is None:
            observed = event
            patch = None
        else:
            observed = {
                **event,
                "metadata": {
                    **(event.get("metadata") or {}),
                    "name": last.name,
                    "resourceVersion": last.resource_version,
                },
                "firstTimestamp": last.first_timestamp,
                "count": last.count + 1,
            }
            patch = {
                "count": observed["count"],
                "lastTimestamp": observed.get("lastTimestamp"),
                "message": observed.get("message"),
            }
        self._observations.put(
            key,
            _Observation(
                int(observed.get("count") or 1),
                str(observed.get("firstTimestamp") or ""),
                str((observed.get("metadata") or {}).get("name") or ""),
                str((observed.get("metadata") or {}).get("resourceVersion") or ""),
            ),
        )
        return observed, patch

    def _allow(self, event: Obj, now: float) -> bool:
        key = spam_key(event)
        bucket = self._buckets.get(key) or _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.qps)
        bucket.at = now
        self._buckets.put(key, bucket)
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True
