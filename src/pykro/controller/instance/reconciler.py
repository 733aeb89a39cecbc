"""One reconcile of one instance (spec §5.1): manage, resolve, apply, prune, report; or delete (§5.9).

Every object the reconcile reads or writes is declared to the `WatchManager` as read by the
instance, so a change to any of them re-queues the instance at once. A reconcile that finds
nothing to change sends no write at all: children already up to date are not re-applied and
the status is written only when its canonical JSON differs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pykro.controller.instance.children import (
    APPLYSET_MANAGER,
    Applied,
    apply_child,
    object_ref,
    read_collection,
    read_external_collection,
    read_one,
)
from pykro.controller.instance.members import (
    Member,
    delete_members,
    list_members,
    prune_waves,
)
from pykro.controller.instance.status import (
    MANAGED,
    RESOLVED,
    RESOURCES,
    StatusWriter,
    conditions_of,
    previous_projections,
    previous_state,
)
from pykro.controller.runtime import ObjectRef, Result, WatchManager
from pykro.controller.runtime.watches import Read
from pykro.graph.model import CompiledGraph, NodeType
from pykro.kube import ApiError, KubeClient, NotFound
from pykro.runtime.applyset import (
    ID_LABEL,
    InvalidInventory,
    Inventory,
    group_kind_string,
    read_inventory,
)
from pykro.runtime.conditions import FALSE, TRUE, UNKNOWN
from pykro.runtime.metadata import (
    FINALIZER,
    SUSPEND_ANNOTATION,
    InstanceIdentity,
    is_suspended,
    meta,
)
from pykro.runtime.runtime import Action, NodeFailed, NodePending, Runtime
from pykro.runtime.state import InstanceState, NodeState
from pykro.schema.gvk import GVK

__all__ = [
    "APPLYSET_MANAGER", "FINALIZER", "LABELLER_MANAGER", "PARENT_MANAGER", "SUSPEND_ANNOTATION", "Reconciler",
    "Registration",
]

log = logging.getLogger(__name__)

LABELLER_MANAGER = "kro.run/labeller"
PARENT_MANAGER = "kro.run/applyset-parent"

Obj = dict[str, Any]


@dataclass(frozen=True)
class Registration:
    """What serves one instance kind: a graph, or (graph None) why there is none usable."""

    graph: CompiledGraph | None
    rgd_uid: str
    unresolved: str = ""  # e.g. "graph revision 3 failed to compile: ..."
    retry: bool = False  # requeue unresolved instances (pending compile) or wait for an event (failed)


@dataclass
class _Outcome:
    """What a reconcile learned, turned into conditions and status at the end."""

    pending: str | None = None
    error: str | None = None  # a hard error: nothing was applied
    terminating: str | None = None
    mutated: bool = False
    retry: bool = False
    backoff: bool = False  # an apply failed at the API: retry with exponential backoff
    reads: set[Read] = field(default_factory=set)
    instance: Obj | None = None  # the instance as last written by this reconcile (fresh resourceVersion)


class Reconciler:
    """Reconciles instance keys (`ObjectRef(instance_gvk, namespace, name)`)."""

    def __init__(
        self, client: KubeClient, watches: WatchManager, registrations: Callable[[GVK], Registration | None],
        enqueue: Callable[[ObjectRef], None], *, requeue_interval: float = 3.0,
        on_transition: Callable[[GVK, str, str], None] | None = None,
    ) -> None:
        self.client = client
        self.watches = watches
        self.registrations = registrations
        self.enqueue = enqueue
        self.requeue_interval = requeue_interval
        self.status = StatusWriter(client, on_transition)
        self._reads: dict[ObjectRef, set[Read]] = {}
        # WatchManager.set_reads may start an informer mid-call; two workers declaring a new
        # kind at once must not both start one.
        self._reads_lock = asyncio.Lock()

    def _requeue(self) -> Result:
        return Result.after(self.requeue_interval) if self.requeue_interval > 0 else Result.done()

    # -- entry -----------------------------------------------------------------------------------
    async def reconcile(self, key: ObjectRef) -> Result:
        reg = self.registrations(key.gvk)
        if reg is None:
            return Result.done()  # the kind is no longer served: drop the item
        try:
            instance = await self.client.get(key.gvk, key.name, namespace=key.namespace or None)
        except NotFound:
            await self.forget(key)
            return Result.done()
        if meta(instance).get("deletionTimestamp"):
            return await self._delete(key, reg, instance)
        if reg.graph is None:
            return await self._unresolved(key, reg, instance)
        return await self._reconcile(key, reg, instance, reg.graph)

    async def _unresolved(self, key: ObjectRef, reg: Registration, instance: Obj) -> Result:
        """No usable graph (§5.1 step 3): report it; never fall back to an older graph."""
        conditions = conditions_of(instance)
        conditions.set(RESOLVED, FALSE, "ResolutionFailed", reg.unresolved or "no graph is available for this kind")
        await self.status.write(key, instance, previous_projections(instance), conditions, InstanceState.ERROR)
        return self._requeue() if reg.retry else Result.done()

    # -- managed metadata --------------------------------------------------------------------------
    async def _ensure_managed(
        self, instance: Obj, identity: InstanceIdentity, reg: Registration, graph: CompiledGraph,
    ) -> Obj:
        """Finalizer + labels (and an empty inventory if none), in one SSA as the labeller (§5.1 step 4)."""
        m = meta(instance)
        labels = dict(m.get("labels") or {})
        annotations = dict(m.get("annotations") or {})
        wanted = identity.managed_labels(graph.rgd_name, reg.rgd_uid)
        inventory = read_inventory(identity.applyset_id, labels, annotations)  # raises InvalidInventory
        has_finalizer = FINALIZER in (m.get("finalizers") or ())
        if has_finalizer and inventory is not None and all(labels.get(k) == v for k, v in wanted.items()):
            return instance
        patch_meta: Obj = {"name": identity.name, "labels": wanted, "finalizers": [FINALIZER]}
        if identity.namespace:
            patch_meta["namespace"] = identity.namespace
        if inventory is None:
            patch_meta["labels"] = {**wanted, ID_LABEL: identity.applyset_id}
            patch_meta["annotations"] = Inventory(frozenset(), frozenset()).annotations(identity.applyset_id)
        patch = {"apiVersion": instance["apiVersion"], "kind": instance["kind"], "metadata": patch_meta}
        return await self.client.apply(patch, field_manager=LABELLER_MANAGER, force=True)

    async def _ensure_parent(self, instance: Obj, identity: InstanceIdentity, inventory: Inventory) -> Obj:
        """The ApplySet parent label and inventory annotations, written only when they differ."""
        wanted = inventory.annotations(identity.applyset_id)
        m = meta(instance)
        annotations = m.get("annotations") or {}
        if (m.get("labels") or {}).get(ID_LABEL) == identity.applyset_id and all(
            annotations.get(k) == v for k, v in wanted.items()
        ):
            return instance
        patch_meta: Obj = {"name": identity.name, "labels": {ID_LABEL: identity.applyset_id}, "annotations": wanted}
        if identity.namespace:
            patch_meta["namespace"] = identity.namespace
        patch = {"apiVersion": instance["apiVersion"], "kind": instance["kind"], "metadata": patch_meta}
        return await self.client.apply(patch, field_manager=PARENT_MANAGER, force=True)

    # -- reconcile -------------------------------------------------------------------------------
    async def _reconcile(self, key: ObjectRef, reg: Registration, instance: Obj, graph: CompiledGraph) -> Result:
        identity = InstanceIdentity.of(instance, graph.instance_gvk)
        conditions = conditions_of(instance)
        try:
            instance = await self._ensure_managed(instance, identity, reg, graph)
        except (InvalidInventory, ApiError) as exc:
            message = (f"cannot install finalizer with invalid ApplySet inventory: {exc}"
                       if isinstance(exc, InvalidInventory) else f"failed to manage instance: {exc}")
            conditions.set(MANAGED, FALSE, "ManagementFailed", message)
            await self.status.write(key, instance, previous_projections(instance), conditions, InstanceState.ERROR)
            if isinstance(exc, InvalidInventory):
                return Result.done()
            raise
        conditions.set(MANAGED, TRUE, "Managed", "instance is properly managed with finalizers and labels")
        conditions.set(RESOLVED, TRUE, "Resolved", "runtime graph created and all resources resolved")

        if is_suspended(instance):
            conditions.set(RESOURCES, FALSE, "ReconciliationSuspended", "reconciliation is suspended")
            state = previous_state(instance, InstanceState.IN_PROGRESS)
            await self.status.write(key, instance, previous_projections(instance), conditions, state)
            return Result.done()

        runtime = Runtime(graph, instance)
        outcome = _Outcome()
        try:
            await self._reconcile_nodes(key, instance, identity, runtime, outcome)
        except BaseException:
            await self._set_reads(key, outcome.reads, commit=False)
            raise
        # A completed reconcile commits its watch set; a failed one keeps the previous set too.
        await self._set_reads(key, outcome.reads, commit=outcome.error is None)
        instance = outcome.instance or instance

        state = runtime.instance_state()
        if outcome.terminating is not None:
            conditions.set(RESOURCES, FALSE, "ResourceDeleting", outcome.terminating)
        elif outcome.error is not None:
            state = InstanceState.ERROR
            conditions.set(RESOURCES, FALSE, "NotReady", f"resource reconciliation failed: {outcome.error}")
        elif state is InstanceState.ERROR:  # e.g. an apply refused: more useful than "cluster mutated"
            conditions.set(RESOURCES, FALSE, "NotReady", f"resource error: {self._node_summary(runtime, NodeState.ERROR)}")
        elif outcome.pending is not None:
            conditions.set(RESOURCES, FALSE, "NotReady",
                           f"resource reconciliation failed: waiting for unresolved resource: {outcome.pending}")
        elif outcome.mutated:
            conditions.set(RESOURCES, FALSE, "NotReady", "resource reconciliation failed: cluster mutated")
        elif state is InstanceState.ACTIVE:
            conditions.set(RESOURCES, TRUE, "AllResourcesReady", "all resources are created and ready")
        else:
            conditions.set(RESOURCES, FALSE, "NotReady",
                           f"awaiting resource readiness: {self._node_summary(runtime, NodeState.WAITING_FOR_READINESS)}")
        projected, _ = runtime.project_status()
        await self.status.write(key, instance, projected, conditions, state)
        if outcome.backoff:
            return Result.again()
        if outcome.terminating is not None or outcome.pending is not None or outcome.mutated or outcome.retry:
            return self._requeue()
        return Result.done()

    @staticmethod
    def _node_summary(runtime: Runtime, state: NodeState) -> str:
        ids = [i for i, s in runtime.states.items() if s is state]
        return "; ".join(runtime.reasons.get(i, i) for i in ids) or state.value

    async def _reconcile_nodes(
        self, key: ObjectRef, instance: Obj, identity: InstanceIdentity, runtime: Runtime, outcome: _Outcome,
    ) -> None:
        graph = runtime.graph
        to_apply: list[Applied] = []
        targets: dict[ObjectRef, str] = {}
        for node in graph.ordered_nodes():
            try:
                resolution = runtime.resolve(node.id)
            except NodePending as exc:
                log.debug("instance %s: %s", key, exc)
                outcome.pending = outcome.pending or str(exc)
                continue
            except NodeFailed as exc:
                outcome.error = str(exc)
                return  # a hard error aborts the reconcile before anything is applied
            if resolution.action is Action.SKIP:
                continue
            if node.type is NodeType.EXTERNAL_COLLECTION:
                try:
                    runtime.settle(node.id, await read_external_collection(
                        self.client, node, resolution.desired or {}, outcome.reads))
                except ValueError as exc:
                    outcome.error = f"resource {node.id!r}: {exc}"
                    return
                continue
            desired_objects = list(resolution.items) if node.type is NodeType.COLLECTION else [resolution.desired or {}]
            for desired in desired_objects:
                ref = object_ref(node, desired)
                other = targets.get(ref)
                if other is not None:
                    outcome.error = (f"found resources with conflicts: resourceID: {other} conflicts with "
                                     f"resourceID: {node.id}")
                    return
                targets[ref] = node.id
            if node.type is NodeType.COLLECTION:
                lives = await read_collection(self.client, node, identity, desired_objects, outcome.reads)
            else:
                lives = [await read_one(self.client, node, desired_objects[0], outcome.reads)]
            terminating = [lv for lv in lives if lv is not None and meta(lv).get("deletionTimestamp")]
            if terminating:
                runtime.states[node.id] = NodeState.DELETING
                outcome.terminating = (f"resource {node.id!r} ({node.gvk.kind} {meta(terminating[0]).get('name')}) "
                                       "is currently being deleted; waiting for deletion to complete")
                return
            if resolution.action is Action.READ:
                live = lives[0]
                if live is None:
                    runtime.states[node.id] = NodeState.WAITING_FOR_READINESS
                    outcome.pending = outcome.pending or f'waiting for external reference "{node.id}": not found'
                    runtime.observe(node.id, None)
                else:
                    runtime.settle(node.id, live)
                continue
            # Dependents see the pre-apply state this round.
            if node.type is NodeType.COLLECTION:
                runtime.observe(node.id, [lv for lv in lives if lv is not None])
            else:
                runtime.observe(node.id, lives[0])
            to_apply.extend(Applied(node.id, node.gvk, d, lv) for d, lv in zip(desired_objects, lives, strict=True))
            if not desired_objects:
                runtime.settle(node.id, [])  # an empty collection is synced at once; orphans are pruned

        # Watch everything before writing, so no event caused after this point is missed.
        await self._set_reads(key, outcome.reads, commit=False)

        persisted = read_inventory(identity.applyset_id, meta(instance).get("labels") or {},
                                   meta(instance).get("annotations") or {}) or Inventory(frozenset(), frozenset())
        batch = Inventory.of(
            (group_kind_string(a.gvk.group, a.gvk.kind) for a in to_apply),
            (str(meta(a.desired).get("namespace") or "") for a in to_apply),
            identity.namespace,
        )
        try:
            instance = outcome.instance = await self._ensure_parent(instance, identity, persisted.union(batch))
        except ApiError as exc:
            outcome.error = f"failed to record the ApplySet inventory: {exc}"
            return

        await asyncio.gather(*(apply_child(self.client, identity, a) for a in to_apply))
        kept: set[str] = set()
        failed = False
        by_node: dict[str, list[Applied]] = {}
        for a in to_apply:
            by_node.setdefault(a.node_id, []).append(a)
            if a.result is not None:
                kept.add(str(meta(a.result).get("uid") or ""))
            outcome.mutated = outcome.mutated or a.changed
        for node_id, items in by_node.items():
            errors = [a.error for a in items if a.error is not None]
            outcome.backoff = outcome.backoff or any(a.retryable for a in items)
            if errors:
                failed = True
                runtime.settle(node_id, None, error="; ".join(errors))
            elif graph.node(node_id).type is NodeType.COLLECTION:
                runtime.settle(node_id, [a.result for a in items if a.result is not None])
            else:
                runtime.settle(node_id, items[0].result)

        if outcome.pending is None and not failed:
            pruned, conflicts = await self._prune(identity, runtime.graph, persisted.union(batch), kept)
            outcome.mutated = outcome.mutated or pruned
            outcome.retry = conflicts
            if not conflicts and persisted.union(batch) != batch:
                try:
                    outcome.instance = await self._ensure_parent(instance, identity, batch)
                except ApiError as exc:
                    log.warning("instance %s: shrinking the ApplySet inventory failed: %s", key, exc)
                    outcome.retry = True

    async def _prune(
        self, identity: InstanceIdentity, graph: CompiledGraph, inventory: Inventory, kept: set[str],
    ) -> tuple[bool, bool]:
        """Delete members not applied this round, in waves (§5.5). Returns (deleted any, hit conflicts)."""
        known = {group_kind_string(n.gvk.group, n.gvk.kind): n.gvk for n in graph.nodes.values()}
        members = await list_members(self.client, identity.applyset_id, inventory, identity.namespace, known)
        stale = [m for m in members if m.uid not in kept and not m.terminating]
        if not stale:
            return False, False
        all_ok = True
        for wave in prune_waves(stale, graph.topological_order):
            log.info("instance %s/%s: pruning %s", identity.namespace, identity.name,
                     ", ".join(m.describe() for m in wave))
            all_ok = await delete_members(self.client, wave) and all_ok
        return True, not all_ok

    async def _set_reads(self, key: ObjectRef, reads: set[Read], *, commit: bool = True) -> None:
        """Declare what `key` reads. Uncommitted declarations (before writing) keep the previous
        set too, so a reconcile that fails half-way does not lose watches."""
        if commit:
            if reads:
                self._reads[key] = set(reads)
            else:
                self._reads.pop(key, None)
        else:
            reads = reads | self._reads.get(key, set())
        async with self._reads_lock:
            await self.watches.set_reads(key, reads, self.enqueue)

    async def forget(self, key: ObjectRef) -> None:
        await self._set_reads(key, set())

    async def forget_kind(self, gvk: GVK) -> None:
        """Drop the watches of every instance of `gvk` (the kind is no longer served)."""
        for key in [k for k in self._reads if k.gvk == gvk]:
            await self.forget(key)

    # -- deletion --------------------------------------------------------------------------------
    async def _delete(self, key: ObjectRef, reg: Registration, instance: Obj) -> Result:
        m = meta(instance)
        if FINALIZER not in (m.get("finalizers") or ()):
            await self.forget(key)
            return Result.done()
        identity = InstanceIdentity.of(instance, key.gvk)
        conditions = conditions_of(instance)
        conditions.set(RESOURCES, UNKNOWN, "UnderDeletion", "deleting resources")
        conditions.bump_observed_generation()
        projections = previous_projections(instance)
        try:
            inventory = read_inventory(identity.applyset_id, m.get("labels") or {}, m.get("annotations") or {})
        except InvalidInventory as exc:
            conditions.set(RESOURCES, UNKNOWN, "UnderDeletion", f"deletion blocked: {exc}")
            await self.status.write(key, instance, projections, conditions, InstanceState.DELETING)
            return Result.done()
        nodes = reg.graph.nodes.values() if reg.graph is not None else ()
        known = {group_kind_string(n.gvk.group, n.gvk.kind): n.gvk for n in nodes}
        members: list[Member] = []
        if inventory is not None:
            members = await list_members(self.client, identity.applyset_id, inventory, identity.namespace, known)
        if not members:
            await self.forget(key)
            try:
                await self.client.remove_finalizer(key.gvk, key.name, FINALIZER, namespace=key.namespace or None)
            except NotFound:
                pass
            return Result.done()
        # Watch the members so their disappearance re-queues the instance immediately.
        await self._set_reads(key, {ObjectRef(mb.gvk, mb.namespace, mb.name) for mb in members})
        wave = max(mb.apply_order for mb in members)
        targets = [mb for mb in members if mb.apply_order == wave and not mb.terminating]
        await delete_members(self.client, targets)
        conditions.set(RESOURCES, UNKNOWN, "UnderDeletion", f"deleting apply-order wave {wave}")
        await self.status.write(key, instance, projections, conditions, InstanceState.DELETING)
        return self._requeue()
