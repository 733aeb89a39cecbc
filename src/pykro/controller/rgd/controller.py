"""The RGD controller (spec §6): validate each ResourceGraphDefinition, snapshot every distinct spec
as an immutable GraphRevision, serve the latest revision the GraphRevision controller compiled
(`pykro.controller.graphrevision`), ensure its instance CRD, and report all of it in the RGD's status.

An invalid update issues no revision, and a revision that fails to compile is never served: in both
cases the graph already serving keeps serving (and `ControllerReady` says so).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pykro.api.conventions import ALLOW_BREAKING_CHANGES_ANNOTATION, FINALIZER, RGD_NAME_LABEL
from pykro.api.frozen import thaw
from pykro.api.model import ResourceGraphDefinition
from pykro.controller.revisions.compiler import GraphCompiler, error_message
from pykro.controller.revisions.documents import graph_revision, hash_of, owner_reference, revision_of
from pykro.controller.revisions.graphstatus import differs
from pykro.controller.revisions.naming import GRAPH_REVISION
from pykro.controller.revisions.registry import FAILED, PENDING, RevisionRegistry
from pykro.controller.rgd.crds import (
    CRD,
    CRDError,
    delete_crd,
    ensure_crd,
    is_established,
    owner_of,
    stamp,
    wait_established,
)
from pykro.controller.rgd.events import RGDEvents
from pykro.controller.rgd.metrics import RGDMetrics
from pykro.controller.rgd.status import (
    CONTROLLER_READY,
    FALSE,
    GRAPH_ACCEPTED,
    GRAPH_REVISIONS_RESOLVED,
    KIND_READY,
    TRUE,
    UNKNOWN,
    StatusBuilder,
)
from pykro.controller.rolloutpolicy import (
    OFF,
    RolloutPolicy,
    parse_policy,
    rollout_annotations,
    template_problems,
    with_rollouts_status,
)
from pykro.errors import PykroError
from pykro.graph import spec_hash
from pykro.graph.model import CompiledGraph
from pykro.kube.client import KubeClient
from pykro.kube.errors import KubeError, NotFound
from pykro.schema.gvk import GVK
from pykro.toolkit import (
    ADDED,
    DELETED,
    MODIFIED,
    Controller,
    Informer,
    InformerEvent,
    Result,
    RuntimeMetrics,
    Subscription,
    WatchManager,
    drop_managed_fields,
)
from pykro.toolkit.events import EventRecorder

log = logging.getLogger(__name__)

RGD = GVK("kro.run", "v1alpha1", "ResourceGraphDefinition")


class InstanceServing(Protocol):
    """What the RGD controller needs from the instance controllers (`pykro.controller.instance`)."""

    async def register(self, graph: CompiledGraph, rgd_uid: str, rollouts: RolloutPolicy = ...) -> None: ...

    async def unregister(self, gvk: GVK) -> None: ...


@dataclass(frozen=True)
class RGDControllerOptions:
    workers: int = 1
    allow_crd_deletion: bool = False
    established_timeout: float = 120.0
    deletion_recheck: float = 2.0  # while instances block a CRD deletion
    kubernetes_version: str | None = None
    max_graph_revisions: int = 5  # --rgd-max-graph-revisions
    progress_requeue_delay: float = 3.0  # --rgd-progress-requeue-delay
    enable_omit: bool = False  # the CELOmitFunction feature gate


@dataclass(frozen=True)
class Served:
    """The graph currently serving an RGD's instances."""

    uid: str
    generation: int
    graph: CompiledGraph
    crd_name: str
    revision: int = 0
    rollouts: RolloutPolicy = OFF

    @property
    def gvk(self) -> GVK:
        return self.graph.instance_gvk


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _allows_breaking(obj: Mapping[str, Any]) -> bool:
    return (
        str((_meta(obj).get("annotations") or {}).get(ALLOW_BREAKING_CHANGES_ANNOTATION, "")).lower()
        == "true"
    )


def _needs_reconcile(event: InformerEvent) -> bool:
    """Spec §6.1: generation changes, deletion, the breaking-changes switch; not status-only updates."""
    if event.type != MODIFIED or event.old is None:
        return True
    new, old = _meta(event.object), _meta(event.old)
    return (
        new.get("generation") != old.get("generation")
        or new.get("uid") != old.get("uid")
        or bool(new.get("deletionTimestamp")) != bool(old.get("deletionTimestamp"))
        or _allows_breaking(event.object) != _allows_breaking(event.old)
        or rollout_annotations(event.object) != rollout_annotations(event.old)
    )


class RGDController:
    """Watches RGDs (and kro-owned CRDs) and reconciles each by name. `start()`, `stop()`."""

    def __init__(
        self,
        client: KubeClient,
        watches: WatchManager,
        instances: InstanceServing,
        *,
        options: RGDControllerOptions | None = None,
        metrics: RGDMetrics | None = None,
        runtime_metrics: RuntimeMetrics | None = None,
        revisions: RevisionRegistry | None = None,
        recorder: EventRecorder | None = None,
    ) -> None:
        self.client = client
        self.events = RGDEvents(recorder)
        # Filled by a GraphRevisionController sharing it; every change re-queues the RGD it belongs to.
        self.revisions = revisions if revisions is not None else RevisionRegistry()
        self.watches = watches
        self.instances = instances
        self.options = options or RGDControllerOptions()
        self.metrics = metrics
        self.compiler = GraphCompiler(
            client, kubernetes_version=self.options.kubernetes_version, enable_omit=self.options.enable_omit
        )
        self.informer = Informer(client, RGD, transform=drop_managed_fields, metrics=runtime_metrics)
        self.controller: Controller[str] = Controller(
            "resourcegraphdefinition",
            self.reconcile,
            workers=self.options.workers,
            metrics=runtime_metrics,
        )
        self._served: dict[str, Served] = {}
        # Per RGD name: (uid, resourceVersion the last status write was based on, the status written).
        self._written: dict[str, tuple[str, str, dict[str, Any]]] = {}
        self._failing: set[str] = set()  # RGDs whose graph did not compile: retried when kinds appear
        self._crd_sub: Subscription | None = None
        self.revisions.subscribe(self.controller.enqueue)

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self, *, sync_timeout: float = 30.0) -> None:
        self.informer.add_handler(self._on_rgd)
        self.informer.start()
        self.controller.start()
        self._crd_sub = await self.watches.subscribe(
            CRD, self._on_crd, metadata_only=True, sync_timeout=sync_timeout
        )
        if not await self.informer.wait_for_sync(sync_timeout):
            raise KubeError(f"the ResourceGraphDefinition informer did not sync: {self.informer.last_error}")

    async def stop(self) -> None:
        if self._crd_sub is not None:
            await self.watches.unsubscribe(self._crd_sub)
            self._crd_sub = None
        await self.informer.stop()
        await self.controller.stop(drain=False, timeout=5.0)

    @property
    def has_synced(self) -> bool:
        return self.informer.has_synced

    def served(self, name: str) -> Served | None:
        """The graph serving RGD `name`'s instances, if any."""
        return self._served.get(name)

    # -- event routing ---------------------------------------------------------------------------
    def _on_rgd(self, event: InformerEvent) -> None:
        if _needs_reconcile(event):
            self.controller.enqueue(str(_meta(event.object).get("name", "")))

    def _on_crd(self, event: InformerEvent) -> None:
        # The old state counts too: an edit that strips kro's labels must still reach the owner.
        owners = {owner_of(obj) for obj in (event.object, event.old) if obj is not None} - {None, ""}
        changed = (
            event.type in (ADDED, DELETED)
            or event.old is None
            or (
                _meta(event.object).get("generation") != _meta(event.old).get("generation")
                or _meta(event.object).get("labels") != _meta(event.old).get("labels")
            )
        )
        if changed:
            for owner in owners:
                self.controller.enqueue(str(owner))
        # A new or changed kind may be the one a failing RGD was waiting for.
        for name in list(self._failing):
            self.controller.enqueue(name)

    # -- reconcile -------------------------------------------------------------------------------
    async def reconcile(self, name: str) -> Result:
        obj = self.informer.cache.get_by_name(name)
        if obj is None:
            await self._forget(name)
            return Result.done()
        if _meta(obj).get("deletionTimestamp"):
            return await self._finalize(obj)
        if FINALIZER not in (_meta(obj).get("finalizers") or []):
            await self.client.add_finalizer(RGD, name, FINALIZER)
        current = self._latest_status(obj)
        status = StatusBuilder.for_object(current)
        result = await self._resolve(current, status)
        await self._write_status(current, status)
        return result

    async def _resolve(self, obj: Mapping[str, Any], status: StatusBuilder) -> Result:
        """Spec §6.2 steps 3–7: find this RGD's revisions, issue one if the spec changed, serve the latest
        Active."""
        meta = _meta(obj)
        name, uid = str(meta["name"]), str(meta.get("uid", ""))
        served = self._served.get(name)
        if served is not None and served.uid == uid:
            status.graph = served.graph
        try:
            rgd = self.compiler.parse(obj)
        except PykroError as err:
            return self._reject(name, served, status, err)
        wanted_hash = spec_hash(rgd.spec)
        live, terminating = await self._list_revisions(name, uid)
        # The high-water mark never goes down, even if the cached status is older than our last write.
        status.last_issued_revision = max(
            [status.last_issued_revision, *(revision_of(r) for r in (*live, *terminating))],
        )
        if not live and not terminating:
            self.revisions.purge(name)
        latest = max(live, key=revision_of) if live else None
        result = await self._decide(obj, rgd, wanted_hash, latest, terminating, served, status)
        await self._collect_garbage(name, live)
        return result

    async def _decide(
        self,
        obj: Mapping[str, Any],
        rgd: ResourceGraphDefinition,
        wanted_hash: str,
        latest: Mapping[str, Any] | None,
        terminating: list[dict[str, Any]],
        served: Served | None,
        status: StatusBuilder,
    ) -> Result:
        name = str(_meta(obj)["name"])
        delay = self.options.progress_requeue_delay
        if terminating:
            status.set(
                GRAPH_REVISIONS_RESOLVED,
                UNKNOWN,
                "WaitingForGraphRevisionSettlement",
                f"waiting for {len(terminating)} terminating graph revision(s) to be deleted",
            )
            return Result.after(delay)
        if latest is None or hash_of(latest) != wanted_hash:
            return await self._issue(obj, rgd, wanted_hash, served, status)
        revision = revision_of(latest)
        entry = self.revisions.get(name, revision)
        if entry is None:
            status.set(
                GRAPH_REVISIONS_RESOLVED,
                UNKNOWN,
                "WaitingForGraphRevisionWarmup",
                f"waiting for graph revision {revision} to be loaded",
            )
            return Result.after(delay)
        if entry.state == PENDING:
            status.set(
                GRAPH_REVISIONS_RESOLVED,
                UNKNOWN,
                "WaitingForGraphRevisionCompilation",
                f"waiting for graph revision {revision} to compile",
            )
            return Result.after(delay)
        if entry.state == FAILED or entry.graph is None:
            status.set(
                GRAPH_REVISIONS_RESOLVED, FALSE, "Failed", f"graph revision {revision} failed: {entry.error}"
            )
            status.set(
                GRAPH_ACCEPTED,
                FALSE,
                "InvalidResourceGraph",
                f"latest graph revision {revision} failed compilation",
            )
            self._keep_serving(served, status, f"graph revision {revision} failed compilation")
            return Result.done()
        status.set(GRAPH_REVISIONS_RESOLVED, TRUE, "Resolved", f"revision {revision} compiled and active")
        status.set(GRAPH_ACCEPTED, TRUE, "Valid", "resource graph and schema are valid")
        generation = int(((latest.get("spec") or {}).get("snapshot") or {}).get("generation") or 0)
        return await self._serve(obj, entry.graph, revision, generation, served, status)

    def _reject(self, name: str, served: Served | None, status: StatusBuilder, err: Exception) -> Result:
        """An invalid spec issues no revision: whatever serves keeps serving; retried with backoff."""
        self._failing.add(name)
        status.set(GRAPH_ACCEPTED, FALSE, "InvalidResourceGraph", error_message(err))
        self._keep_serving(served, status, "the new graph is invalid")
        # No revision is issued, but the revisions' condition still speaks for this generation, as
        # upstream's does: every condition carries the new observedGeneration.
        previous = status.conditions.get(GRAPH_REVISIONS_RESOLVED)
        if previous:
            status.set(
                GRAPH_REVISIONS_RESOLVED,
                str(previous.get("status")),
                str(previous.get("reason")),
                str(previous.get("message") or ""),
            )
        return Result.again()

    async def _issue(
        self,
        obj: Mapping[str, Any],
        rgd: ResourceGraphDefinition,
        wanted_hash: str,
        served: Served | None,
        status: StatusBuilder,
    ) -> Result:
        """Spec §6.2 step 5: validate the spec, then snapshot it as the next GraphRevision."""
        meta = _meta(obj)
        name = str(meta["name"])
        try:
            await self._compile(name, rgd)
        except PykroError as err:
            return self._reject(name, served, status, err)
        self._failing.discard(name)
        status.set(GRAPH_ACCEPTED, TRUE, "Valid", "resource graph and schema are valid")
        revision = status.last_issued_revision + 1
        await self.client.create(graph_revision(obj, revision, wanted_hash))
        status.last_issued_revision = revision
        status.set(
            GRAPH_REVISIONS_RESOLVED,
            UNKNOWN,
            "WaitingForGraphRevisionCompilation",
            f"issued graph revision {revision}; waiting for it to compile",
        )
        return Result.after(self.options.progress_requeue_delay)

    async def _list_revisions(self, name: str, uid: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """This RGD's revisions (a direct read: the next revision number must not come from a stale cache),
        split into live and terminating; live ones not controlled by this RGD are adopted."""
        page = await self.client.list_all(GRAPH_REVISION, field_selector=f"spec.snapshot.name={name}")
        live = [r for r in page.items if not _meta(r).get("deletionTimestamp")]
        terminating = [r for r in page.items if _meta(r).get("deletionTimestamp")]
        for rev in live:
            refs = list(_meta(rev).get("ownerReferences") or [])
            if any(ref.get("controller") and ref.get("uid") == uid for ref in refs):
                continue
            refs = [ref for ref in refs if not ref.get("controller")] + [owner_reference(name, uid)]
            try:
                await self.client.patch(
                    GRAPH_REVISION, str(_meta(rev)["name"]), {"metadata": {"ownerReferences": refs}}
                )
            except NotFound:
                continue
            rev.setdefault("metadata", {})["ownerReferences"] = refs
        return live, terminating

    async def _collect_garbage(self, name: str, live: list[dict[str, Any]]) -> None:
        """Spec §6.2 step 7: keep the newest `max_graph_revisions` (best effort)."""
        keep = max(1, self.options.max_graph_revisions)
        for rev in sorted(live, key=revision_of, reverse=True)[keep:]:
            try:
                await self.client.delete(GRAPH_REVISION, str(_meta(rev)["name"]))
            except NotFound:
                pass
            except KubeError as err:
                log.warning(
                    "RGD %s: could not delete old graph revision %s: %s", name, _meta(rev).get("name"), err
                )

    async def _serve(
        self,
        obj: Mapping[str, Any],
        graph: CompiledGraph,
        revision: int,
        generation: int,
        served: Served | None,
        status: StatusBuilder,
    ) -> Result:
        """Spec §6.2 step 6: ensure the instance CRD, then register the instance controller."""
        meta = _meta(obj)
        name, uid = str(meta["name"]), str(meta.get("uid", ""))
        policy, problems = parse_policy(rollout_annotations(obj))
        problems += template_problems(graph)
        for problem in problems:
            self.events.invalid_annotation(obj, problem)
        crd = stamp(thaw(graph.crd), name, uid)
        if policy.record:
            with_rollouts_status(crd)
        crd_name = str(crd["metadata"]["name"])
        try:
            current, action = await ensure_crd(
                self.client, crd, rgd_name=name, allow_breaking=_allows_breaking(obj)
            )
            if action:
                self.events.crd_written(obj, crd_name, action)
            if not is_established(current):  # usually it is: an unchanged RGD's reconcile costs one CRD GET
                await wait_established(self.client, crd_name, timeout=self.options.established_timeout)
        except (CRDError, KubeError) as err:
            if isinstance(err, CRDError) and err.breaking:
                self.events.breaking_change_refused(obj, str(err))
            status.set(KIND_READY, FALSE, "Failed", str(err))
            self._keep_serving(served, status, "the instance CRD could not be updated")
            return Result.again()
        status.set(KIND_READY, TRUE, "Ready", f"kind {graph.instance_gvk.kind} has been accepted and ready")

        if served is None or served.graph is not graph or served.uid != uid or served.rollouts != policy:
            try:
                await self.instances.register(graph, uid, policy)
            except Exception as err:  # any failure to start is reported and retried, never fatal
                log.warning(
                    "RGD %s: instance controller for %s failed to start",
                    name,
                    graph.instance_gvk,
                    exc_info=True,
                )
                status.set(CONTROLLER_READY, FALSE, "FailedToStart", str(err) or type(err).__name__)
                status.graph = graph
                return Result.again()
            if served is not None and served.gvk != graph.instance_gvk:
                await self.instances.unregister(served.gvk)
            self._served[name] = Served(uid, generation, graph, crd_name, revision, policy)
        status.set(CONTROLLER_READY, TRUE, "Running", "controller is running")
        status.graph = graph
        return Result.done()

    def _keep_serving(self, served: Served | None, status: StatusBuilder, why: str) -> None:
        """After a failed update, the last good graph keeps serving; the status says so."""
        if served is None:
            status.set(CONTROLLER_READY, UNKNOWN, "AwaitingGraph", f"no graph to serve: {why}")
            return
        status.graph = served.graph
        status.set(
            CONTROLLER_READY,
            TRUE,
            "Running",
            f"controller is running; {why}, so the last accepted graph (generation {served.generation}, "
            f"revision {served.revision}) keeps serving",
        )
        if (status.conditions.get(KIND_READY) or {}).get("status") != FALSE:
            status.set(KIND_READY, TRUE, "Ready", f"kind {served.gvk.kind} has been accepted and ready")

    async def _compile(self, name: str, rgd: ResourceGraphDefinition) -> CompiledGraph:
        started = time.perf_counter()
        try:
            return await self.compiler.compile(rgd)
        except PykroError:
            if self.metrics is not None:
                self.metrics.build_errors.labels(name).inc()
            raise
        finally:
            if self.metrics is not None:
                self.metrics.builds.labels(name).inc()
                self.metrics.build_duration.labels(name).observe(time.perf_counter() - started)

    async def _write_status(self, obj: Mapping[str, Any], status: StatusBuilder) -> None:
        desired = status.render()
        current = obj.get("status") if isinstance(obj.get("status"), Mapping) else None
        if not differs(current, desired):
            return
        meta = _meta(obj)
        name = str(meta["name"])
        before = (current or {}).get("state")
        written = await self.client.patch(RGD, name, {"status": desired}, subresource="status")
        self.events.status_written(written, current or {}, desired)
        self._written[name] = (str(meta.get("uid", "")), str(meta.get("resourceVersion", "")), desired)
        if self.metrics is not None and before != desired["state"]:
            self.metrics.state_transitions.labels(name, str(before or ""), desired["state"]).inc()

    def _latest_status(self, obj: Mapping[str, Any]) -> Mapping[str, Any]:
        """`obj` with the status we last wrote if the cache has not seen that write yet: reconciles come
        in bursts while a revision compiles, and a stale base would rewrite (and re-time) conditions."""
        meta = _meta(obj)
        written = self._written.get(str(meta.get("name", "")))
        if written is None or written[:2] != (str(meta.get("uid", "")), str(meta.get("resourceVersion", ""))):
            return obj
        return {**obj, "status": {k: v for k, v in written[2].items() if v is not None}}

    # -- deletion --------------------------------------------------------------------------------
    async def _owned_crds(self, name: str) -> list[dict[str, Any]]:
        page = await self.client.list(CRD, label_selector=f"{RGD_NAME_LABEL}={name}")
        return [crd for crd in page.items if owner_of(crd) == name]

    async def _instance_total(self, crds: list[dict[str, Any]]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for crd in crds:
            spec = crd.get("spec") or {}
            kind = str((spec.get("names") or {}).get("kind", ""))
            for version in spec.get("versions") or []:
                try:
                    n = await self.client.count(GVK(str(spec.get("group", "")), str(version["name"]), kind))
                except NotFound:
                    continue
                if n:
                    counts[kind] = n
                break  # every version lists the same objects
        return counts

    async def _finalize(self, obj: Mapping[str, Any]) -> Result:
        """Spec §6.5: stop serving; delete the CRD only with --allow-crd-deletion and no instances left."""
        name = str(_meta(obj)["name"])
        if FINALIZER not in (_meta(obj).get("finalizers") or []):
            await self._forget(name)
            return Result.done()
        started = time.perf_counter()
        if self.options.allow_crd_deletion:
            crds = await self._owned_crds(name)
            counts = await self._instance_total(crds)
            if counts:
                # Keep serving: the instance controller must finish the instances' own deletion.
                listing = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
                status = StatusBuilder.for_object(obj)
                served = self._served.get(name)
                status.graph = served.graph if served is not None else None
                status.set(
                    KIND_READY,
                    FALSE,
                    "DeletionBlocked",
                    f"cannot delete the CRD of ResourceGraphDefinition {name}: instances still exist "
                    f"({listing}); "
                    "delete them first",
                )
                await self._write_status(obj, status)
                return Result.after(self.options.deletion_recheck)
            await self._forget(name)
            for crd in crds:
                await delete_crd(self.client, str(_meta(crd)["name"]), rgd_name=name)
        else:
            await self._forget(name)
        try:
            await self.client.remove_finalizer(RGD, name, FINALIZER)
        except NotFound:
            pass
        if self.metrics is not None:
            self.metrics.deletions.labels(name).inc()
            self.metrics.deletion_duration.labels(name).observe(time.perf_counter() - started)
        return Result.done()

    async def _forget(self, name: str) -> None:
        self.events.forget(name)
        self._failing.discard(name)
        self._written.pop(name, None)
        served = self._served.pop(name, None)
        if served is not None:
            await self.instances.unregister(served.gvk)
