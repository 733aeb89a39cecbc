"""Planning one node of one reconcile: resolve it, read its live object(s), decide what to apply (spec §5.2).

The reconcile walks the graph in waves (see `reconciler`). Within a wave a node is planned only
once every dependency is settled, so expressions always read a dependency's state as the API
last returned it: the live object, or the response to this reconcile's own apply.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from pykro.api.conventions import InstanceIdentity, meta
from pykro.controller.instance.applyset import Inventory, group_kind_string
from pykro.controller.instance.children import (
    Applied,
    object_ref,
    plan_child,
    read_collection,
    read_external_collection,
    read_one,
)
from pykro.controller.instance.reads import CachedReads
from pykro.graph.model import CompiledGraph, Node, NodeType
from pykro.runtime.runtime import Action, NodeFailed, NodePending, Runtime
from pykro.runtime.state import NodeState
from pykro.toolkit import ObjectRef
from pykro.toolkit.watches import Read

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What a reconcile learned, turned into conditions, status and the requeue decision at the end."""

    pending: str | None = None  # the first data-pending message
    error: str | None = None  # a hard error: nothing more is applied
    terminating: str | None = None
    retry: bool = False  # prune hit UID conflicts
    backoff: bool = False  # an apply failed at the API: retry with exponential backoff
    failed: bool = False  # some node has an apply/conflict error
    reads: set[Read] = field(default_factory=set)
    read_nodes: set[str] = field(default_factory=set)  # nodes whose objects are watched this round
    pending_nodes: set[str] = field(default_factory=set)
    members: list[Applied] = field(default_factory=list)  # every managed object this round, applied or not
    refuse_adoption: bool = False  # --adoption-policy=refuse
    targets: dict[ObjectRef, str] = field(default_factory=dict)

    @property
    def stopped(self) -> bool:
        return self.error is not None or self.terminating is not None

    def pending_is_watched(self, graph: CompiledGraph) -> bool:
        """Is every pending node waiting on something whose change re-queues the instance: an object
        read (and so watched) this round, the instance spec, or another such pending node?"""

        def covered(node_id: str) -> bool:
            return all(
                d in self.read_nodes or (d in self.pending_nodes and covered(d))
                for d in graph.node(node_id).dependencies
            )

        return all(covered(n) for n in self.pending_nodes)


def inventory_of(items: list[Applied], parent_namespace: str) -> Inventory:
    return Inventory.of(
        (group_kind_string(a.gvk.group, a.gvk.kind) for a in items),
        (str(meta(a.desired).get("namespace") or "") for a in items),
        parent_namespace,
    )


def anticipated_kinds(graph: CompiledGraph, runtime: Runtime) -> Inventory:
    """The group-kinds kro may still apply for this instance: every managed node not skipped."""
    kinds = (
        group_kind_string(n.gvk.group, n.gvk.kind)
        for n in graph.nodes.values()
        if not n.is_external and runtime.states.get(n.id) is not NodeState.SKIPPED
    )
    return Inventory(frozenset(kinds), frozenset())


def settle(runtime: Runtime, node: Node, items: list[Applied]) -> bool:
    """Settle a node from its items' results; False if any item failed."""
    errors = [a.error for a in items if a.error is not None]
    if errors:
        runtime.settle(node.id, None, error="; ".join(errors))
        return False
    if node.type is NodeType.COLLECTION:
        runtime.settle(node.id, [a.result for a in items if a.result is not None])
    else:
        runtime.settle(node.id, items[0].result)
    return True


async def plan_node(
    source: CachedReads,
    node: Node,
    runtime: Runtime,
    identity: InstanceIdentity,
    outcome: Outcome,
) -> list[Applied] | None:
    """Resolve and read `node`. Returns its objects when they need the API (to apply, or to report
    a conflict), None when the node is settled, skipped, read-only, pending or the reconcile stops."""
    try:
        resolution = runtime.resolve(node.id)
    except NodePending as exc:
        log.debug("instance %s/%s: %s", identity.namespace, identity.name, exc)
        outcome.pending = outcome.pending or str(exc)
        outcome.pending_nodes.add(node.id)
        return None
    except NodeFailed as exc:
        outcome.error = str(exc)
        return None
    if resolution.action is Action.SKIP:
        return None
    if node.type is NodeType.EXTERNAL_COLLECTION:
        outcome.read_nodes.add(node.id)
        try:
            runtime.settle(
                node.id,
                await read_external_collection(source.client, node, resolution.desired or {}, outcome.reads),
            )
        except ValueError as exc:
            outcome.error = f"resource {node.id!r}: {exc}"
        return None
    desired_objects = (
        list(resolution.items) if node.type is NodeType.COLLECTION else [resolution.desired or {}]
    )
    for desired in desired_objects:
        ref = object_ref(node, desired)
        other = outcome.targets.get(ref)
        if other is not None:
            outcome.error = (
                f"found resources with conflicts: resourceID: {other} conflicts with resourceID: {node.id}"
            )
            return None
        outcome.targets[ref] = node.id
    outcome.read_nodes.add(node.id)
    lives: list[dict[str, Any] | None]
    if node.type is NodeType.COLLECTION:
        lives = await read_collection(source, node, identity, desired_objects, outcome.reads)
    else:
        lives = [await read_one(source, node, desired_objects[0], outcome.reads)]
    terminating = [lv for lv in lives if lv is not None and meta(lv).get("deletionTimestamp")]
    if terminating:
        runtime.mark_deleting(node.id)
        doomed = meta(terminating[0])
        where = "/".join(str(p) for p in (doomed.get("namespace"), doomed.get("name")) if p)
        outcome.terminating = (  # upstream's wording, resource "<namespace>/<name>"
            f"resource {json.dumps(where)} for node {json.dumps(node.id)} is currently being deleted; "
            "waiting for deletion to complete before continuing reconciliation"
        )
        return None
    if resolution.action is Action.READ:
        live = lives[0]
        if live is None:
            runtime.mark_not_found(node.id)
            outcome.pending = outcome.pending or f'waiting for external reference "{node.id}": not found'
            outcome.pending_nodes.add(node.id)
        else:
            runtime.settle(node.id, live)
        return None
    items = [Applied(node.id, node.gvk, d, lv) for d, lv in zip(desired_objects, lives, strict=True)]
    outcome.members.extend(items)
    needs_api = [
        plan_child(identity, a, refuse_adoption=outcome.refuse_adoption) for a in items
    ]  # every item: up-to-date ones get their result
    if any(needs_api):
        # Until the apply returns, dependents must not read this node (they wait for the next wave).
        if node.type is NodeType.COLLECTION:
            runtime.observe(node.id, [lv for lv in lives if lv is not None])
        else:
            runtime.observe(node.id, lives[0])
        return items
    settle(runtime, node, items)  # nothing to write: the live objects are this round's state
    return None
