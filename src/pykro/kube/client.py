"""`KubeClient`: dynamic, unstructured CRUD, apply, patch, watch for any kind the server serves."""

from __future__ import annotations

import enum
import os
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from pykro.errors import Problem
from pykro.jsontypes import decode_json
from pykro.kube.backoff import Backoff
from pykro.kube.clock import DEFAULT_CLOCK, Clock
from pykro.kube.config import ClientConfig, in_cluster_config, load_kubeconfig
from pykro.kube.errors import Conflict, KubeError, error_from_status
from pykro.kube.metrics import ClientMetrics
from pykro.kube.restmapper import APIResource, RESTMapper
from pykro.kube.transport import Transport
from pykro.schema.gvk import GVK

Obj = dict[str, Any]
FinalizerEdit = Callable[[list[str]], list[str]]  # module level: inside KubeClient, `list` is a method

METADATA_LIST_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
METADATA_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
APPLY_PATCH = "application/apply-patch+yaml"


class PatchType(enum.Enum):
    """The patch content types the API server accepts (apply has its own method)."""

    MERGE = "application/merge-patch+json"
    JSON = "application/json-patch+json"
    STRATEGIC = "application/strategic-merge-patch+json"


@dataclass(frozen=True)
class ObjectList:
    """One LIST answer (or several pages joined): the items and the collection's resourceVersion."""

    items: list[Obj]
    resource_version: str
    continue_token: str = ""
    remaining_item_count: int | None = None  # objects after this page, when the server says


@dataclass(frozen=True)
class WatchEvent:
    """`type` is ADDED, MODIFIED, DELETED or BOOKMARK; `object` the decoded object."""

    type: str
    object: Obj = field(repr=False)


def gvk_of(obj: Mapping[str, Any]) -> GVK:
    """The GVK named by an object's `apiVersion` and `kind`."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str) or not api_version or not kind:
        raise KubeError(
            "object has no apiVersion/kind", (Problem("apiVersion", "apiVersion and kind are required"),)
        )
    return GVK.from_api_version(api_version, kind)


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


class KubeClient:
    """An async client for one cluster. Use as `async with KubeClient(config) as client:`.

    Objects go in and come out as plain JSON dicts; kinds are addressed by `GVK` and mapped to
    URLs through discovery (`client.mapper`). Namespaced calls default to the context's namespace.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        metrics: ClientMetrics | None = None,
        clock: Clock = DEFAULT_CLOCK,
    ) -> None:
        self.config = config
        self.transport = Transport(config, metrics=metrics, clock=clock)
        self.metrics = self.transport.metrics
        self.mapper = RESTMapper(self.get_json)

    @classmethod
    def from_kubeconfig(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        context: str | None = None,
        metrics: ClientMetrics | None = None,
        **options: Any,
    ) -> KubeClient:
        return cls(load_kubeconfig(path, context=context, **options), metrics=metrics)

    @classmethod
    def in_cluster(cls, *, metrics: ClientMetrics | None = None, **options: Any) -> KubeClient:
        return cls(in_cluster_config(**options), metrics=metrics)

    @property
    def namespace(self) -> str:
        return self.config.namespace

    async def __aenter__(self) -> KubeClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.transport.aclose()

    # -- raw access ------------------------------------------------------------------------------
    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET any API path and decode it (discovery, /openapi/v3, /version, ...)."""
        return await self.transport.request_json("GET", path, params=params)

    async def resource(self, gvk: GVK) -> APIResource:
        return await self.mapper.resource_for(gvk)

    def _namespace_for(self, res: APIResource, namespace: str | None) -> str | None:
        if not res.namespaced:
            return None
        return namespace or self.namespace

    async def _object_path(
        self,
        obj: Mapping[str, Any],
        namespace: str | None = None,
        subresource: str | None = None,
        with_name: bool = True,
    ) -> tuple[APIResource, str]:
        res = await self.resource(gvk_of(obj))
        meta = _meta(obj)
        name = meta.get("name")
        if with_name and not name:
            raise KubeError("object has no metadata.name", (Problem("metadata.name", "a name is required"),))
        ns = self._namespace_for(res, namespace or meta.get("namespace"))
        return res, res.path(ns, str(name) if with_name else None, subresource)

    # -- reads -----------------------------------------------------------------------------------
    async def get(
        self,
        gvk: GVK,
        name: str,
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        metadata_only: bool = False,
    ) -> Obj:
        res = await self.resource(gvk)
        path = res.path(self._namespace_for(res, namespace), name, subresource)
        accept = METADATA_ACCEPT if metadata_only else "application/json"
        result: Obj = await self.transport.request_json("GET", path, accept=accept)
        return result

    async def list(
        self,
        gvk: GVK,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        resource_version: str | None = None,
        metadata_only: bool = False,
    ) -> ObjectList:
        """One LIST page. `namespace=None` lists a namespaced kind across all namespaces."""
        res = await self.resource(gvk)
        params = {
            "labelSelector": label_selector,
            "fieldSelector": field_selector,
            "limit": limit,
            "continue": continue_token or None,
            "resourceVersion": resource_version,
        }
        accept = METADATA_LIST_ACCEPT if metadata_only else "application/json"
        doc = await self.transport.request_json(
            "GET", res.path(namespace if res.namespaced else None), params=params, accept=accept
        )
        meta = doc.get("metadata") or {}
        items = doc.get("items") or []
        # List items omit apiVersion/kind; restore them so every object is self-describing.
        kind = "PartialObjectMetadata" if metadata_only else gvk.kind
        api_version = "meta.k8s.io/v1" if metadata_only else gvk.api_version
        for item in items:
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        remaining = meta.get("remainingItemCount")
        return ObjectList(
            items,
            str(meta.get("resourceVersion") or ""),
            str(meta.get("continue") or ""),
            int(remaining) if isinstance(remaining, int) else None,
        )

    async def count(
        self, gvk: GVK, *, namespace: str | None = None, label_selector: str | None = None
    ) -> int:
        """How many objects a LIST would return, without holding them all: one single-item page
        when the server reports `remainingItemCount`, else every page, metadata only."""
        page = await self.list(
            gvk, namespace=namespace, label_selector=label_selector, limit=1, metadata_only=True
        )
        if not page.continue_token:
            return len(page.items)
        if page.remaining_item_count is not None:
            return len(page.items) + page.remaining_item_count
        total = len(page.items)
        token: str | None = page.continue_token
        while token:
            page = await self.list(
                gvk,
                namespace=namespace,
                label_selector=label_selector,
                limit=500,
                continue_token=token,
                metadata_only=True,
            )
            total += len(page.items)
            token = page.continue_token
        return total

    async def list_all(
        self,
        gvk: GVK,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        page_size: int = 500,
        metadata_only: bool = False,
    ) -> ObjectList:
        """Every page of a LIST; the resourceVersion is the first page's (a consistent snapshot)."""
        items: list[Obj] = []
        token: str | None = None
        version = ""
        while True:
            page = await self.list(
                gvk,
                namespace=namespace,
                label_selector=label_selector,
                field_selector=field_selector,
                limit=page_size,
                continue_token=token,
                metadata_only=metadata_only,
            )
            items.extend(page.items)
            version = version or page.resource_version
            if not page.continue_token:
                return ObjectList(items, version)
            token = page.continue_token

    async def watch(
        self,
        gvk: GVK,
        *,
        namespace: str | None = None,
        resource_version: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        allow_bookmarks: bool = True,
        timeout_seconds: int = 300,
        metadata_only: bool = False,
    ) -> AsyncIterator[WatchEvent]:
        """Stream watch events. An ERROR event is raised as its `ApiError` (`Gone` for 410);
        the stream ends when the server closes it (after `timeout_seconds`)."""
        res = await self.resource(gvk)
        params = {
            "watch": "true",
            "resourceVersion": resource_version or None,
            "allowWatchBookmarks": "true" if allow_bookmarks else None,
            "timeoutSeconds": timeout_seconds,
            "labelSelector": label_selector,
            "fieldSelector": field_selector,
        }
        accept = METADATA_ACCEPT if metadata_only else "application/json"
        async with self.transport.stream(
            res.path(namespace if res.namespaced else None),
            params=params,
            read_timeout=timeout_seconds + 30.0,
            accept=accept,
        ) as lines:
            async for line in lines:
                event = decode_json(line)
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    raise error_from_status(obj)
                yield WatchEvent(str(kind), obj)

    # -- writes ----------------------------------------------------------------------------------
    async def create(
        self,
        obj: Mapping[str, Any],
        *,
        namespace: str | None = None,
        field_manager: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        meta = _meta(obj)
        _, path = await self._object_path(obj, namespace, with_name=False)
        if not meta.get("name") and not meta.get("generateName"):
            raise KubeError("object has no metadata.name", (Problem("metadata.name", "a name is required"),))
        params = {"fieldManager": field_manager, "dryRun": "All" if dry_run else None}
        result: Obj = await self.transport.request_json("POST", path, params=params, body=dict(obj))
        return result

    async def replace(
        self,
        obj: Mapping[str, Any],
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        field_manager: str | None = None,
    ) -> Obj:
        """PUT the whole object; a stale `metadata.resourceVersion` raises `Conflict`."""
        _, path = await self._object_path(obj, namespace, subresource)
        result: Obj = await self.transport.request_json(
            "PUT", path, params={"fieldManager": field_manager}, body=dict(obj)
        )
        return result

    async def replace_status(self, obj: Mapping[str, Any], *, namespace: str | None = None) -> Obj:
        """PUT to the status subresource (only `.status` changes)."""
        return await self.replace(obj, namespace=namespace, subresource="status")

    async def patch(
        self,
        gvk: GVK,
        name: str,
        patch: Any,
        *,
        namespace: str | None = None,
        patch_type: PatchType = PatchType.MERGE,
        subresource: str | None = None,
        field_manager: str | None = None,
    ) -> Obj:
        """Merge, JSON or strategic-merge patch. Not retried on 5xx: a JSON patch may not be idempotent."""
        res = await self.resource(gvk)
        path = res.path(self._namespace_for(res, namespace), name, subresource)
        result: Obj = await self.transport.request_json(
            "PATCH",
            path,
            params={"fieldManager": field_manager},
            body=patch,
            content_type=patch_type.value,
            idempotent=False,
        )
        return result

    async def apply(
        self,
        obj: Mapping[str, Any],
        *,
        field_manager: str,
        force: bool = False,
        namespace: str | None = None,
        subresource: str | None = None,
    ) -> Obj:
        """Server-side apply (`PATCH` with `application/apply-patch+yaml`; JSON is valid YAML).
        Idempotent, so it is retried on 5xx and connection loss."""
        if not field_manager:
            raise KubeError(
                "server-side apply needs a field manager", (Problem("fieldManager", "must not be empty"),)
            )
        _, path = await self._object_path(obj, namespace, subresource)
        params = {"fieldManager": field_manager, "force": "true" if force else None}
        result: Obj = await self.transport.request_json(
            "PATCH",
            path,
            params=params,
            body=dict(obj),
            content_type=APPLY_PATCH,
            idempotent=True,
        )
        return result

    async def apply_status(
        self,
        obj: Mapping[str, Any],
        *,
        field_manager: str,
        force: bool = False,
        namespace: str | None = None,
    ) -> Obj:
        return await self.apply(
            obj, field_manager=field_manager, force=force, namespace=namespace, subresource="status"
        )

    async def delete(
        self,
        gvk: GVK,
        name: str,
        *,
        namespace: str | None = None,
        propagation_policy: str | None = None,
        preconditions: Mapping[str, str] | None = None,
        grace_period_seconds: int | None = None,
    ) -> Obj | None:
        """DELETE one object; returns the server's answer (the object while finalizers hold it, or a
        Status)."""
        res = await self.resource(gvk)
        path = res.path(self._namespace_for(res, namespace), name)
        body: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions"}
        if propagation_policy:
            body["propagationPolicy"] = propagation_policy
        if preconditions:
            body["preconditions"] = dict(preconditions)
        if grace_period_seconds is not None:
            body["gracePeriodSeconds"] = grace_period_seconds
        result: Obj | None = await self.transport.request_json("DELETE", path, body=body)
        return result

    # -- finalizers ------------------------------------------------------------------------------
    async def add_finalizer(
        self,
        gvk: GVK,
        name: str,
        finalizer: str,
        *,
        namespace: str | None = None,
        attempts: int = 10,
    ) -> Obj:
        """Ensure `finalizer` is on the object (read-modify-write, retried on `Conflict`)."""
        return await self._edit_finalizers(
            gvk, name, namespace, attempts, lambda fs: [*fs, finalizer] if finalizer not in fs else fs
        )

    async def remove_finalizer(
        self,
        gvk: GVK,
        name: str,
        finalizer: str,
        *,
        namespace: str | None = None,
        attempts: int = 10,
    ) -> Obj:
        """Ensure `finalizer` is not on the object (retried on `Conflict`). The answer may be the
        object's last state if removing the finalizer let the server delete it."""
        return await self._edit_finalizers(
            gvk, name, namespace, attempts, lambda fs: [f for f in fs if f != finalizer]
        )

    async def _edit_finalizers(
        self,
        gvk: GVK,
        name: str,
        namespace: str | None,
        attempts: int,
        edit: FinalizerEdit,
    ) -> Obj:
        last: Conflict | None = None
        backoff = Backoff(initial=0.01, maximum=0.5, jitter=0.5)
        for attempt in range(max(1, attempts)):
            if attempt:
                await self.transport.clock.sleep(backoff.next_delay())  # let the competing writer finish
            current = await self.get(gvk, name, namespace=namespace)
            meta = current.setdefault("metadata", {})
            before = list(meta.get("finalizers") or [])
            after = edit(before)
            if after == before:
                return current
            meta["finalizers"] = after
            try:
                return await self.replace(current, namespace=namespace)
            except Conflict as err:
                last = err
        assert last is not None
        raise last
