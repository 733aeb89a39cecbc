"""The GraphRevision controller (spec §6.6): compile each revision's snapshot into the registry.

Reconciles a revision when it appears (including every revision listed after a restart) and when its
deletion starts; a revision's spec is immutable, so nothing else needs a compile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from pykro.api.conventions import FINALIZER
from pykro.controller.graphrevision.status import differs, render_status
from pykro.controller.revisions.compiler import GraphCompiler, error_message
from pykro.controller.revisions.documents import hash_of, revision_of
from pykro.controller.revisions.naming import GRAPH_REVISION
from pykro.controller.revisions.registry import PENDING, RevisionRegistry
from pykro.errors import PykroError
from pykro.graph.model import CompiledGraph
from pykro.kube.client import KubeClient
from pykro.kube.errors import KubeError, NotFound
from pykro.toolkit import (
    ADDED,
    DELETED,
    MODIFIED,
    Controller,
    Informer,
    InformerEvent,
    Result,
    RuntimeMetrics,
    drop_managed_fields,
)

log = logging.getLogger(__name__)

__all__ = ["GraphRevisionController", "identity", "snapshot_document"]


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def identity(obj: Mapping[str, Any]) -> tuple[str, int, str]:
    """(RGD name, revision, spec hash) of a GraphRevision object."""
    snapshot = (obj.get("spec") or {}).get("snapshot") or {}
    return str(snapshot.get("name", "")), revision_of(obj), hash_of(obj)


def snapshot_document(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The RGD a revision froze, as a document `parse_rgd` accepts."""
    snapshot = (obj.get("spec") or {}).get("snapshot") or {}
    return {
        "apiVersion": "kro.run/v1alpha1",
        "kind": "ResourceGraphDefinition",
        "metadata": {
            "name": str(snapshot.get("name", "")),
            "generation": int(snapshot.get("generation") or 0),
        },
        "spec": snapshot.get("spec") or {},
    }


class GraphRevisionController:
    """Watches GraphRevisions and publishes each one's compiled graph (or error) in `registry`."""

    def __init__(
        self,
        client: KubeClient,
        registry: RevisionRegistry,
        *,
        workers: int = 1,
        kubernetes_version: str | None = None,
        runtime_metrics: RuntimeMetrics | None = None,
        enable_omit: bool = False,
    ) -> None:
        self.client = client
        self.registry = registry
        self.compiler = GraphCompiler(client, kubernetes_version=kubernetes_version, enable_omit=enable_omit)
        self._compiling = asyncio.Lock()  # GraphCompiler is single-task
        self.informer = Informer(
            client, GRAPH_REVISION, transform=drop_managed_fields, metrics=runtime_metrics
        )
        self.controller: Controller[str] = Controller(
            "graphrevision",
            self.reconcile,
            workers=workers,
            metrics=runtime_metrics,
        )

    async def start(self, *, sync_timeout: float = 30.0) -> None:
        self.informer.add_handler(self._on_event)
        self.informer.start()
        self.controller.start()
        if not await self.informer.wait_for_sync(sync_timeout):
            raise KubeError(f"the GraphRevision informer did not sync: {self.informer.last_error}")

    async def warm_up(self, timeout: float) -> bool:
        """Wait until the newest live revision of every RGD in the synced cache is compiled (or has
        failed to): an RGD reconciled before that reports `WaitingForGraphRevisionWarmup` for a moment,
        so a restart would rewrite every RGD's status twice although nothing changed. False on timeout
        (the RGD controller then starts anyway and reports the wait, as upstream does)."""
        newest: dict[str, int] = {}
        for obj in self.informer.cache.list():
            if not _meta(obj).get("deletionTimestamp"):
                rgd_name, revision, _ = identity(obj)
                newest[rgd_name] = max(revision, newest.get(rgd_name, 0))

        def settled() -> bool:
            entries = (self.registry.get(rgd_name, revision) for rgd_name, revision in newest.items())
            return all(entry is not None and entry.state != PENDING for entry in entries)

        changed = asyncio.Event()

        def listener(_rgd_name: str) -> None:
            changed.set()

        self.registry.subscribe(listener)
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            while not settled():
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    return False
                changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), remaining)
            return True
        finally:
            self.registry.unsubscribe(listener)

    async def stop(self) -> None:
        await self.informer.stop()
        await self.controller.stop(drain=False, timeout=5.0)

    @property
    def has_synced(self) -> bool:
        return self.informer.has_synced

    def _on_event(self, event: InformerEvent) -> None:
        name = str(_meta(event.object).get("name", ""))
        if event.type == DELETED:
            rgd_name, revision, _ = identity(event.object)
            self.registry.evict(rgd_name, revision)
        elif event.type == ADDED:
            self.controller.enqueue(name)
        elif (
            event.type == MODIFIED
            and event.old is not None
            and (
                bool(_meta(event.object).get("deletionTimestamp"))
                and not _meta(event.old).get("deletionTimestamp")
            )
        ):
            self.controller.enqueue(name)

    async def reconcile(self, name: str) -> Result:
        obj = self.informer.cache.get_by_name(name)
        if obj is None:
            return Result.done()
        rgd_name, revision, spec_hash = identity(obj)
        if _meta(obj).get("deletionTimestamp"):
            self.registry.evict(rgd_name, revision)
            try:
                await self.client.remove_finalizer(GRAPH_REVISION, name, FINALIZER)
            except NotFound:
                pass
            return Result.done()
        if FINALIZER not in (_meta(obj).get("finalizers") or []):
            obj = await self.client.add_finalizer(GRAPH_REVISION, name, FINALIZER)
        self.registry.pending(rgd_name, revision, spec_hash)
        graph: CompiledGraph | None = None
        error = ""
        try:
            async with self._compiling:
                graph = await self.compiler.compile(self.compiler.parse(snapshot_document(obj)))
        except PykroError as err:
            error = error_message(err)
        try:
            await self._write_status(name, obj, render_status(obj, graph, error))
        except NotFound:
            self.registry.evict(rgd_name, revision)
            return Result.done()
        # Published only once the status says so, so readers of the object and of the registry agree.
        if graph is not None:
            self.registry.activate(rgd_name, revision, spec_hash, graph)
        else:
            log.info("GraphRevision %s failed to compile: %s", name, error)
            self.registry.fail(rgd_name, revision, spec_hash, error)
        return Result.done()

    async def _write_status(self, name: str, obj: Mapping[str, Any], desired: dict[str, Any]) -> None:
        current = obj.get("status") if isinstance(obj.get("status"), Mapping) else None
        if differs(current, desired):
            await self.client.patch(GRAPH_REVISION, name, {"status": desired}, subresource="status")
