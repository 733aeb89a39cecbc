"""The garbage collector, as kube-controller-manager runs it, inside the server.

It keeps two indexes fed by every committed event: live uids, and owner uid -> dependents. Then:
- a dependent all of whose ownerReferences name absent uids is deleted (never one with a live owner);
- an owner deleted with `propagationPolicy: Foreground` carries the `foregroundDeletion` finalizer:
  its dependents are deleted, and the finalizer goes once no dependent with `blockOwnerDeletion`
  remains, which lets the owner go;
- an owner deleted with `Orphan` carries the `orphan` finalizer: its uid is removed from its
  dependents' ownerReferences, then the finalizer goes.
"""

from __future__ import annotations

from typing import Any

from pykro.apiserver.controllers.queue import KeyQueue
from pykro.apiserver.machinery.status import ApiError
from pykro.apiserver.registry.kinds import Catalog, ServedKind
from pykro.apiserver.registry.pipeline import WriteOptions
from pykro.apiserver.registry.resources import FOREGROUND, ORPHAN, Resources
from pykro.apiserver.storage.store import Store
from pykro.apiserver.storage.watch import Event, GroupResource
from pykro.jsontypes import copy_json

Obj = dict[str, Any]
Key = tuple[GroupResource, str, str]
Work = tuple[str, str]  # ("dependents", owner uid) | ("owner", owner uid) | ("orphan?", dependent uid)

MANAGER = WriteOptions(field_manager="generic-garbage-collector")


def _owner_uids(obj: Obj | None) -> set[str]:
    if obj is None:
        return set()
    return {
        str(r.get("uid"))
        for r in obj["metadata"].get("ownerReferences") or ()
        if isinstance(r, dict) and r.get("uid")
    }


def _key(gr: GroupResource, obj: Obj) -> Key:
    return (gr, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])


class GarbageCollector:
    def __init__(self, store: Store, catalog: Catalog, resources: Resources) -> None:
        self.store = store
        self.catalog = catalog
        self.resources = resources
        self.live: dict[str, Key] = {}
        self.dependents: dict[str, set[Key]] = {}
        self.queue: KeyQueue[Work] = KeyQueue("garbage-collector", self._process)

    def start(self) -> None:
        for gr in self.store.resources():
            for obj in self.store.items(gr):
                self._index(gr, obj, None)
                if _owner_uids(obj):
                    self.queue.add(("orphan?", obj["metadata"]["uid"]))
                if obj["metadata"].get("deletionTimestamp"):
                    self.queue.add(("owner", obj["metadata"]["uid"]))
        self.store.log.listeners.append(self._on_event)
        self.queue.start()

    async def stop(self) -> None:
        if self._on_event in self.store.log.listeners:
            self.store.log.listeners.remove(self._on_event)
        await self.queue.stop()

    # indexes ---------------------------------------------------------------------------------------
    def _index(self, gr: GroupResource, obj: Obj, prev: Obj | None) -> None:
        key = _key(gr, obj)
        self.live[obj["metadata"]["uid"]] = key
        before, after = _owner_uids(prev), _owner_uids(obj)
        for uid in before - after:
            self.dependents.get(uid, set()).discard(key)
        for uid in after:
            self.dependents.setdefault(uid, set()).add(key)

    def _unindex(self, gr: GroupResource, obj: Obj) -> None:
        key = _key(gr, obj)
        self.live.pop(obj["metadata"]["uid"], None)
        for uid in _owner_uids(obj):
            deps = self.dependents.get(uid)
            if deps is not None:
                deps.discard(key)
                if not deps:
                    del self.dependents[uid]

    def _on_event(self, ev: Event) -> None:
        uid = ev.obj["metadata"].get("uid")
        if not uid:
            return
        if ev.type == "DELETED":
            self._unindex(ev.gr, ev.obj)
            self.queue.add(("dependents", uid))
            for owner in _owner_uids(ev.obj):  # a foreground owner may be waiting for this one
                if owner in self.live:
                    self.queue.add(("owner", owner))
            return
        self._index(ev.gr, ev.obj, ev.prev)
        if ev.obj["metadata"].get("deletionTimestamp"):
            self.queue.add(("owner", uid))
        if ev.type == "ADDED" and _owner_uids(ev.obj):
            self.queue.add(("orphan?", uid))

    # work ------------------------------------------------------------------------------------------
    def _get(self, uid: str) -> tuple[ServedKind, Obj] | None:
        key = self.live.get(uid)
        if key is None:
            return None
        gr, ns, name = key
        obj = self.store.get(gr, ns, name)
        kind = self.catalog.preferred(*gr)
        if obj is None or kind is None or obj["metadata"].get("uid") != uid:
            return None
        return kind, obj

    def _resolvable(self, ref: Any) -> bool:
        """Only references to served kinds count; the real collector cannot judge others either."""
        if not isinstance(ref, dict):
            return False
        group, _, version = str(ref.get("apiVersion", "")).rpartition("/")
        return self.catalog.find_kind(group, version, str(ref.get("kind", ""))) is not None

    async def _process(self, work: Work) -> None:
        what, uid = work
        if what == "dependents":
            for key in sorted(self.dependents.get(uid, set())):
                obj = self.store.get(*key)
                if obj is not None:
                    await self._collect_if_orphaned(key, obj)
        elif what == "orphan?":
            found = self._get(uid)
            if found is not None:
                await self._collect_if_orphaned(_key(found[0].gr, found[1]), found[1])
        else:
            await self._finalize_owner(uid)

    async def _collect_if_orphaned(self, key: Key, obj: Obj) -> None:
        refs = obj["metadata"].get("ownerReferences") or []
        if not refs or obj["metadata"].get("deletionTimestamp"):
            return
        if any(
            str(r.get("uid")) in self.live or not self._resolvable(r) for r in refs if isinstance(r, dict)
        ):
            return
        kind = self.catalog.preferred(*key[0])
        if kind is None:
            return
        try:
            await self.resources.delete(kind, key[1], key[2], preconditions={"uid": obj["metadata"]["uid"]})
        except ApiError as err:
            if err.code not in (404, 409):
                raise

    async def _finalize_owner(self, uid: str) -> None:
        found = self._get(uid)
        if found is None:
            return
        kind, owner = found
        finalizers = owner["metadata"].get("finalizers") or []
        if not owner["metadata"].get("deletionTimestamp"):
            return
        deps = [
            (k, o)
            for k, o in ((k, self.store.get(*k)) for k in sorted(self.dependents.get(uid, set())))
            if o is not None
        ]
        if ORPHAN in finalizers:
            for key, dep in deps:
                new = copy_json(dep)
                new["metadata"]["ownerReferences"] = [
                    r
                    for r in dep["metadata"].get("ownerReferences") or ()
                    if not (isinstance(r, dict) and r.get("uid") == uid)
                ]
                dep_kind = self.catalog.preferred(*key[0])
                if dep_kind is not None:
                    await self.resources.update(dep_kind, key[1], key[2], new, options=MANAGER)
            await self._drop_finalizer(kind, owner, ORPHAN)
        elif FOREGROUND in finalizers:
            blocking = False
            for key, dep in deps:
                ref = next(
                    r
                    for r in dep["metadata"].get("ownerReferences") or ()
                    if isinstance(r, dict) and r.get("uid") == uid
                )
                blocking = blocking or bool(ref.get("blockOwnerDeletion"))
                dep_kind = self.catalog.preferred(*key[0])
                if dep_kind is not None and not dep["metadata"].get("deletionTimestamp"):
                    policy = "Foreground" if self.dependents.get(dep["metadata"]["uid"]) else None
                    await self.resources.delete(dep_kind, key[1], key[2], propagation=policy)
            if not blocking:
                await self._drop_finalizer(kind, owner, FOREGROUND)

    async def _drop_finalizer(self, kind: ServedKind, owner: Obj, finalizer: str) -> None:
        new = copy_json(owner)
        new["metadata"]["finalizers"] = [
            f for f in owner["metadata"].get("finalizers") or () if f != finalizer
        ]
        await self.resources.update(
            kind, owner["metadata"].get("namespace", ""), owner["metadata"]["name"], new, options=MANAGER
        )
