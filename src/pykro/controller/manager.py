"""The controller manager: one client, shared watches, the RGD and instance controllers,
optional leader election, and the metrics/health endpoints — what `pykro run` starts.

    async with start_controller(Path("kubeconfig")) as manager:
        ...  # RGDs applied to that cluster are now served

`Manager.start()` returns once the RGD CRD is installed and the RGD informer has synced (or, with
leader election, once campaigning has begun); `stop()` shuts everything down in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from pykro.api.crd import graph_revision_crd_manifest, rgd_crd_manifest
from pykro.controller.features import FeatureGates
from pykro.controller.graphrevision import GraphRevisionController
from pykro.controller.instance.metrics import gvr_label
from pykro.controller.revisions.registry import RevisionRegistry
from pykro.controller.rgd import RGDController, RGDControllerOptions, RGDMetrics
from pykro.controller.rgd.crds import CRD, wait_established
from pykro.controller.rgd.events import COMPONENT as RGD_EVENT_COMPONENT
from pykro.errors import Problem, PykroError
from pykro.kube import ClientConfig, ClientMetrics, KubeClient, load_kubeconfig
from pykro.kube.errors import AlreadyExists, NotFound
from pykro.kube.metrics import DURATION_BUCKETS
from pykro.toolkit import (
    Controller,
    Endpoint,
    HealthChecks,
    LeaderElector,
    LeaseConfig,
    RuntimeMetrics,
    WatchManager,
    serve,
)
from pykro.toolkit.events import EventBroadcaster

log = logging.getLogger(__name__)

# How long a (re)start lets the existing graph revisions compile before the RGD controller starts.
REVISION_WARMUP_TIMEOUT = 60.0

LEASE_NAME = "controller.kro.run"


@dataclass(frozen=True)
class ManagerOptions:
    """Controller flags (spec §8.1). Bind addresses are `host:port` (`:8078` = all interfaces);
    None or "0" disables that endpoint."""

    workers: int = 4
    rgd_workers: int = 1
    allow_crd_deletion: bool = False
    requeue_interval: float = 3.0
    install_rgd_crd: bool = True
    leader_elect: bool = False
    leader_election_namespace: str | None = None  # None: the kubeconfig context's namespace
    leader_election_id: str = LEASE_NAME
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    metrics_bind_address: str | None = None
    health_probe_bind_address: str | None = None
    established_timeout: float = 120.0
    max_graph_revisions: int = 5
    progress_requeue_delay: float = 3.0
    graph_revision_workers: int = 1
    qps: float = 100.0
    burst: int = 150
    feature_gates: FeatureGates = field(default_factory=FeatureGates)
    adoption_policy: str = "adopt"  # or "refuse": leave objects no kro instance created alone
    events: bool = True  # pykro's own Events (state transitions, errors, CRD changes); see docs/events.md


def parse_bind_address(address: str | None, flag: str) -> tuple[str, int] | None:
    """`":8078"` → ("0.0.0.0", 8078); `"127.0.0.1:0"` → free port; None/"0"/"" → disabled."""
    if address is None or address in ("", "0"):
        return None
    host, sep, port = address.rpartition(":")
    if not sep or not (port.isascii() and port.isdigit()) or int(port) > 65535:
        message = f"{flag} must look like HOST:PORT or :PORT, got {address!r}"
        raise PykroError(message, (Problem(flag, message),))
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


def _config(
    source: ClientConfig | str | os.PathLike[str] | None, context: str | None, options: ManagerOptions
) -> ClientConfig:
    if isinstance(source, ClientConfig):
        return source
    return load_kubeconfig(source, context=context, qps=options.qps, burst=options.burst)


def _kind_label(key: object) -> str:
    gvk = getattr(key, "gvk", None)  # instance keys are ObjectRef(gvk, namespace, name)
    return gvr_label(gvk) if gvk is not None else "unknown"


class _QueueDepthByKind(Collector):
    """`instance_queue_depth{gvr}`, computed at scrape time from the shared instance queue."""

    def __init__(self, controller: Controller[Any]) -> None:
        self.controller = controller

    def collect(self) -> Any:
        family = GaugeMetricFamily("instance_queue_depth", "Instance keys waiting, by kind.", labels=["gvr"])
        counts: dict[str, int] = {}
        for key in self.controller.queue.pending():
            counts[_kind_label(key)] = counts.get(_kind_label(key), 0) + 1
        for kind, n in sorted(counts.items()):
            family.add_metric([kind], n)
        yield family


def instrument_by_kind(controller: Controller[Any], registry: CollectorRegistry) -> None:
    """Per-kind reconcile count, errors and duration (spec §8.3 `instance_reconcile_*`) plus queue depth,
    by wrapping the shared instance controller's reconcile function."""
    try:
        total = Counter(
            "instance_reconcile",
            "Instance reconciles, by kind and result.",
            ["gvr", "result"],
            registry=registry,
        )
        errors = Counter(
            "instance_reconcile_errors",
            "Instance reconciles that raised, by kind.",
            ["gvr"],
            registry=registry,
        )
        duration = Histogram(
            "instance_reconcile_duration_seconds",
            "Instance reconcile time, by kind.",
            ["gvr"],
            buckets=(0.001, 0.005, *DURATION_BUCKETS),
            registry=registry,
        )
        registry.register(_QueueDepthByKind(controller))
    except ValueError:  # the instance controller registers these itself
        return
    inner = controller.reconcile

    async def reconcile(key: Any) -> Any:
        label = _kind_label(key)
        started = time.perf_counter()
        try:
            result = await inner(key)
        except Exception:
            errors.labels(label).inc()
            total.labels(label, "error").inc()
            raise
        finally:
            duration.labels(label).observe(time.perf_counter() - started)
        total.labels(
            label, "done" if result is None or not (result.requeue or result.requeue_after) else "requeue"
        ).inc()
        return result

    controller.reconcile = reconcile


class Manager:
    """Wires and runs everything one pykro controller process needs."""

    def __init__(
        self,
        config: ClientConfig | str | os.PathLike[str] | None = None,
        options: ManagerOptions | None = None,
        *,
        context: str | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        from pykro.controller.instance.controllers import InstanceControllers

        self.options = options or ManagerOptions()
        self._metrics_bind = parse_bind_address(self.options.metrics_bind_address, "--metrics-bind-address")
        self._health_bind = parse_bind_address(
            self.options.health_probe_bind_address, "--health-probe-bind-address"
        )
        self.registry = registry if registry is not None else CollectorRegistry()
        self.runtime_metrics = RuntimeMetrics(self.registry)
        self.rgd_metrics = RGDMetrics(self.registry)
        self.client = KubeClient(_config(config, context, self.options), metrics=ClientMetrics(self.registry))
        # Informers behind instances' reads keep full objects: reconciles read from their caches.
        self.watches = WatchManager(self.client, reads_metadata_only=False, metrics=self.runtime_metrics)
        self.broadcaster = EventBroadcaster(self.client)
        self.instances = InstanceControllers(
            self.client,
            self.watches,
            workers=self.options.workers,
            requeue_interval=self.options.requeue_interval,
            metrics=self.runtime_metrics,
            adoption_policy=self.options.adoption_policy,
            broadcaster=self.broadcaster,
            record_events=self.options.events,
            condition_events=self.options.feature_gates.InstanceConditionEvents,
            condition_metrics=self.options.feature_gates.InstanceConditionMetrics,
        )
        instrument_by_kind(self.instances.controller, self.registry)
        self.revisions = RevisionRegistry()
        self.graph_revisions = GraphRevisionController(
            self.client,
            self.revisions,
            workers=self.options.graph_revision_workers,
            runtime_metrics=self.runtime_metrics,
            enable_omit=self.options.feature_gates.CELOmitFunction,
        )
        self.rgds = RGDController(
            self.client,
            self.watches,
            self.instances,
            options=RGDControllerOptions(
                workers=self.options.rgd_workers,
                allow_crd_deletion=self.options.allow_crd_deletion,
                established_timeout=self.options.established_timeout,
                max_graph_revisions=self.options.max_graph_revisions,
                progress_requeue_delay=self.options.progress_requeue_delay,
                enable_omit=self.options.feature_gates.CELOmitFunction,
            ),
            metrics=self.rgd_metrics,
            runtime_metrics=self.runtime_metrics,
            revisions=self.revisions,
            recorder=self.broadcaster.recorder(RGD_EVENT_COMPONENT) if self.options.events else None,
        )
        self.checks = HealthChecks()
        self.checks.add_liveness("ping", lambda: True)
        self.checks.add_readiness("controllers", self._ready)
        self.metrics_endpoint: Endpoint | None = None
        self.health_endpoint: Endpoint | None = None
        self._leading = asyncio.Event()
        self._controllers_started = False
        self._election: asyncio.Task[None] | None = None
        self._elector: LeaderElector | None = None

    # -- state -----------------------------------------------------------------------------------
    @property
    def is_leader(self) -> bool:
        return self._leading.is_set()

    def _ready(self) -> bool:
        # A standby replica is ready: it is healthy and waiting for the lease.
        return self.rgds.has_synced if self._controllers_started else self._election is not None

    # -- lifecycle -------------------------------------------------------------------------------
    async def __aenter__(self) -> Manager:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        try:
            await self._serve_endpoints()
            if self.options.install_rgd_crd:
                await self.install_rgd_crd()
            if self.options.leader_elect:
                self._elector = LeaderElector(self.client, self._lease_config(), metrics=self.runtime_metrics)
                self._election = asyncio.get_running_loop().create_task(self._elector.run(self._lead))
            else:
                await self._start_controllers()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        if self._election is not None:
            self._election.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._election
            self._election = None
        await self._stop_controllers()
        for endpoint in (self.metrics_endpoint, self.health_endpoint):
            if endpoint is not None:
                await endpoint.stop()
        self.metrics_endpoint = self.health_endpoint = None
        await self.watches.close()
        await self.client.aclose()

    async def wait_leading(self, timeout: float | None = None) -> bool:
        try:
            await asyncio.wait_for(self._leading.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def _start_controllers(self) -> None:
        self._controllers_started = True
        self.broadcaster.start()
        await self.graph_revisions.start()
        if not await self.graph_revisions.warm_up(REVISION_WARMUP_TIMEOUT):
            log.warning(
                "graph revisions still compiling after %.0f s; starting the RGD controller anyway",
                REVISION_WARMUP_TIMEOUT,
            )
        await self.rgds.start()
        self._leading.set()

    async def _stop_controllers(self) -> None:
        if not self._controllers_started:
            return
        self._controllers_started = False
        self._leading.clear()
        await self.rgds.stop()
        await self.graph_revisions.stop()
        await self.instances.stop()
        with contextlib.suppress(TimeoutError):  # what is queued goes out, unless the server is gone
            await asyncio.wait_for(self.broadcaster.flush(), 2.0)
        await self.broadcaster.stop()

    async def _lead(self) -> None:
        try:
            await self._start_controllers()
            await asyncio.Event().wait()  # lead until the elector cancels us
        finally:
            await self._stop_controllers()

    def _lease_config(self) -> LeaseConfig:
        identity = f"{socket.gethostname()}_{uuid.uuid4()}"
        return LeaseConfig(
            self.options.leader_election_id,
            self.options.leader_election_namespace or self.client.namespace,
            identity,
            lease_duration=self.options.lease_duration,
            renew_deadline=self.options.renew_deadline,
            retry_period=self.options.retry_period,
        )

    async def _serve_endpoints(self) -> None:
        # Same fixed address for both: one listener serves all three paths.
        if (
            self._metrics_bind == self._health_bind
            and self._metrics_bind is not None
            and self._metrics_bind[1]
        ):
            host, port = self._metrics_bind
            self.metrics_endpoint = self.health_endpoint = await serve(
                self.checks, self.registry, host=host, port=port
            )
            return
        if self._metrics_bind is not None:
            host, port = self._metrics_bind
            self.metrics_endpoint = await serve(HealthChecks(), self.registry, host=host, port=port)
        if self._health_bind is not None:
            host, port = self._health_bind
            self.health_endpoint = await serve(self.checks, None, host=host, port=port)

    async def install_rgd_crd(self) -> None:
        """Create the ResourceGraphDefinition and GraphRevision CRDs unless they exist (as kro's Helm chart
        would)."""
        manifests: list[dict[str, Any]] = [rgd_crd_manifest(), graph_revision_crd_manifest()]
        for manifest in manifests:
            name = str(manifest["metadata"]["name"])
            try:
                await self.client.get(CRD, name, metadata_only=True)
            except NotFound:
                with contextlib.suppress(AlreadyExists):
                    await self.client.create(manifest)
        for manifest in manifests:
            await wait_established(
                self.client, str(manifest["metadata"]["name"]), timeout=self.options.established_timeout
            )


@contextlib.asynccontextmanager
async def start_controller(
    kubeconfig_path: Path | str | None = None,
    options: ManagerOptions | None = None,
    *,
    context: str | None = None,
) -> AsyncIterator[Manager]:
    """Run pykro's controller against the cluster in `kubeconfig_path` until the context exits."""
    manager = Manager(kubeconfig_path, options, context=context)
    await manager.start()
    try:
        yield manager
    finally:
        await manager.stop()
