"""Objects in memory, one global resourceVersion, durable through an optional backend.

Every mutation runs synchronously on the event loop (read current state, decide,
assign the next resourceVersion, update memory), so concurrent requests are
serialized without locks and optimistic concurrency is exact. Durability is then
awaited; watch events are published in resourceVersion order once durable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from pykro.apiserver.machinery.selectors import Requirement
from pykro.apiserver.machinery.status import internal, storage_too_large
from pykro.apiserver.storage.index import ResourceIndex
from pykro.apiserver.storage.persistence import Record, SqliteBackend, future_callback
from pykro.apiserver.storage.watch import Event, EventLog, GroupResource
from pykro.jsontypes import encode_json

# etcd's default --max-request-bytes: kube-apiserver cannot store an object larger than this
MAX_OBJECT_BYTES = 1536 * 1024


def storage_key(gr: GroupResource, namespace: str, name: str) -> str:
    return f"{gr[0]}/{gr[1]}/{namespace}/{name}"


def _split_key(key: str) -> tuple[GroupResource, str, str]:
    group, resource, namespace, name = key.split("/", 3)
    return (group, resource), namespace, name


class Store:
    def __init__(self, backend: SqliteBackend | None = None, *, window: int = 10_000) -> None:
        self._backend = backend
        self._data: dict[GroupResource, ResourceIndex] = {}
        self.rv = 0
        self.log = EventLog(window)
        # After a failed commit memory may be ahead of disk; refuse further writes (fail-stop).
        self.failure: BaseException | None = None

    async def open(self) -> None:
        if self._backend is None:
            return
        snap = await asyncio.to_thread(self._backend.load)
        for key, obj in snap.objects:
            gr, ns, name = _split_key(key)
            self._index(gr).put((ns, name), obj)
        events = [Event(rv, t, _split_key(k)[0], obj, None) for rv, t, k, obj in snap.events]
        self.rv = snap.rv
        self.log.seed(events, snap.rv)
        self._backend.start()

    async def close(self) -> None:
        self.log.close_all()
        if self._backend is not None:
            await asyncio.to_thread(self._backend.close)

    # reads -----------------------------------------------------------------------------------------
    def get(self, gr: GroupResource, namespace: str, name: str) -> dict[str, Any] | None:
        index = self._data.get(gr)
        return None if index is None else index.objects.get((namespace, name))

    def items(self, gr: GroupResource, namespace: str | None = None) -> list[dict[str, Any]]:
        """Objects of one resource in (namespace, name) order."""
        index = self._data.get(gr)
        return [] if index is None else index.items(namespace)

    def candidates(
        self, gr: GroupResource, namespace: str | None, requirements: tuple[Requirement, ...]
    ) -> list[dict[str, Any]]:
        """A superset of the objects matching label `requirements`, in (namespace, name) order, found
        through the label index: in proportion to the result, not to all objects of the resource."""
        index = self._data.get(gr)
        return [] if index is None else index.candidates(namespace, requirements)

    def _index(self, gr: GroupResource) -> ResourceIndex:
        index = self._data.get(gr)
        if index is None:
            index = self._data[gr] = ResourceIndex()
        return index

    def resources(self) -> Iterator[GroupResource]:
        return iter(list(self._data))

    # writes ----------------------------------------------------------------------------------------
    def put(
        self, gr: GroupResource, obj: dict[str, Any], prev: dict[str, Any] | None
    ) -> asyncio.Future[None]:
        """Store `obj` (now owned by the store) with the next resourceVersion."""
        self._check_healthy()
        size = len(encode_json(obj))
        if size > MAX_OBJECT_BYTES:
            raise storage_too_large()
        meta = obj["metadata"]
        self.rv += 1
        meta["resourceVersion"] = str(self.rv)
        self._index(gr).put((meta.get("namespace", ""), meta["name"]), obj)
        return self._record(Event(self.rv, "MODIFIED" if prev is not None else "ADDED", gr, obj, prev, size))

    def remove(self, gr: GroupResource, obj: dict[str, Any]) -> asyncio.Future[None]:
        """Delete; the DELETED event carries the object's last state at a new resourceVersion."""
        self._check_healthy()
        meta = obj["metadata"]
        index = self._data.get(gr)
        if index is not None:
            index.remove((meta.get("namespace", ""), meta["name"]))
        self.rv += 1
        final = {**obj, "metadata": {**meta, "resourceVersion": str(self.rv)}}
        return self._record(Event(self.rv, "DELETED", gr, final, obj))

    def _check_healthy(self) -> None:
        if self.failure is not None:
            raise internal(
                f"storage failed earlier ({self.failure}); restart the server to recover from disk"
            )

    def _record(self, ev: Event) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        if self._backend is None:
            self.log.publish(ev)
            fut.set_result(None)
            return fut
        meta = ev.obj["metadata"]
        record = Record(
            ev.rv,
            ev.type,
            storage_key(ev.gr, meta.get("namespace", ""), meta["name"]),
            encode_json(ev.obj).decode(),
        )

        def durable(done: asyncio.Future[None]) -> None:
            if done.exception() is None:
                self.log.publish(ev)
                if not fut.done():
                    fut.set_result(None)
            else:
                self.failure = done.exception()
                if not fut.done():
                    fut.set_exception(internal(f"could not persist the write: {self.failure}"))

        inner: asyncio.Future[None] = loop.create_future()
        inner.add_done_callback(durable)
        self._backend.submit([record], future_callback(loop, inner))
        return fut
