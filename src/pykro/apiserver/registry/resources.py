"""Object semantics independent of HTTP: create, update, status writes, patch, delete.

The critical section of each verb (read current state, decide, store) has no `await`
in it, so concurrent requests on the single event loop are serialized and optimistic
concurrency is exact; only waiting for durability happens after it.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from pykro.apiserver.machinery.names import name_check, validate_meta
from pykro.apiserver.machinery.status import (
    STALE,
    ApiError,
    already_exists,
    bad_request,
    conflict,
    forbidden,
    invalid,
    not_found,
)
from pykro.apiserver.registry.decoding import SCALE_GVK, TypedDecoding, scale_schema
from pykro.apiserver.registry.kinds import CRD_GR, NAMESPACES_GR, Catalog, ServedKind
from pykro.apiserver.registry.pipeline import WriteContext, WriteOptions, WritePipeline
from pykro.apiserver.registry.strategies import Contents, strategy_for
from pykro.apiserver.storage.store import Store
from pykro.jsontypes import copy_json
from pykro.schema.gvk import GVK
from pykro.timestamps import now_rfc3339

_DEFAULT = WriteOptions()
FOREGROUND = "foregroundDeletion"  # finalizers the garbage collector acts on
ORPHAN = "orphan"
PROPAGATION = ("Background", "Foreground", "Orphan")
_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_GENERATION_EXTRA = {("networking.k8s.io", "networkpolicies")}
_IGNORED_TOP = ("metadata", "status", "apiVersion", "kind")
_SERVER_META = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation")


def tracks_generation(kind: ServedKind) -> bool:
    return (
        kind.crd is not None
        or kind.gr in _GENERATION_EXTRA
        or ("status" in kind.subresources and kind.group != "")
    )


def _spec_part(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in _IGNORED_TOP}


def _without_rv(obj: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in obj.get("metadata", {}).items() if k != "resourceVersion"}
    return {**obj, "metadata": meta}


def check_type(kind: ServedKind, body: dict[str, Any], *, required: bool = False) -> None:
    """The body's apiVersion and kind must be the URL's (a missing one is filled in, unless `required`,
    as for apply). Another version of the same group is accepted: it is served converted."""
    if not required:
        body.setdefault("apiVersion", kind.api_version)
        body.setdefault("kind", kind.kind)
    api_version, body_kind = body.get("apiVersion"), body.get("kind")
    if api_version != kind.api_version:
        if not isinstance(api_version, str) or api_version.rpartition("/")[0] != kind.group:
            raise bad_request(
                f"the API version in the data ({api_version}) does not match the expected API version "
                f"({kind.api_version})"
            )
    if body_kind != kind.kind:
        raise bad_request(
            f"the kind in the data ({body_kind}) does not match the expected kind ({kind.kind})"
        )


class Resources:
    def __init__(self, store: Store, catalog: Catalog, pipeline: WritePipeline) -> None:
        self.store = store
        self.catalog = catalog
        self.pipeline = pipeline
        self.decoding = TypedDecoding(self._builtin_schema)

    def _builtin_schema(self, gvk: GVK) -> Mapping[str, Any] | None:
        if gvk == SCALE_GVK:  # not a stored kind, but its bodies are decoded all the same
            return scale_schema(self.catalog.schemas.kubernetes_version)
        found = self.catalog.schemas.find(gvk)
        return found.schema if found is not None else None

    def _decode(self, kind: ServedKind, body: Any, options: WriteOptions) -> None:
        """A built-in object must fit its Go types, as kube-apiserver's decoder demands (CRs are held
        to their structural schema by the pipeline instead, and only kept free of NaN)."""
        gvk = GVK(kind.group, kind.version, kind.kind)
        self.decoding.check(gvk, body, options.patch_type, typed=kind.crd is None)

    # helpers ---------------------------------------------------------------------------------------
    def current(self, kind: ServedKind, namespace: str, name: str) -> dict[str, Any]:
        obj = self.store.get(kind.gr, namespace if kind.namespaced else "", name)
        if obj is None:
            raise not_found(kind.plural, kind.group, name)
        return obj

    def _check_meta(self, kind: ServedKind, obj: dict[str, Any]) -> None:
        causes = validate_meta(obj["metadata"], name_check(kind.group, kind.plural))
        causes += strategy_for(kind).validate(obj)
        if causes:
            raise invalid(kind.kind, kind.group, str(obj["metadata"].get("name", "")), causes)

    @staticmethod
    def _body_meta(kind: ServedKind, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request(f"the body must be a JSON object describing a {kind.kind}")
        meta = body.get("metadata", {})
        if meta is None:
            meta = {}
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        body["metadata"] = meta
        return meta

    def _run_pipeline(self, ctx: WriteContext) -> None:
        self.pipeline.run(ctx)

    # create ----------------------------------------------------------------------------------------
    async def create(
        self,
        kind: ServedKind,
        namespace: str | None,
        body: Any,
        options: WriteOptions = _DEFAULT,
    ) -> tuple[dict[str, Any], list[str]]:
        self._decode(kind, body, options)
        obj = copy_json(body)
        meta = self._body_meta(kind, obj)
        check_type(kind, obj)
        obj["apiVersion"] = kind.api_version
        if kind.namespaced:
            assert namespace is not None
            if meta.get("namespace") not in (None, "", namespace):
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and isinstance(meta.get("generateName"), str) and meta["generateName"]:
            suffix = "".join(secrets.choice(_GENERATE_ALPHABET) for _ in range(5))
            meta["name"] = meta["generateName"] + suffix
        for field in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(field, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_rfc3339()
        if tracks_generation(kind):
            meta["generation"] = 1
        else:
            meta.pop("generation", None)
        strategy = strategy_for(kind)
        if "status" in kind.subresources:
            obj.pop("status", None)
            if kind.crd is None:
                obj["status"] = strategy.initial_status()
        strategy.normalize(obj)
        self._check_meta(kind, obj)
        strategy.accept(obj)
        ctx = WriteContext("CREATE", kind, obj, None, options=options)
        self._run_pipeline(ctx)
        # critical section: no await until stored
        name = ctx.obj["metadata"]["name"]
        ns = ctx.obj["metadata"].get("namespace", "")
        if kind.namespaced:
            ns_obj = self.store.get(NAMESPACES_GR, "", ns)
            if ns_obj is None:
                raise not_found("namespaces", "", ns)
            if ns_obj["metadata"].get("deletionTimestamp"):
                raise forbidden(
                    f'{kind.plural} "{name}" is forbidden: unable to create new content in namespace {ns} '
                    "because it is being terminated"
                )
        if kind.crd is not None:
            crd = self.store.get(CRD_GR, "", kind.crd)
            if crd is not None and crd["metadata"].get("deletionTimestamp"):
                raise ApiError(
                    405,
                    "MethodNotAllowed",
                    f"create not allowed while custom resource definition {kind.crd} is terminating",
                )
        if self.store.get(kind.gr, ns, name) is not None:
            raise already_exists(kind.plural, kind.group, name)
        if options.dry_run:
            return ctx.obj, ctx.warnings
        fut = self.store.put(kind.gr, ctx.obj, None)
        if strategy.defines_kinds:
            self._crd_changed(ctx.obj)
        await fut
        return ctx.obj, ctx.warnings

    def _crd_changed(self, crd: dict[str, Any] | None, name: str = "") -> None:
        if crd is None:
            self.catalog.remove_crd(name)
        else:
            self.catalog.set_crd(crd)

    # update ----------------------------------------------------------------------------------------
    async def update(
        self,
        kind: ServedKind,
        namespace: str,
        name: str,
        body: Any,
        *,
        subresource: str = "",
        options: WriteOptions = _DEFAULT,
    ) -> tuple[dict[str, Any], list[str]]:
        self._decode(kind, body, options)
        new = copy_json(body)
        meta = self._body_meta(kind, new)
        check_type(kind, new)
        if meta.get("name") not in (None, name):
            raise bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
            )
        if kind.namespaced and meta.get("namespace") not in (None, "", namespace):
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        old = self.current(kind, namespace, name)
        wanted_rv = meta.get("resourceVersion")
        if wanted_rv not in (None, "") and wanted_rv != old["metadata"]["resourceVersion"]:
            raise conflict(kind.plural, kind.group, name, STALE)
        if meta.get("uid") not in (None, "", old["metadata"]["uid"]):
            raise conflict(
                kind.plural,
                kind.group,
                name,
                f"Precondition failed: UID in precondition: {meta.get('uid')}, UID in object meta: "
                f"{old['metadata']['uid']}",
            )
        if subresource == "status":
            merged = copy_json(old)
            if "status" in new:
                merged["status"] = new["status"]
            else:
                merged.pop("status", None)
            if "managedFields" in meta:  # the one part of metadata a status write may change
                merged["metadata"]["managedFields"] = meta["managedFields"]
            new = merged
        else:
            new["apiVersion"] = kind.api_version
            meta["name"] = name
            if kind.namespaced:
                meta["namespace"] = namespace
            else:
                meta.pop("namespace", None)
            for f in _SERVER_META:
                if f in old["metadata"]:
                    meta[f] = old["metadata"][f]
                else:
                    meta.pop(f, None)
            if "status" in kind.subresources:
                if "status" in old:
                    new["status"] = copy_json(old["status"])
                else:
                    new.pop("status", None)
            strategy_for(kind).normalize(new)
            if old["metadata"].get("deletionTimestamp"):
                added = set(meta.get("finalizers") or []) - set(old["metadata"].get("finalizers") or [])
                if added:
                    raise forbidden(
                        "no new finalizers can be added if the object is being deleted, found new "
                        f"finalizers {sorted(added)!r}"
                    )
        new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        if tracks_generation(kind) and _spec_part(new) != _spec_part(old):
            new["metadata"]["generation"] = int(old["metadata"].get("generation", 1)) + 1
        self._check_meta(kind, new)
        strategy_for(kind).accept(new)
        ctx = WriteContext("UPDATE", kind, new, old, subresource=subresource, options=options)
        self._run_pipeline(ctx)
        new = ctx.obj
        # critical section: the stored object must still be `old`
        if self.store.get(kind.gr, namespace if kind.namespaced else "", name) is not old:
            raise conflict(kind.plural, kind.group, name, STALE)
        if _without_rv(new) == _without_rv(old):
            return old, ctx.warnings
        if options.dry_run:
            return new, ctx.warnings
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            if self._children_remaining(kind, new):
                fut = self.store.put(kind.gr, new, old)
            else:
                fut = self._remove(kind, new)
                await fut
                return new, ctx.warnings
        else:
            fut = self.store.put(kind.gr, new, old)
            if strategy_for(kind).defines_kinds:
                self._crd_changed(new)
        await fut
        return new, ctx.warnings

    async def patch(
        self,
        kind: ServedKind,
        namespace: str,
        name: str,
        apply: Callable[[dict[str, Any]], Any],
        *,
        subresource: str = "",
        options: WriteOptions = _DEFAULT,
    ) -> tuple[dict[str, Any], list[str]]:
        """Apply `apply(current)` then update; retried when a concurrent write wins the race."""
        for _ in range(5):
            old = self.current(kind, namespace, name)
            patched = apply(copy_json(old))
            if not isinstance(patched, dict):
                raise bad_request("the patched object is not a JSON object")
            meta = patched.get("metadata")
            if isinstance(meta, dict) and meta.get("resourceVersion") in (None, ""):
                meta["resourceVersion"] = old["metadata"]["resourceVersion"]
            try:
                return await self.update(
                    kind, namespace, name, patched, subresource=subresource, options=options
                )
            except ApiError as err:
                explicit = (
                    isinstance(meta, dict)
                    and meta.get("resourceVersion") != old["metadata"]["resourceVersion"]
                )
                if err.code != 409 or err.reason != "Conflict" or explicit:
                    raise
        raise conflict(kind.plural, kind.group, name, STALE)

    # delete ----------------------------------------------------------------------------------------
    async def delete(
        self,
        kind: ServedKind,
        namespace: str,
        name: str,
        *,
        preconditions: dict[str, Any] | None = None,
        dry_run: bool = False,
        propagation: str | None = None,
        warnings: list[str] | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Returns (object, gone): gone is False while finalizers (or contents) hold the object.
        Admission's warnings are appended to `warnings`.

        `propagation` Foreground or Orphan adds the finalizer the garbage collector acts on
        (`foregroundDeletion`, `orphan`); Background (the default) leaves dependents to it.
        """
        if propagation not in (None, *PROPAGATION):
            raise bad_request(
                f'Unsupported value: "{propagation}": supported values: "Background", "Foreground", "Orphan"'
            )
        obj = self.current(kind, namespace, name)
        pre = preconditions or {}
        for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
            if pre.get(field) and pre[field] != obj["metadata"][field]:
                message = (
                    f"Precondition failed: {label} in precondition: {pre[field]}, "
                    f"{label} in object meta: {obj['metadata'][field]}"
                )
                raise conflict(kind.plural, kind.group, name, message)
        admitted = WriteContext("DELETE", kind, obj, obj, options=WriteOptions(dry_run=dry_run))
        self.pipeline.run_delete(admitted)
        if warnings is not None:
            warnings.extend(admitted.warnings)
        strategy = strategy_for(kind)
        gc_finalizer = {"Foreground": FOREGROUND, "Orphan": ORPHAN}.get(propagation or "")
        if (
            gc_finalizer
            and strategy.garbage_collected
            and gc_finalizer not in (obj["metadata"].get("finalizers") or ())
        ):
            obj = copy_json(obj)
            obj["metadata"]["finalizers"] = [*(obj["metadata"].get("finalizers") or ()), gc_finalizer]
        if dry_run:
            return obj, not obj["metadata"].get("finalizers")
        futures: list[asyncio.Future[None]] = []
        holds = bool(obj["metadata"].get("finalizers")) or strategy.graceful_delete
        if holds:
            if obj["metadata"].get("deletionTimestamp"):
                return obj, False
            marked = copy_json(obj)
            marked["metadata"]["deletionTimestamp"] = now_rfc3339()
            marked["metadata"]["deletionGracePeriodSeconds"] = 0
            strategy.mark_terminating(marked)
            futures.append(self.store.put(kind.gr, marked, obj))
            obj = marked
            futures += self._delete_children(kind, obj)
            if not obj["metadata"].get("finalizers") and not self._children_remaining(kind, obj):
                futures.append(self._remove(kind, obj))
                await asyncio.gather(*futures)
                return obj, True
            await asyncio.gather(*futures)
            return obj, False
        futures.append(self._remove(kind, obj))
        await asyncio.gather(*futures)
        return obj, True

    async def delete_all(
        self,
        kind: ServedKind,
        objects: list[dict[str, Any]],
        *,
        dry_run: bool = False,
        propagation: str | None = None,
    ) -> list[dict[str, Any]]:
        """DELETE collection: each object in turn; one deleted meanwhile is skipped."""
        deleted = []
        for o in objects:
            try:
                obj, _ = await self.delete(
                    kind,
                    o["metadata"].get("namespace", ""),
                    o["metadata"]["name"],
                    dry_run=dry_run,
                    propagation=propagation,
                )
            except ApiError as err:
                if err.code == 404:
                    continue
                raise
            deleted.append(obj)
        return deleted

    def _delete_children(self, kind: ServedKind, obj: dict[str, Any]) -> list[asyncio.Future[None]]:
        futures: list[asyncio.Future[None]] = []
        for child_kind, child in self._children(kind, obj):
            if child["metadata"].get("finalizers"):
                if not child["metadata"].get("deletionTimestamp"):
                    marked = copy_json(child)
                    marked["metadata"]["deletionTimestamp"] = now_rfc3339()
                    marked["metadata"]["deletionGracePeriodSeconds"] = 0
                    futures.append(self.store.put(child_kind.gr, marked, child))
            else:
                futures.append(self._remove(child_kind, child, check_parent=False))
        return futures

    def _children(self, kind: ServedKind, obj: dict[str, Any]) -> Contents:
        return strategy_for(kind).contents(obj, self)

    def namespace_contents(self, namespace: str) -> Contents:
        out: Contents = []
        seen: set[tuple[str, str]] = set()
        for gr in self.store.resources():
            k = self.catalog.preferred(*gr)
            if k is None or not k.namespaced or gr in seen:
                continue
            seen.add(gr)
            out += [(k, o) for o in self.store.items(gr, namespace)]
        return out

    def custom_resources(self, crd_name: str) -> Contents:
        kinds = self.catalog.crd_kinds(crd_name)
        return [(kinds[0], o) for o in self.store.items(kinds[0].gr)] if kinds else []

    def _children_remaining(self, kind: ServedKind, obj: dict[str, Any]) -> bool:
        return bool(self._children(kind, obj))

    def _remove(
        self, kind: ServedKind, obj: dict[str, Any], *, check_parent: bool = True
    ) -> asyncio.Future[None]:
        """Remove `obj` (and a terminating parent it was the last child of).

        The returned future is that of the last write: commits happen in order, so it resolving
        means every write before it is durable too.
        """
        fut = self.store.remove(kind.gr, obj)
        if strategy_for(kind).defines_kinds:
            self._crd_changed(None, obj["metadata"]["name"])
        if check_parent:
            return self._finish_parent(kind, obj) or fut
        return fut

    def _finish_parent(self, kind: ServedKind, obj: dict[str, Any]) -> asyncio.Future[None] | None:
        """Remove a terminating namespace or CRD once its last object is gone."""
        last: asyncio.Future[None] | None = None
        parent: tuple[ServedKind, dict[str, Any]] | None = None
        if kind.namespaced:
            ns = self.store.get(NAMESPACES_GR, "", obj["metadata"].get("namespace", ""))
            ns_kind = self.catalog.lookup("", "v1", "namespaces")
            if ns is not None and ns_kind is not None:
                parent = (ns_kind, ns)
        if kind.crd is not None:
            crd = self.store.get(CRD_GR, "", kind.crd)
            crd_kind = self.catalog.preferred(*CRD_GR)
            if crd is not None and crd_kind is not None and crd["metadata"].get("deletionTimestamp"):
                if not crd["metadata"].get("finalizers") and not self._children_remaining(crd_kind, crd):
                    last = self._remove(crd_kind, crd)
        if parent is not None:
            pk, p = parent
            if p["metadata"].get("deletionTimestamp") and not p["metadata"].get("finalizers"):
                if not self._children_remaining(pk, p):
                    last = self._remove(pk, p)
        return last

    # bootstrap -------------------------------------------------------------------------------------
    async def ensure_namespaces(self, names: list[str]) -> None:
        kind = self.catalog.lookup("", "v1", "namespaces")
        assert kind is not None
        for n in names:
            if self.store.get(NAMESPACES_GR, "", n) is None:
                await self.create(kind, None, {"metadata": {"name": n}})

    def restore_crds(self) -> None:
        for crd in self.store.items(CRD_GR):
            self.catalog.set_crd(crd)
