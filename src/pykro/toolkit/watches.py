"""Shared, reference-counted informers and event routing to work queues.

`WatchManager.subscribe` starts an informer for a kind when the first subscriber arrives,
shares it with later ones, and stops it when the last one leaves. Events reach subscribers'
handlers; `enqueue_owners` and `enqueue_label` build handlers that route by owner reference
or by a label value. `set_reads` keeps a reverse index "reader X read object Y": any event on
Y enqueues X, and the informers behind those reads are acquired and released automatically.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pykro.kube.client import KubeClient
from pykro.kube.errors import KubeError
from pykro.schema.gvk import GVK
from pykro.toolkit.informer import Handler, Informer, InformerEvent
from pykro.toolkit.metrics import RuntimeMetrics

log = logging.getLogger(__name__)

Enqueue = Callable[[Any], None]
# "Is this event the echo of the reader's own write?" (it already knows that state: no re-queue)
EchoFilter = Callable[[GVK, Mapping[str, Any]], bool]


@dataclass(frozen=True, order=True)
class ObjectRef:
    """One object; `namespace` is "" for cluster-scoped kinds."""

    gvk: GVK
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: Mapping[str, Any], gvk: GVK) -> ObjectRef:
        meta = obj.get("metadata") or {}
        return cls(gvk, str(meta.get("namespace") or ""), str(meta.get("name") or ""))


@dataclass(frozen=True)
class SelectorRef:
    """All objects of a kind whose labels include `match_labels` (in `namespace`, or anywhere if None)."""

    gvk: GVK
    namespace: str | None
    match_labels: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, gvk: GVK, match_labels: Mapping[str, str], namespace: str | None = None) -> SelectorRef:
        return cls(gvk, namespace, tuple(sorted(match_labels.items())))

    def matches(self, obj: Mapping[str, Any]) -> bool:
        meta = obj.get("metadata") or {}
        if self.namespace is not None and (meta.get("namespace") or "") != self.namespace:
            return False
        labels = meta.get("labels") or {}
        return all(labels.get(k) == v for k, v in self.match_labels)


Read = ObjectRef | SelectorRef


@dataclass(eq=False)
class Subscription:
    """A handle from `WatchManager.subscribe`; pass it to `unsubscribe`."""

    gvk: GVK
    metadata_only: bool
    handler: Handler
    informer: Informer = field(repr=False)


def enqueue_owners(enqueue: Enqueue, owner: GVK | None = None) -> Handler:
    """A handler enqueuing `ObjectRef`s of the event object's owners (only owners of kind `owner`
    if given), from both the new and the old state, so an owner that was removed still hears."""

    def handle(event: InformerEvent) -> None:
        seen: set[ObjectRef] = set()
        for obj in (event.object, event.old):
            if obj is None:
                continue
            meta = obj.get("metadata") or {}
            for ref in meta.get("ownerReferences") or ():
                gvk = GVK.from_api_version(str(ref.get("apiVersion", "")), str(ref.get("kind", "")))
                if owner is not None and (gvk.group, gvk.kind) != (owner.group, owner.kind):
                    continue
                target = ObjectRef(owner or gvk, str(meta.get("namespace") or ""), str(ref.get("name", "")))
                if target not in seen:
                    seen.add(target)
                    enqueue(target)

    return handle


def generation_changed(
    event: InformerEvent, toggle: Callable[[Mapping[str, Any]], object] | None = None
) -> bool:
    """kro's parent-event predicate: adds and deletes pass; an update passes only if
    `metadata.generation` changed, deletion started, or `toggle(object)` (e.g. "is it suspended?")
    changed, so status- or label-only writes (including the controller's own) don't re-trigger it."""
    if event.type != "MODIFIED" or event.old is None:
        return True
    new_meta, old_meta = event.object.get("metadata") or {}, event.old.get("metadata") or {}
    if new_meta.get("generation") != old_meta.get("generation"):
        return True
    if bool(new_meta.get("deletionTimestamp")) != bool(old_meta.get("deletionTimestamp")):
        return True
    return toggle is not None and toggle(event.object) != toggle(event.old)


def filtered(handler: Handler, predicate: Callable[[InformerEvent], bool]) -> Handler:
    """`handler`, called only for events `predicate` accepts."""

    def handle(event: InformerEvent) -> None | Awaitable[None]:
        return handler(event) if predicate(event) else None

    return handle


def enqueue_label(enqueue: Enqueue, label: str) -> Handler:
    """A handler enqueuing the value of `label` (e.g. `kro.run/instance-id`) of the new and old state."""

    def handle(event: InformerEvent) -> None:
        values = {
            str(v)
            for obj in (event.object, event.old)
            if obj is not None
            for v in [((obj.get("metadata") or {}).get("labels") or {}).get(label)]
            if v is not None
        }
        for value in sorted(values):
            enqueue(value)

    return handle


class WatchManager:
    """Owns the informers of one client; see the module docstring."""

    def __init__(
        self,
        client: KubeClient,
        *,
        metadata_only: bool = True,
        reads_metadata_only: bool | None = None,
        metrics: RuntimeMetrics | None = None,
        informer_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.metadata_only = metadata_only
        # The informers `set_reads` starts; full objects let a reader serve its reads from their caches.
        self.reads_metadata_only = metadata_only if reads_metadata_only is None else reads_metadata_only
        self.metrics = metrics
        self._informer_options = dict(informer_options or {})
        self._informers: dict[tuple[GVK, bool], Informer] = {}
        self._subs: dict[tuple[GVK, bool], list[Subscription]] = {}
        self._lock = asyncio.Lock()
        # "reader X read Y" reverse index
        self._reads: dict[Hashable, frozenset[Read]] = {}
        self._reader_enqueue: dict[Hashable, Enqueue] = {}
        self._reader_echo: dict[Hashable, EchoFilter] = {}
        self._readers_of: dict[ObjectRef, set[Hashable]] = {}
        self._selector_reads: dict[GVK, dict[Hashable, set[SelectorRef]]] = {}
        self._read_subs: dict[GVK, Subscription] = {}
        self._reader_count: dict[GVK, int] = {}
        self._reads_lock = asyncio.Lock()  # set_reads awaits (subscribe) between reading and updating state

    # -- informers ---------------------------------------------------------------------------
    def informer(self, gvk: GVK, *, metadata_only: bool | None = None) -> Informer | None:
        return self._informers.get((gvk, self.metadata_only if metadata_only is None else metadata_only))

    def running_informers(self) -> list[Informer]:
        return list(self._informers.values())

    def subscribers(self, gvk: GVK, *, metadata_only: bool | None = None) -> int:
        return len(self._subs.get((gvk, self.metadata_only if metadata_only is None else metadata_only), ()))

    async def subscribe(
        self,
        gvk: GVK,
        handler: Handler,
        *,
        metadata_only: bool | None = None,
        wait_for_sync: bool = True,
        sync_timeout: float = 30.0,
    ) -> Subscription:
        """Attach `handler` to the (shared) informer of `gvk`, starting it if needed. With
        `wait_for_sync`, return once its cache is synced (raising `KubeError` after `sync_timeout`)."""
        meta = self.metadata_only if metadata_only is None else metadata_only
        key = (gvk, meta)
        async with self._lock:
            informer = self._informers.get(key)
            if informer is None:
                informer = Informer(
                    self.client, gvk, metadata_only=meta, metrics=self.metrics, **self._informer_options
                )
                self._informers[key] = informer
                informer.start()
            sub = Subscription(gvk, meta, handler, informer)
            self._subs.setdefault(key, []).append(sub)
            informer.add_handler(handler)
        if wait_for_sync and not await informer.wait_for_sync(sync_timeout):
            await self.unsubscribe(sub)
            raise KubeError(f"informer for {gvk} did not sync within {sync_timeout}s: {informer.last_error}")
        return sub

    async def unsubscribe(self, sub: Subscription) -> None:
        """Detach; the informer stops when its last subscriber leaves."""
        key = (sub.gvk, sub.metadata_only)
        async with self._lock:
            subs = self._subs.get(key, [])
            if sub not in subs:
                return
            subs.remove(sub)
            sub.informer.remove_handler(sub.handler)
            if subs:
                return
            del self._subs[key]
            informer = self._informers.pop(key)
        await informer.stop()

    async def close(self) -> None:
        async with self._lock:
            informers = list(self._informers.values())
            self._informers.clear()
            self._subs.clear()
            self._read_subs.clear()
        await asyncio.gather(*(i.stop() for i in informers))

    # -- "reader X read Y" -------------------------------------------------------------------
    def readers_of(self, ref: ObjectRef) -> set[Hashable]:
        readers = set(self._readers_of.get(ref, ()))
        for reader, selectors in self._selector_reads.get(ref.gvk, {}).items():
            if any(s.namespace in (None, ref.namespace) for s in selectors):
                readers.add(reader)  # coarse: the label match is checked on events
        return readers

    async def set_reads(
        self, reader: Hashable, reads: Iterable[Read], enqueue: Enqueue, echo: EchoFilter | None = None
    ) -> None:
        """Declare everything `reader` read in its last reconcile (replacing the previous set).
        Events on those objects call `enqueue(reader)`, except added/modified objects `echo` says
        are the reader's own writes; informers are started/stopped to match."""
        async with self._reads_lock:
            if echo is not None:
                self._reader_echo[reader] = echo
            await self._set_reads(reader, frozenset(reads), enqueue)

    async def _set_reads(self, reader: Hashable, new: frozenset[Read], enqueue: Enqueue) -> None:
        old = self._reads.get(reader, frozenset())
        self._reads[reader] = new
        self._reader_enqueue[reader] = enqueue
        for ref in old - new:
            if isinstance(ref, ObjectRef):
                readers = self._readers_of.get(ref)
                if readers is not None:
                    readers.discard(reader)
                    if not readers:
                        del self._readers_of[ref]
            else:
                by_reader = self._selector_reads.get(ref.gvk, {})
                by_reader.get(reader, set()).discard(ref)
                if reader in by_reader and not by_reader[reader]:
                    del by_reader[reader]
                    if not by_reader:  # readers come and go with instances: leave no empty maps behind
                        del self._selector_reads[ref.gvk]
        for ref in new - old:
            if isinstance(ref, ObjectRef):
                self._readers_of.setdefault(ref, set()).add(reader)
            else:
                self._selector_reads.setdefault(ref.gvk, {}).setdefault(reader, set()).add(ref)
        old_gvks = {r.gvk for r in old}
        new_gvks = {r.gvk for r in new}
        for gvk in new_gvks - old_gvks:
            self._reader_count[gvk] = self._reader_count.get(gvk, 0) + 1
            if gvk not in self._read_subs:
                self._read_subs[gvk] = await self.subscribe(
                    gvk,
                    self._route_reads(gvk),
                    metadata_only=self.reads_metadata_only,
                    wait_for_sync=False,
                )
        for gvk in old_gvks - new_gvks:
            self._reader_count[gvk] -= 1
            if self._reader_count[gvk] == 0:
                del self._reader_count[gvk]
                sub = self._read_subs.pop(gvk, None)
                if sub is not None:
                    await self.unsubscribe(sub)
        if not new:
            self._reads.pop(reader, None)
            self._reader_enqueue.pop(reader, None)
            self._reader_echo.pop(reader, None)

    async def clear_reads(self, reader: Hashable) -> None:
        await self.set_reads(reader, (), lambda _: None)

    def _route_reads(self, gvk: GVK) -> Handler:
        def handle(event: InformerEvent) -> None:
            ref = ObjectRef.of(event.object, gvk)
            targets = set(self._readers_of.get(ref, ()))
            for reader, selectors in self._selector_reads.get(gvk, {}).items():
                if any(s.matches(o) for s in selectors for o in (event.object, event.old) if o is not None):
                    targets.add(reader)
            for reader in targets:
                echo = self._reader_echo.get(reader)
                if echo is not None and event.type != "DELETED" and echo(gvk, event.object):
                    continue
                enqueue = self._reader_enqueue.get(reader)
                if enqueue is not None:
                    enqueue(reader)

        return handle
