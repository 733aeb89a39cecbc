"""One reconcile of one instance (spec §5.1): manage, resolve, apply, prune, report; or delete (§5.9).

Every object the reconcile reads or writes is declared to the `WatchManager` as read by the
instance, so a change to any of them re-queues the instance at once. A reconcile sends only the
writes that change something: children already up to date are not re-applied, the instance
metadata (finalizer, labels, ApplySet inventory) is one apply sent only when something is missing,
and the status is written only when its canonical JSON differs.

Nodes are applied in waves: a node whose dependency is being applied waits for that apply's
response and goes in the next wave, so one reconcile takes a fresh instance to ACTIVE and reports
it at once (no "cluster mutated" pass, see docs/instance-controller.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from pykro.api.conventions import (
    FINALIZER,
    InstanceIdentity,
    is_suspended,
    meta,
)
from pykro.controller.conditions import FALSE, TRUE, UNKNOWN
from pykro.controller.instance.applyset import InvalidInventory, Inventory, group_kind_string, read_inventory
from pykro.controller.instance.children import Applied, apply_child
from pykro.controller.instance.events import InstanceEvents
from pykro.controller.instance.members import (
    Member,
    delete_members,
    list_members,
    prune_waves,
)
from pykro.controller.instance.metrics import ConditionDurations
from pykro.controller.instance.nodes import (
    Outcome,
    anticipated_kinds,
    inventory_of,
    plan_node,
    settle,
)
from pykro.controller.instance.parent import InstanceMetadata, ManagementFailed
from pykro.controller.instance.reads import CachedReads
from pykro.controller.instance.rollouts import (
    OFF,
    ROLLOUTS_STATUS,
    Review,
    RolloutPolicy,
    Rollouts,
    rollout_status,
)
from pykro.controller.instance.status import (
    MANAGED,
    RESOLVED,
    RESOURCES,
    StatusWriter,
    conditions_of,
    conditions_to_write,
    previous_projections,
    previous_state,
)
from pykro.graph.model import CompiledGraph, Node
from pykro.kube import KubeClient, NotFound
from pykro.runtime.runtime import Runtime
from pykro.runtime.state import InstanceState, NodeState
from pykro.schema.gvk import GVK
from pykro.toolkit import ObjectRef, Result, WatchManager
from pykro.toolkit.watches import Read

__all__ = ["Reconciler", "Registration"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Registration:
    """What serves one instance kind: a graph, or (graph None) why there is none usable."""

    graph: CompiledGraph | None
    rgd_uid: str
    unresolved: str = ""  # e.g. "graph revision 3 failed to compile: ..."
    retry: bool = False  # requeue unresolved instances (pending compile) or wait for an event (failed)
    rollouts: RolloutPolicy = OFF  # pykro's rollout extensions, from the RGD's annotations


Obj = dict[str, Any]


class Reconciler:
    """Reconciles instance keys (`ObjectRef(instance_gvk, namespace, name)`)."""

    def __init__(
        self,
        client: KubeClient,
        watches: WatchManager,
        registrations: Callable[[GVK], Registration | None],
        enqueue: Callable[[ObjectRef], None],
        *,
        requeue_interval: float = 3.0,
        on_transition: Callable[[GVK, str, str], None] | None = None,
        adoption_policy: str = "adopt",
        events: InstanceEvents | None = None,
        condition_metrics: ConditionDurations | None = None,
    ) -> None:
        self.client = client
        self.events = events or InstanceEvents(None)
        self.adoption_policy = adoption_policy
        self.watches = watches
        self.registrations = registrations
        self.enqueue = enqueue
        self.requeue_interval = requeue_interval
        self.reads = CachedReads(client, watches)  # reads served from the watches' informer caches
        self.condition_metrics = condition_metrics
        self.status = StatusWriter(
            client, on_transition, self.events, condition_metrics, on_written=self.reads.remember
        )
        self.rollouts = Rollouts(client)
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
        instance = await self.reads.get(key.gvk, key.name, key.namespace or None)
        if instance is None:
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
        conditions.set(
            RESOLVED, FALSE, "ResolutionFailed", reg.unresolved or "no graph is available for this kind"
        )
        await self.status.write(
            key, instance, previous_projections(instance), conditions, InstanceState.ERROR
        )
        return self._requeue() if reg.retry else Result.done()

    # -- reconcile -------------------------------------------------------------------------------
    async def _reconcile(
        self, key: ObjectRef, reg: Registration, instance: Obj, graph: CompiledGraph
    ) -> Result:
        identity = InstanceIdentity.of(instance, graph.instance_gvk)
        conditions = conditions_of(instance)
        try:
            parent = InstanceMetadata(
                instance,
                identity,
                identity.managed_labels(graph.rgd_name, reg.rgd_uid),
                partial(self.reads.remember, graph.instance_gvk),
            )
        except InvalidInventory as exc:
            conditions.set(
                MANAGED,
                FALSE,
                "ManagementFailed",
                f"cannot install finalizer with invalid ApplySet inventory: {exc}",
            )
            await self.status.write(
                key, instance, previous_projections(instance), conditions, InstanceState.ERROR
            )
            return Result.done()
        runtime = Runtime(graph, instance)
        outcome = Outcome(refuse_adoption=self.adoption_policy == "refuse")
        review = Review()
        try:
            if not is_suspended(instance):
                await self._reconcile_nodes(key, parent, runtime, outcome, reg.rollouts, review)
            # Managed even when nothing was applied (suspended, pending, hard error): deletion must work.
            await parent.ensure(self.client, anticipated=anticipated_kinds(graph, runtime))
        except ManagementFailed as exc:
            await self._set_reads(key, outcome.reads, commit=False)
            conditions.set(MANAGED, FALSE, "ManagementFailed", str(exc))
            await self.status.write(
                key, parent.instance, previous_projections(instance), conditions, InstanceState.ERROR
            )
            raise
        except BaseException:
            await self._set_reads(key, outcome.reads, commit=False)
            raise
        instance = parent.instance
        conditions.set(MANAGED, TRUE, "Managed", "instance is properly managed with finalizers and labels")
        conditions.set(RESOLVED, TRUE, "Resolved", "runtime graph created and all resources resolved")
        if is_suspended(instance):
            conditions.set(RESOURCES, FALSE, "ReconciliationSuspended", "reconciliation is suspended")
            state = previous_state(instance, InstanceState.IN_PROGRESS)
            await self.status.write(
                key,
                instance,
                previous_projections(instance),
                conditions,
                state,
                written=conditions_to_write(graph, runtime, conditions, instance),
            )
            return Result.done()
        # A completed reconcile commits its watch set; a failed one keeps the previous set too.
        await self._set_reads(key, outcome.reads, commit=outcome.error is None)

        state = runtime.instance_state()
        projected, status_errors = runtime.project_status()
        if status_errors:
            # A status field whose expression fails keeps its last value rather than vanishing.
            previous = previous_projections(instance)
            for failed in status_errors:
                field = failed.path[0] if failed.path else ""
                if isinstance(field, str) and field in previous and field not in projected:
                    projected[field] = previous[field]
        if reg.rollouts.record:
            projected[ROLLOUTS_STATUS] = rollout_status(instance, review)
        waiting = review.wait_message()
        if outcome.terminating is not None:
            conditions.set(RESOURCES, FALSE, "ResourceDeleting", outcome.terminating)
        elif outcome.error is not None:
            state = InstanceState.ERROR
            conditions.set(RESOURCES, FALSE, "NotReady", f"resource reconciliation failed: {outcome.error}")
        elif status_errors:
            # Upstream fails the reconcile on a status expression that cannot evaluate; say which.
            state = InstanceState.ERROR
            failures = "; ".join(str(e) for e in status_errors)
            conditions.set(RESOURCES, FALSE, "NotReady", f"resource reconciliation failed: {failures}")
        elif state is InstanceState.ERROR:
            conditions.set(
                RESOURCES,
                FALSE,
                "NotReady",
                f"resource error: {self._node_summary(runtime, NodeState.ERROR)}",
            )
        elif outcome.pending is not None:
            conditions.set(
                RESOURCES,
                FALSE,
                "NotReady",
                f"resource reconciliation failed: waiting for unresolved resource: {outcome.pending}",
            )
        elif waiting is not None:
            state = InstanceState.IN_PROGRESS  # a pod-template change is held back (pykro's rollouts)
            conditions.set(RESOURCES, FALSE, waiting[0], waiting[1])
        elif state is InstanceState.ACTIVE:
            # Deliberate deviation from upstream (no "cluster mutated" pass): the apply responses
            # already show every node ready, so say so now instead of after a delayed no-op reconcile.
            conditions.set(RESOURCES, TRUE, "AllResourcesReady", "all resources are created and ready")
        else:
            conditions.set(
                RESOURCES,
                FALSE,
                "NotReady",
                "awaiting resource readiness: "
                f"{self._node_summary(runtime, NodeState.WAITING_FOR_READINESS)}",
            )
        await self.status.write(
            key,
            instance,
            projected,
            conditions,
            state,
            written=conditions_to_write(graph, runtime, conditions, instance),
        )
        if outcome.backoff:
            return Result.again()
        if waiting is not None:
            return Result.after(waiting[2])
        # Readiness, terminating children and pending data all come from watched objects (or the
        # instance spec): their events re-queue the instance. Only what no event announces polls.
        if outcome.retry or (outcome.pending is not None and not outcome.pending_is_watched(graph)):
            return self._requeue()
        return Result.done()

    @staticmethod
    def _node_summary(runtime: Runtime, state: NodeState) -> str:
        ids = [i for i, s in runtime.states.items() if s is state]
        return "; ".join(runtime.reasons.get(i, i) for i in ids) or state.value

    async def _reconcile_nodes(
        self,
        key: ObjectRef,
        parent: InstanceMetadata,
        runtime: Runtime,
        outcome: Outcome,
        policy: RolloutPolicy,
        review: Review,
    ) -> None:
        """Plan and apply the graph in waves, then prune (§5.1 step 7)."""
        graph = runtime.graph
        identity = parent.identity
        remaining: list[Node] = list(graph.ordered_nodes())
        while remaining:
            told = len(review.triggered)  # rollouts of earlier waves are already announced
            wave: list[tuple[Node, list[Applied]]] = []
            deferred: list[Node] = []
            waiting: set[str] = set()
            for node in remaining:
                if any(d in waiting for d in node.dependencies):
                    deferred.append(node)
                    waiting.add(node.id)
                    continue
                items = await plan_node(self.reads, node, runtime, identity, outcome)
                if outcome.stopped:
                    return  # a hard error or a terminating child: nothing more is applied
                if items and policy.active:
                    await self.rollouts.review(policy, runtime, node, items, identity, review)
                if items:
                    wave.append((node, items))
                    waiting.add(node.id)
            if not wave:
                break
            await self._apply_wave(key, parent, runtime, outcome, wave)
            for done in review.triggered[told:]:
                if done.message and done.item.result is not None and done.item.error is None:
                    self.events.rollout(key.gvk, parent.instance, done.item.result, done.message)
            remaining = deferred

        batch = inventory_of(outcome.members, identity.namespace)
        if outcome.pending is not None or outcome.failed:
            await parent.ensure(self.client, batch, anticipated_kinds(graph, runtime))
            return
        kept = {str(meta(a.result).get("uid") or "") for a in outcome.members if a.result is not None}
        _, conflicts = await self._prune(identity, graph, parent.inventory.union(batch), kept)
        outcome.retry = conflicts
        if conflicts:
            await parent.ensure(self.client, batch)
        else:
            await parent.record(self.client, batch)  # the inventory shrinks to what was applied

    async def _apply_wave(
        self,
        key: ObjectRef,
        parent: InstanceMetadata,
        runtime: Runtime,
        outcome: Outcome,
        wave: list[tuple[Node, list[Applied]]],
    ) -> None:
        items = [a for _, node_items in wave for a in node_items]
        # Watch everything before writing, so no event caused after this point is missed; and
        # record the inventory before the children exist, so deletion always finds them.
        await self._set_reads(key, outcome.reads, commit=False)
        await parent.ensure(
            self.client,
            inventory_of(items, parent.identity.namespace),
            anticipated_kinds(runtime.graph, runtime),
        )
        for item in items:
            self.reads.expect(key, item.gvk, item.desired)
        await asyncio.gather(*(apply_child(self.client, a) for a in items))
        for item in items:
            if not self.reads.settle(item.gvk, item.desired, item.result if item.changed else None):
                self.enqueue(key)  # another write landed meanwhile: look again after this reconcile
        for adopted in (a for a in items if a.adopted and a.error is None and a.result is not None):
            self.events.adopted(key.gvk, parent.instance, _adoption_message(adopted))
        for node, node_items in wave:
            outcome.backoff = outcome.backoff or any(a.retryable for a in node_items)
            if not settle(runtime, node, node_items):
                outcome.failed = True

    async def _prune(
        self,
        identity: InstanceIdentity,
        graph: CompiledGraph,
        inventory: Inventory,
        kept: set[str],
    ) -> tuple[bool, bool]:
        """Delete members not applied this round, in waves (§5.5). Returns (deleted any, hit conflicts)."""
        known = {group_kind_string(n.gvk.group, n.gvk.kind): n.gvk for n in graph.nodes.values()}
        members = await list_members(
            self.client, identity.applyset_id, inventory, identity.namespace, known, self.reads
        )
        stale = [m for m in members if m.uid not in kept and not m.terminating]
        if not stale:
            return False, False
        all_ok = True
        for wave in prune_waves(stale, graph.topological_order):
            log.info(
                "instance %s/%s: pruning %s",
                identity.namespace,
                identity.name,
                ", ".join(m.describe() for m in wave),
            )
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
            await self.watches.set_reads(key, reads, self.enqueue, partial(self.reads.own_write_seen, key))

    async def forget(self, key: ObjectRef) -> None:
        await self._set_reads(key, set())
        if self.condition_metrics is not None:
            self.condition_metrics.forget(key.gvk, key.namespace or "", key.name)

    async def forget_kind(self, gvk: GVK) -> None:
        """Drop the watches of every instance of `gvk` (the kind is no longer served)."""
        for key in [k for k in self._reads if k.gvk == gvk]:
            await self.forget(key)
        if self.condition_metrics is not None:
            self.condition_metrics.forget_kind(gvk)

    # -- deletion --------------------------------------------------------------------------------
    async def _delete(self, key: ObjectRef, reg: Registration, instance: Obj) -> Result:
        m = meta(instance)
        if FINALIZER not in (m.get("finalizers") or ()):
            await self.forget(key)
            return Result.done()
        identity = InstanceIdentity.of(instance, key.gvk)
        self.rollouts.gate.forget_instance(identity.uid)
        conditions = conditions_of(instance)
        conditions.set(RESOURCES, UNKNOWN, "UnderDeletion", "deleting resources")
        conditions.bump_observed_generation()
        projections = previous_projections(instance)
        try:
            inventory = read_inventory(
                identity.applyset_id, m.get("labels") or {}, m.get("annotations") or {}
            )
        except InvalidInventory as exc:
            self.events.deletion_blocked(key.gvk, instance, f"invalid ApplySet inventory: {exc}")
            conditions.set(RESOURCES, UNKNOWN, "UnderDeletion", f"deletion blocked: {exc}")
            await self.status.write(key, instance, projections, conditions, InstanceState.DELETING)
            return Result.done()
        nodes = reg.graph.nodes.values() if reg.graph is not None else ()
        known = {group_kind_string(n.gvk.group, n.gvk.kind): n.gvk for n in nodes}
        members: list[Member] = []
        if inventory is not None:
            members = await list_members(
                self.client, identity.applyset_id, inventory, identity.namespace, known
            )
        if not members:
            await self.forget(key)
            self.events.deleted(instance)
            try:
                await self.client.remove_finalizer(
                    key.gvk, key.name, FINALIZER, namespace=key.namespace or None
                )
            except NotFound:
                pass
            return Result.done()
        # Watch the members so their disappearance re-queues the instance immediately.
        await self._set_reads(key, {ObjectRef(mb.gvk, mb.namespace, mb.name) for mb in members})
        wave = max(mb.apply_order for mb in members)
        targets = [mb for mb in members if mb.apply_order == wave and not mb.terminating]
        if not targets:
            # Everything in this wave is already being deleted: something (a finalizer) holds it.
            held = [mb.describe() for mb in members if mb.apply_order == wave]
            self.events.deletion_blocked(key.gvk, instance, f"waiting for {', '.join(held)} to be deleted")
        await delete_members(self.client, targets)
        conditions.set(RESOURCES, UNKNOWN, "UnderDeletion", f"deleting apply-order wave {wave}")
        await self.status.write(key, instance, projections, conditions, InstanceState.DELETING)
        return self._requeue()


def _adoption_message(item: Applied) -> str:
    m = meta(item.result or item.desired)
    where = "/".join(str(p) for p in (m.get("namespace"), m.get("name")) if p)
    return (
        f"resource {item.node_id!r} adopted {item.gvk.kind} {where}, which no kro instance created: kro now "
        "manages it, merges the template into it and deletes it with this instance "
        "(pykro --adoption-policy=refuse leaves such objects alone)"
    )
