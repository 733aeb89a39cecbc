"""Kubernetes Events, recorded as client-go's `record.EventRecorder` records them.

    broadcaster = EventBroadcaster(client)
    broadcaster.start()
    recorder = broadcaster.recorder("kro/webapps.kro.run-controller")
    recorder.event(instance, NORMAL, "Active", "state IN_PROGRESS -> ACTIVE")

`event()` never waits and never fails: Events are queued and written by one background task, like
client-go's broadcaster, so a slow or unreachable API server never slows a reconcile. The queue
is bounded; when it is full the newest Event is dropped (and counted in the log). Repeats are
aggregated, deduplicated into a count and rate limited by the `EventCorrelator`. Events are core
`v1` Events, which `kubectl get events` and `kubectl describe` read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Mapping
from typing import Any

from pykro.kube import AlreadyExists, ApiError, KubeClient, KubeError, NotFound, PatchType
from pykro.schema.gvk import GVK
from pykro.timestamps import rfc3339
from pykro.toolkit.eventcorrelator import EventCorrelator, event_name

log = logging.getLogger(__name__)

NORMAL = "Normal"
WARNING = "Warning"
EVENT_GVK = GVK("", "v1", "Event")
QUEUE_SIZE = 1000
MAX_TRIES = 12  # client-go's maxTriesPerEvent
RETRY_SLEEP = 10.0  # client-go's defaultSleepDuration

Obj = dict[str, Any]


def object_reference(obj: Mapping[str, Any]) -> Obj:
    m = obj.get("metadata") or {}
    ref = {
        "apiVersion": obj.get("apiVersion", ""),
        "kind": obj.get("kind", ""),
        "name": m.get("name", ""),
        "namespace": m.get("namespace", ""),
        "uid": m.get("uid", ""),
        "resourceVersion": m.get("resourceVersion", ""),
    }
    return {k: v for k, v in ref.items() if v}


class EventRecorder:
    """Records Events from one component (`source.component`, `reportingComponent`)."""

    def __init__(self, broadcaster: EventBroadcaster, component: str) -> None:
        self._broadcaster = broadcaster
        self.component = component

    def event(self, obj: Mapping[str, Any], type_: str, reason: str, message: str) -> None:
        if type_ not in (NORMAL, WARNING):
            log.error("unsupported event type %r for %s", type_, reason)
            return
        wall = time.time()
        ref = object_reference(obj)
        stamp = rfc3339(wall)
        event: Obj = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": event_name(str(ref.get("name") or ""), wall),
                "namespace": ref.get("namespace") or "default",
            },
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "type": type_,
            "source": {"component": self.component},
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "reportingComponent": self.component,
            "reportingInstance": "",
        }
        self._broadcaster.submit(event, wall)


class EventBroadcaster:
    """One queue, one correlator and one writer task shared by every recorder of a process."""

    def __init__(
        self,
        client: KubeClient,
        *,
        correlator: EventCorrelator | None = None,
        retry_sleep: float = RETRY_SLEEP,
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        self.client = client
        self.correlator = correlator or EventCorrelator()
        self.retry_sleep = retry_sleep
        self._queue: asyncio.Queue[tuple[Obj, float, float]] = asyncio.Queue(queue_size)
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0
        self.written = 0

    def recorder(self, component: str) -> EventRecorder:
        return EventRecorder(self, component)

    def submit(self, event: Obj, wall: float) -> None:
        try:
            self._queue.put_nowait((event, time.monotonic(), wall))
        except asyncio.QueueFull:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 100 == 0:
                log.warning("event queue full: %d Events dropped so far", self.dropped)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="event-broadcaster")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def flush(self) -> None:
        """Wait until every queued Event has been written or given up on (tests, shutdown)."""
        await self._queue.join()

    async def _run(self) -> None:
        while True:
            event, now, wall = await self._queue.get()
            try:
                await self._record(event, now, wall)
            except Exception:  # a bug here must not end Event recording for the process
                log.exception("recording Event %s failed", event.get("reason"))
            finally:
                self._queue.task_done()

    async def _record(self, event: Obj, now: float, wall: float) -> None:
        result = self.correlator.correlate(event, now=now, wall=wall)
        if result.skip:
            return
        for attempt in range(1, MAX_TRIES + 1):
            if await self._write(result.event, result.patch):
                return
            delay = self.retry_sleep * (random.random() if attempt == 1 else 1.0)
            await asyncio.sleep(delay)
        log.error("could not write Event %s on %s: retry limit exceeded", event.get("reason"), _about(event))

    async def _write(self, event: Obj, patch: Obj | None) -> bool:
        """True when done (written, or refused for good); False to retry (the server is unreachable)."""
        m = event["metadata"]
        try:
            written: Obj | None = None
            if patch is not None:
                with contextlib.suppress(NotFound):  # NotFound: the Event to count up has expired
                    written = await self.client.patch(
                        EVENT_GVK, m["name"], patch, namespace=m["namespace"], patch_type=PatchType.STRATEGIC
                    )
            if written is None:
                fresh = {**event, "metadata": {k: v for k, v in m.items() if k != "resourceVersion"}}
                written = await self.client.create(fresh)
        except AlreadyExists:
            return True  # a duplicate name: nothing to retry
        except ApiError as err:
            if err.code >= 500 or err.code == 429:
                return False
            log.warning("server refused Event %s on %s: %s", event["reason"], _about(event), err)
            return True  # something about the Event is bad: retrying cannot help
        except KubeError:
            return False  # the server is unreachable: hold on and retry
        self.correlator.written(written)
        self.written += 1
        return True


def _about(event: Obj) -> str:
    ref = event.get("involvedObject") or {}
    where = "/".join(str(p) for p in (ref.get("namespace"), ref.get("name")) if p)
    return f"{ref.get('kind', '')} {where}"
