"""Informers: keep an indexed cache of one kind in step with the server and tell handlers.

LIST (paged) then WATCH from the list's resourceVersion, with bookmarks. When the watch ends
normally it resumes from the last seen resourceVersion. On 410 Gone, a watch error or a lost
connection the informer re-lists and diffs against its cache — emitting synthetic deletes for
objects that vanished meanwhile — after a jittered backoff. If the kind itself disappears
(its CRD was deleted) the cache empties the same way and the informer keeps retrying.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pykro.kube.backoff import Backoff
from pykro.kube.client import KubeClient
from pykro.kube.errors import ApiError, ConnectionFailed, Gone, KubeError, NotFound
from pykro.schema.gvk import GVK
from pykro.toolkit.cache import Indexer, IndexFunc, Obj, freeze, object_key, thaw
from pykro.toolkit.metrics import RuntimeMetrics

log = logging.getLogger(__name__)

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"


@dataclass(frozen=True)
class InformerEvent:
    """A change seen by an informer. `old` is set for MODIFIED (previous state) and DELETED
    (last known state, equal to `object`); `synthetic` marks deletes inferred by a re-list."""

    type: str
    object: Obj = field(repr=False)
    old: Obj | None = field(default=None, repr=False)
    synthetic: bool = False

    @property
    def key(self) -> str:
        return object_key(self.object)


Handler = Callable[[InformerEvent], "None | Awaitable[None]"]


class Informer:
    """A cache of one GVK (optionally one namespace / label selector), kept fresh by list+watch.

    `transform` (e.g. `drop_managed_fields`) rewrites each object before it is cached, to save memory.
    Handlers run on the informer's task, in event order, each with its own copy of the objects;
    an async handler is awaited, so a slow handler delays (never drops) later events.
    """

    def __init__(
        self,
        client: KubeClient,
        gvk: GVK,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        metadata_only: bool = False,
        indexers: Mapping[str, IndexFunc] | None = None,
        page_size: int = 500,
        watch_timeout: int = 300,
        backoff: Backoff | None = None,
        metrics: RuntimeMetrics | None = None,
        transform: Callable[[Obj], Obj] | None = None,
    ) -> None:
        self.client = client
        self.gvk = gvk
        self.namespace = namespace
        self.label_selector = label_selector
        self.metadata_only = metadata_only
        self.page_size = page_size
        self.watch_timeout = watch_timeout
        self.cache = Indexer(indexers)
        self.metrics = metrics
        self.transform = transform
        self.resource_version = ""
        self.last_error: BaseException | None = None
        self._backoff = backoff or Backoff(initial=0.2, maximum=30.0)
        self._handlers: list[Handler] = []
        self._synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._label = str(gvk)
        self._background: set[asyncio.Future[None]] = set()

    # -- handlers ----------------------------------------------------------------------------
    def add_handler(self, handler: Handler, *, replay: bool = True) -> None:
        """Register `handler`; with `replay`, it first gets an ADDED for every cached object
        (if synced), so a late subscriber sees the same world as an early one."""
        self._handlers.append(handler)
        if replay and self.has_synced:
            for obj in self.cache.list():
                result = handler(InformerEvent(ADDED, obj))
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    self._background.add(task)  # keep a reference until it finishes
                    task.add_done_callback(self._background.discard)

    def remove_handler(self, handler: Handler) -> None:
        try:
            self._handlers.remove(handler)
        except ValueError:
            pass

    async def _emit(
        self, event_type: str, obj: Obj, old: Obj | None = None, *, synthetic: bool = False
    ) -> None:
        if self.metrics is not None:
            self.metrics.events.labels(self._label, event_type).inc()
        frozen, frozen_old = freeze(obj), None if old is None else freeze(old)
        for handler in list(self._handlers):
            event = InformerEvent(
                event_type, thaw(frozen), None if frozen_old is None else thaw(frozen_old), synthetic
            )
            try:
                result = handler(event)
                if inspect.isawaitable(result):
                    await result
            except Exception:  # a handler's bug must not stop the informer
                log.exception("informer %s: handler failed on %s %s", self._label, event_type, event.key)

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def has_synced(self) -> bool:
        """True once the first LIST has been stored and dispatched."""
        return self._synced.is_set()

    async def wait_for_sync(self, timeout: float | None = None) -> bool:
        try:
            await asyncio.wait_for(self._synced.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def start(self) -> None:
        """Start (or restart, resuming from the last resourceVersion) the list/watch task."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"informer {self._label}")
            if self.metrics is not None:
                self.metrics.informers.inc()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        if self.metrics is not None:
            self.metrics.informers.dec()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # -- list / watch ------------------------------------------------------------------------
    async def _run(self) -> None:
        # A restarted informer resumes watching from where it stopped; if the server no longer
        # has that resourceVersion (410) it re-lists and diffs like after any other gap.
        need_list = not (self.has_synced and self.resource_version)
        while True:
            try:
                if need_list:
                    await self._relist()
                    need_list = False
                await self._watch()
                self._restarted("closed")  # server ended the watch (timeout): resume from resourceVersion
                self._backoff.reset()
                continue
            except asyncio.CancelledError:
                raise
            except Gone as err:
                self.last_error = err
                self._restarted("expired")
                need_list = True
                await asyncio.sleep(random.uniform(0, 0.05))  # re-list promptly; jitter spreads a herd
                continue
            except NotFound as err:
                # The kind is gone (CRD deleted): forget its discovery so a re-created CRD is found again.
                self.last_error = err
                self.client.mapper.invalidate(self.gvk.api_version)
                await self._replace({})
                self._restarted("not_found")
            except (KubeError, ValueError) as err:
                self.last_error = err
                self._restarted("error")
                # An outage is reported once by the client; anything else is worth a line.
                level = logging.DEBUG if isinstance(err, ConnectionFailed) else logging.INFO
                log.log(level, "informer %s: watch failed (%s); re-listing after backoff", self._label, err)
            need_list = True
            await asyncio.sleep(self._backoff.next_delay())

    def _restarted(self, reason: str) -> None:
        if self.metrics is not None:
            self.metrics.watch_restarts.labels(self._label, reason).inc()

    async def _relist(self) -> None:
        if self.metrics is not None:
            self.metrics.relists.labels(self._label).inc()
        listed = await self.client.list_all(
            self.gvk,
            namespace=self.namespace,
            label_selector=self.label_selector,
            page_size=self.page_size,
            metadata_only=self.metadata_only,
        )
        items = listed.items if self.transform is None else [self.transform(o) for o in listed.items]
        await self._replace({object_key(o): o for o in items})
        self.resource_version = listed.resource_version
        self._synced.set()
        self._backoff.reset()

    async def _replace(self, fresh: dict[str, Obj]) -> None:
        """Make the cache equal `fresh`, emitting the add/update/delete events that implies."""
        current = self.cache.snapshot_items()
        for key, old in current.items():
            if key not in fresh:
                self.cache.remove(key)
                await self._emit(DELETED, old, old, synthetic=True)
        for key, obj in fresh.items():
            old_obj = current.get(key)
            if old_obj is None:
                self.cache.upsert(obj)
                await self._emit(ADDED, obj)
            elif _rv(old_obj) != _rv(obj):
                self.cache.upsert(obj)
                await self._emit(MODIFIED, obj, old_obj)

    async def _watch(self) -> None:
        async for event in self.client.watch(
            self.gvk,
            namespace=self.namespace,
            resource_version=self.resource_version,
            label_selector=self.label_selector,
            timeout_seconds=self.watch_timeout,
            metadata_only=self.metadata_only,
        ):
            obj = event.object
            if self.metadata_only and obj.get("kind") != "PartialObjectMetadata":
                obj.setdefault("apiVersion", "meta.k8s.io/v1")
                obj.setdefault("kind", "PartialObjectMetadata")
            rv = _rv(obj)
            if self.transform is not None and event.type != "BOOKMARK":
                obj = self.transform(obj)
            if event.type == "BOOKMARK":
                self.resource_version = rv or self.resource_version
                continue
            if event.type in (ADDED, MODIFIED):
                old = self.cache.upsert(obj)
                if old is None:
                    await self._emit(ADDED, obj)
                else:
                    await self._emit(MODIFIED, obj, old)
            elif event.type == DELETED:
                old = self.cache.remove(object_key(obj))
                await self._emit(DELETED, obj, old if old is not None else obj)
            else:
                raise ApiError(
                    {"code": 500, "reason": "BadWatchEvent", "message": f"unknown watch event {event.type!r}"}
                )
            if rv:
                self.resource_version = rv


def drop_managed_fields(obj: Obj) -> Obj:
    """An informer `transform` that drops `metadata.managedFields` (often most of a cached object)."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return obj


def _rv(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")
