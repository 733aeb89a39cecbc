"""Serving instance kinds: one work queue for all of them, one metadata informer per kind (spec §5.10,
§5.11)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

from prometheus_client import Counter

from pykro.api.conventions import is_suspended
from pykro.controller.instance.events import InstanceEvents
from pykro.controller.instance.metrics import ConditionDurations, gvr_label
from pykro.controller.instance.reconciler import Reconciler, Registration
from pykro.controller.instance.rollouts import OFF, RolloutPolicy
from pykro.graph.model import CompiledGraph
from pykro.kube import KubeClient
from pykro.schema.gvk import GVK
from pykro.toolkit import (
    Controller,
    InformerEvent,
    ObjectRef,
    Result,
    RuntimeMetrics,
    Subscription,
    WatchManager,
    filtered,
    generation_changed,
)
from pykro.toolkit.events import EventBroadcaster

log = logging.getLogger(__name__)


class InstanceControllers:
    """See `pykro.controller.instance` for the contract."""

    def __init__(
        self,
        client: KubeClient,
        watches: WatchManager,
        *,
        workers: int = 4,
        requeue_interval: float = 3.0,
        metrics: RuntimeMetrics | None = None,
        max_retries: int = 20,
        adoption_policy: str = "adopt",
        broadcaster: EventBroadcaster | None = None,
        record_events: bool = True,
        condition_events: bool = False,
        condition_metrics: bool = False,
    ) -> None:
        """`broadcaster`: where Events go (None: one of its own, started and stopped with it)."""
        self.client = client
        self.watches = watches
        self._own_broadcaster = broadcaster is None
        self.broadcaster = broadcaster or EventBroadcaster(client)
        self.events = InstanceEvents(
            self.broadcaster, record=record_events, condition_events=condition_events
        )
        self._registrations: dict[GVK, Registration] = {}
        self._subscriptions: dict[GVK, Subscription] = {}
        self.controller: Controller[ObjectRef] = Controller(
            "instances",
            self._reconcile,
            workers=workers,
            max_retries=max_retries,
            metrics=metrics,
        )
        self.transitions: Counter | None = None
        if metrics is not None:
            self.transitions = Counter(
                "instance_state_transitions",
                "Instance status.state changes.",
                ["gvr", "from_state", "to_state"],
                registry=metrics.registry,
            )
        durations = None
        if condition_metrics:  # upstream's InstanceConditionMetrics gate
            durations = ConditionDurations()
            if metrics is not None:
                metrics.registry.register(durations)
        self.condition_durations = durations
        self.reconciler = Reconciler(
            client,
            watches,
            self._registrations.get,
            self.controller.enqueue,
            requeue_interval=requeue_interval,
            on_transition=self._count_transition,
            adoption_policy=adoption_policy,
            events=self.events,
            condition_metrics=durations,
        )
        self._started = False

    def _count_transition(self, gvk: GVK, old: str, new: str) -> None:
        if self.transitions is not None:
            self.transitions.labels(gvr_label(gvk), old, new).inc()

    @property
    def state_transitions(self) -> Mapping[tuple[str, str], int]:
        """(from_state, to_state) → count, as `instance_state_transitions_total` would report."""
        return self.reconciler.status.transitions

    def registered(self) -> list[GVK]:
        return list(self._registrations)

    def graph(self, gvk: GVK) -> CompiledGraph | None:
        reg = self._registrations.get(gvk)
        return reg.graph if reg is not None else None

    async def _reconcile(self, key: ObjectRef) -> Result:
        return await self.reconciler.reconcile(key)

    async def register(self, graph: CompiledGraph, rgd_uid: str, rollouts: RolloutPolicy = OFF) -> None:
        """Serve `graph.instance_gvk` with `graph` (replacing the previous graph) and enqueue every
        instance. Re-registering a graph with the same spec hash, RGD uid and rollout policy changes
        nothing."""
        current = self._registrations.get(graph.instance_gvk)
        if (
            current is not None
            and current.graph is not None
            and current.rgd_uid == rgd_uid
            and current.graph.spec_hash == graph.spec_hash
            and current.rollouts == rollouts
            and graph.instance_gvk in self._subscriptions
        ):
            return
        self.events.serve(graph.instance_gvk, graph.instance_plural)
        await self._serve(graph.instance_gvk, Registration(graph, rgd_uid, rollouts=rollouts))

    async def mark_unresolved(self, gvk: GVK, rgd_uid: str, message: str, *, retry: bool = False) -> None:
        """The kind's RGD has no usable graph (compile failed, or pending with `retry`): instances
        report `GraphResolved=False` (ResolutionFailed, `message`) and state ERROR; nothing is applied,
        deletion still works. A later `register` resumes normal reconciles."""
        await self._serve(gvk, Registration(None, rgd_uid, message, retry))

    async def _serve(self, gvk: GVK, registration: Registration) -> None:
        self._registrations[gvk] = registration
        if not self._started:
            if self._own_broadcaster:
                self.broadcaster.start()
            self.controller.start()
            self._started = True
        sub = self._subscriptions.get(gvk)
        if sub is None:
            # Full objects: the reconciler reads instances from this informer's cache.
            self._subscriptions[gvk] = await self.watches.subscribe(
                gvk, self._handler(gvk), metadata_only=False
            )
        else:
            informer = sub.informer
            for obj in informer.cache.list():
                self.controller.enqueue(ObjectRef.of(obj, gvk))

    def _handler(self, gvk: GVK) -> Any:
        def enqueue(event: InformerEvent) -> None:
            self.controller.enqueue(ObjectRef.of(event.object, gvk))

        # Status and label writes (including our own) are ignored, which keeps reconciles from looping.
        return filtered(enqueue, partial(generation_changed, toggle=is_suspended))

    async def unregister(self, gvk: GVK) -> None:
        """Stop serving `gvk`: queued keys of it are dropped, its watches released."""
        self._registrations.pop(gvk, None)
        sub = self._subscriptions.pop(gvk, None)
        await self.reconciler.forget_kind(gvk)
        if sub is not None:
            await self.watches.unsubscribe(sub)

    def instance_count(self, gvk: GVK) -> int:
        sub = self._subscriptions.get(gvk)
        return len(sub.informer.cache.list()) if sub is not None else 0

    async def stop(self) -> None:
        await self.controller.stop(drain=False)
        for gvk in list(self._subscriptions):
            await self.unregister(gvk)
        if self._own_broadcaster:
            await self.broadcaster.stop()
        self._started = False
