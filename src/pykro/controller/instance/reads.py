"""Cache-backed reads: an instance's objects come from the shared informers' caches, not the API.

Every object a reconcile reads is watched anyway (`WatchManager.set_reads`), so the informer
behind that watch already holds it. A read is served from that cache when the cache can be
trusted, and from the API otherwise:

- the informer has not synced yet: one live read;
- pykro wrote the object itself and the cache has not caught up with that write (its entry is
  older than the resourceVersion the write returned, or missing): one live read, so the apply
  response, not a stale entry, is the truth. The remembered version is dropped once the cache
  shows it (or the object is gone);
- the cache has no entry and pykro never wrote the object: it does not exist (as of the watch),
  which is what a controller-runtime cached client answers too; the apply that follows is
  idempotent and its response is the truth.

Member listing for pruning uses the cache only when the informer has synced; deletion (removing
the finalizer once nothing is left) always lists live, since a stale "nothing left" would orphan
a child created a moment ago.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from pykro.api.conventions import APPLYSET_PART_OF_LABEL, INSTANCE_ID_LABEL, meta
from pykro.kube import KubeClient, NotFound
from pykro.schema.gvk import GVK
from pykro.toolkit import ObjectRef, WatchManager
from pykro.toolkit.cache import label_index
from pykro.toolkit.informer import Informer

Obj = dict[str, Any]


def _not_older(cached: str, written: str) -> bool:
    """Is the cached resourceVersion at least the written one? resourceVersions are opaque in
    general; numeric ones (etcd's and the embedded server's) are ordered."""
    if cached.isdigit() and written.isdigit():
        return int(cached) >= int(written)
    return cached == written


def _rv(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("resourceVersion") or "")


class CachedReads:
    """Reads of one controller through `watches`' full-object informers (see the module docstring)."""

    def __init__(self, client: KubeClient, watches: WatchManager) -> None:
        self.client = client
        self.watches = watches
        self._written: dict[ObjectRef, str] = {}  # own writes the cache has not shown yet
        # Child writes under way: writer, and the resourceVersions the watch showed meanwhile
        # (the event can beat the response).
        self._in_flight: dict[ObjectRef, tuple[Hashable, list[str]]] = {}
        self._echoes: dict[ObjectRef, tuple[Hashable, str]] = {}  # settled writes whose event is due

    def remember(self, gvk: GVK, obj: Mapping[str, Any] | None) -> None:
        """Record an object as pykro's write returned it: no older cache entry is used for it."""
        if obj is None:
            return
        rv = _rv(obj)
        if rv:
            self._written[ObjectRef.of(obj, gvk)] = rv

    def expect(self, writer: Hashable, gvk: GVK, desired: Mapping[str, Any]) -> None:
        """`writer` is about to send a write of `desired`: its watch event may beat its response."""
        self._in_flight[ObjectRef.of(desired, gvk)] = (writer, [])

    def settle(self, gvk: GVK, desired: Mapping[str, Any], written: Mapping[str, Any] | None) -> bool:
        """The write `expect`ed is done (`written`: its response, None if it failed or changed
        nothing). False when the watch showed a version newer than the response meanwhile:
        someone else wrote too, and the writer must reconcile again."""
        ref = ObjectRef.of(desired, gvk)
        writer, seen = self._in_flight.pop(ref, (None, []))
        rv = _rv(written) if written is not None else ""
        if rv and rv not in seen:  # (when its event came already, the cache holds the write)
            self.remember(gvk, written)
            self._echoes[ref] = (writer, rv)
        return all(rv and _not_older(rv, other) for other in seen)

    def own_write_seen(self, reader: Hashable, gvk: GVK, obj: Mapping[str, Any]) -> bool:
        """Is `obj` (a watch event's object, routed to `reader`) the reader's own write: exactly
        what its write returned, or an object whose write is still under way (`settle` then judges
        it)? The writer reconciles with that state already, so the event needs no reconcile."""
        ref, rv = ObjectRef.of(obj, gvk), _rv(obj)
        flight = self._in_flight.get(ref)
        if flight is not None:
            flight[1].append(rv)
            return flight[0] == reader
        if self._written.get(ref) == rv:
            del self._written[ref]  # the cache has caught up with the write
        if self._echoes.get(ref) != (reader, rv):
            return False
        del self._echoes[ref]
        return True

    def _informer(self, gvk: GVK, *, metadata_only: bool = False) -> Informer | None:
        informer = self.watches.informer(gvk, metadata_only=metadata_only)
        return informer if informer is not None and informer.has_synced else None

    def _trusted(self, ref: ObjectRef, cached: Obj | None) -> bool:
        """Can `cached` (the cache's entry for `ref`, None for none) stand for the live object?"""
        written = self._written.get(ref)
        if written is None:
            return True
        if cached is not None and _not_older(_rv(cached), written):
            del self._written[ref]  # the cache has caught up with our write
            return True
        return False

    async def get(self, gvk: GVK, name: str, namespace: str | None) -> Obj | None:
        """The object (None when it does not exist)."""
        ref = ObjectRef(gvk, namespace or "", name)
        informer = self._informer(gvk)
        if informer is not None:
            cached = informer.cache.get_by_name(name, namespace or None)
            if self._trusted(ref, cached):
                return cached
        try:
            return await self.client.get(gvk, name, namespace=namespace or None)
        except NotFound:
            self._written.pop(ref, None)
            return None

    def instance_children(
        self, gvk: GVK, instance_uid: str, labels: Mapping[str, str], wanted: list[ObjectRef]
    ) -> list[Obj] | None:
        """The cached objects of `gvk` labelled with `instance_uid` and `labels`, in every namespace;
        None when the cache can't answer: not synced, or one of our writes to a `wanted` object
        (or a listed one) not shown yet."""
        informer = self._informer(gvk)
        if informer is None:
            return None
        informer.cache.ensure_index(INSTANCE_ID_LABEL, label_index(INSTANCE_ID_LABEL))
        found = {
            ObjectRef.of(o, gvk): o
            for o in informer.cache.by_index(INSTANCE_ID_LABEL, instance_uid)
            if all((meta(o).get("labels") or {}).get(k) == v for k, v in labels.items())
        }
        if all(self._trusted(ref, found.get(ref)) for ref in {*found, *wanted}):
            return list(found.values())
        return None

    def members(self, gvk: GVK, set_id: str, namespaces: list[str] | None) -> list[Obj] | None:
        """Cached objects of `gvk` in ApplySet `set_id` (in `namespaces`, or anywhere for None);
        None when no synced informer of the kind exists. Metadata-only informers serve too."""
        informer = self._informer(gvk) or self._informer(gvk, metadata_only=True)
        if informer is None:
            return None
        informer.cache.ensure_index(APPLYSET_PART_OF_LABEL, label_index(APPLYSET_PART_OF_LABEL))
        found = informer.cache.by_index(APPLYSET_PART_OF_LABEL, set_id)
        if namespaces is None:
            return found
        return [o for o in found if (meta(o).get("namespace") or "") in namespaces]
