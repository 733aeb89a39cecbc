"""Looking at a reconcile's workload applies before they go out: a pod-template change waits for its
debounce window and a rollout slot, and one that goes out is stamped with why.

A waiting change holds back only the pod template: the workload is applied with the template kro
last applied, so every other change (replicas, labels, ...) goes out at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pykro.api.conventions import (
    APPLYSET_MANAGER,
    LAST_ROLLOUT_CAUSE_ANNOTATION,
    LAST_ROLLOUT_TIME_ANNOTATION,
    ROLLOUT_INPUTS_ANNOTATION,
    InstanceIdentity,
    meta,
)
from pykro.controller.instance.children import Applied
from pykro.controller.instance.fields import up_to_date
from pykro.controller.instance.rollouts.causes import causes, encode, inputs_of, recorded
from pykro.controller.instance.rollouts.gate import RolloutGate, Wait
from pykro.controller.instance.rollouts.template import template_changes, template_path, with_applied_template
from pykro.controller.rolloutpolicy import RolloutPolicy, for_object
from pykro.graph.model import CompiledGraph, Node
from pykro.kube import KubeClient
from pykro.runtime.runtime import Runtime
from pykro.schema.gvk import GVK
from pykro.timestamps import now_rfc3339

_RECORDS = (LAST_ROLLOUT_CAUSE_ANNOTATION, LAST_ROLLOUT_TIME_ANNOTATION, ROLLOUT_INPUTS_ANNOTATION)


@dataclass(frozen=True)
class Triggered:
    node_id: str
    item: Applied
    message: str  # "pod template changed: ..." ("" when the RGD does not record causes)


@dataclass
class Review:
    """What this reconcile's rollouts came to."""

    waits: list[tuple[str, Wait]] = field(default_factory=list)
    triggered: list[Triggered] = field(default_factory=list)

    def wait_message(self) -> tuple[str, str, float] | None:
        """(reason, message, retry after) for the instance's ResourcesReady, or None: nothing waits."""
        if not self.waits:
            return None
        reason = self.waits[0][1].reason
        message = "; ".join(f"resource {node!r}: {wait.message}" for node, wait in self.waits)
        return reason, message, min(wait.retry_after for _, wait in self.waits)


def _describe(obj: dict[str, Any]) -> str:
    m = meta(obj)
    return "/".join(str(p) for p in (m.get("namespace"), m.get("name")) if p)


def _carry_records(live: dict[str, Any] | None, desired: dict[str, Any]) -> None:
    """Keep pykro's rollout records on the workload: kro owns them, so an apply without them would
    remove them."""
    have = (meta(live).get("annotations") or {}) if live is not None else {}
    kept = {k: have[k] for k in _RECORDS if k in have}
    if kept:
        m = desired.setdefault("metadata", {})
        m["annotations"] = {**(m.get("annotations") or {}), **kept}


def _stamp(desired: dict[str, Any], records: dict[str, str]) -> None:
    m = desired.setdefault("metadata", {})
    m["annotations"] = {**(m.get("annotations") or {}), **records}


class Rollouts:
    def __init__(self, client: KubeClient) -> None:
        self.gate = RolloutGate(client)
        self._kinds: dict[str, list[GVK]] = {}  # graph spec hash → its workload kinds

    def workload_kinds(self, graph: CompiledGraph) -> list[GVK]:
        kinds = self._kinds.get(graph.spec_hash)
        if kinds is None:
            found = {n.gvk for n in graph.nodes.values() if template_path(n.template) is not None}
            kinds = self._kinds[graph.spec_hash] = sorted(found, key=str)
        return kinds

    async def review(
        self,
        policy: RolloutPolicy,
        runtime: Runtime,
        node: Node,
        items: list[Applied],
        identity: InstanceIdentity,
        review: Review,
    ) -> None:
        """Before `node`'s `items` are applied (in place: a waiting item's desired object changes)."""
        graph = runtime.graph
        for item in items:
            path = template_path(item.desired)
            if path is None or item.error is not None:
                continue
            mine = for_object(policy, item.desired)
            if not mine.active:
                continue
            live = item.live
            _carry_records(live, item.desired)
            if live is None:  # a new workload: not a rollout, but a baseline for the next one
                if mine.record:
                    _stamp(item.desired, {ROLLOUT_INPUTS_ANNOTATION: encode(inputs_of(runtime, node))})
                continue
            key = (identity.uid, node.id, _describe(item.desired))
            if not template_changes(live, item.desired, APPLYSET_MANAGER, path):
                self.gate.released(key)  # a change that went away (reverted) stops waiting
                continue
            wait: Wait | None = None
            if mine.debounce > 0:
                remaining = self.gate.debounce(key, mine.debounce)
                if remaining > 0:
                    wait = Wait(
                        "RolloutCoalescing",
                        f"gathering pod-template changes for {remaining:.1f}s more before one rollout",
                        remaining,
                    )
            if wait is None and mine.max_concurrent > 0:
                wait = await self.gate.acquire(
                    graph.rgd_name,
                    graph.instance_gvk,
                    self.workload_kinds(graph),
                    key,
                    mine.max_concurrent,
                    mine.timeout,
                )
            if wait is not None:
                item.desired = with_applied_template(live, item.desired, APPLYSET_MANAGER, path)
                if up_to_date(live, item.desired, APPLYSET_MANAGER):
                    item.result = live  # only the template changed: nothing to write yet
                review.waits.append((node.id, wait))
                continue
            self.gate.released(key)
            records = {LAST_ROLLOUT_TIME_ANNOTATION: now_rfc3339()}
            message = ""
            if mine.record:
                now = inputs_of(runtime, node)
                instance = f"{identity.kind} {_describe(runtime.instance)}"
                message = "pod template changed: " + "; ".join(
                    causes(recorded(live), now, instance, graph.rgd_name)
                )
                records.update(
                    {LAST_ROLLOUT_CAUSE_ANNOTATION: message, ROLLOUT_INPUTS_ANNOTATION: encode(now)}
                )
            _stamp(item.desired, records)
            review.triggered.append(Triggered(node.id, item, message))


ROLLOUTS_STATUS = "rollouts"  # instance status: the last rollout of each workload node


def rollout_status(instance: dict[str, Any], review: Review) -> dict[str, Any]:
    """`status.rollouts`: per workload node, its last recorded rollout (kept across reconciles)."""
    status = instance.get("status")
    previous = status.get(ROLLOUTS_STATUS) if isinstance(status, dict) else None
    out: dict[str, Any] = dict(previous) if isinstance(previous, dict) else {}
    for done in review.triggered:
        if done.message and done.item.result is not None and done.item.error is None:
            out[done.node_id] = {
                "workload": f"{done.item.gvk.kind} {_describe(done.item.result)}",
                "cause": done.message,
                "time": (meta(done.item.result).get("annotations") or {}).get(
                    LAST_ROLLOUT_TIME_ANNOTATION, ""
                ),
            }
    return out
