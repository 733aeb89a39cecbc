"""An embedded API server, a metered client for the controller and a plain one for the test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from pykro.api.frozen import thaw
from pykro.controller.instance.controllers import InstanceControllers
from pykro.graph.model import CompiledGraph
from pykro.kube import ClientMetrics, KubeClient, NotFound, load_kubeconfig
from pykro.schema.gvk import GVK
from pykro.toolkit import ObjectRef, RuntimeMetrics, WatchManager
from pykro.toolkit.events import EventBroadcaster
from tests.kube.live import embedded_server, eventually
from tests.runtime.graphs import compile_rgd

WRITE_VERBS = ("POST", "PUT", "PATCH", "DELETE")
SECRET = GVK("", "v1", "Secret")
CONFIGMAP = GVK("", "v1", "ConfigMap")
DEPLOYMENT = GVK("apps", "v1", "Deployment")

# Far longer than any test: every propagation the tests check must come from watch events.
REQUEUE_INTERVAL = 60.0


def _client(server: Any, metrics: ClientMetrics | None = None) -> KubeClient:
    config = load_kubeconfig(str(server.kubeconfig_path), qps=1000.0, burst=1000, max_retries=3)
    return KubeClient(config, metrics=metrics)


class Env:
    def __init__(
        self,
        server: Any,
        client: KubeClient,
        metered: KubeClient,
        controllers: InstanceControllers,
        client_metrics: ClientMetrics,
        runtime_metrics: RuntimeMetrics,
    ) -> None:
        self.server = server
        self.client = client
        self.metered = metered
        self.controllers = controllers
        self.client_metrics = client_metrics
        self.runtime_metrics = runtime_metrics

    async def serve(
        self, rgd: str, rgd_uid: str = "rgd-uid", *, after: tuple[CompiledGraph, ...] = ()
    ) -> CompiledGraph:
        """Compile an RGD (it may use the kinds of the graphs `after`), install its CRD, wait until it is
        served and register it."""
        graph = compile_rgd(rgd, after=after)
        await self.client.create(thaw(graph.crd))

        async def served() -> bool:
            try:
                await self.client.list(graph.instance_gvk, namespace="default", limit=1)
            except NotFound:
                self.client.mapper.invalidate()
                self.metered.mapper.invalidate()
                return False
            return True

        await eventually(served, timeout=10)
        await self.controllers.register(graph, rgd_uid)
        return graph

    async def create(
        self,
        graph: CompiledGraph,
        name: str,
        spec: dict[str, Any],
        namespace: str = "default",
        annotations: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        meta: dict[str, Any] = {"name": name, "namespace": namespace}
        if annotations:
            meta["annotations"] = annotations
        return await self.client.create(
            {
                "apiVersion": graph.instance_gvk.api_version,
                "kind": graph.instance_gvk.kind,
                "metadata": meta,
                "spec": spec,
            }
        )

    async def get(self, gvk: GVK, name: str, namespace: str = "default") -> dict[str, Any] | None:
        try:
            return await self.client.get(gvk, name, namespace=namespace)
        except NotFound:
            return None

    async def wait_status(
        self, graph: CompiledGraph, name: str, predicate: Any, timeout: float = 10.0
    ) -> dict[str, Any]:
        """Wait until `predicate(instance)` holds; return the instance."""
        seen: dict[str, Any] = {}

        async def check() -> bool:
            obj = await self.get(graph.instance_gvk, name)
            seen["obj"] = obj
            return obj is not None and bool(predicate(obj))

        try:
            await eventually(check, timeout=timeout)
        except AssertionError:
            raise AssertionError(
                f"instance {name} never matched; last seen status: {(seen.get('obj') or {}).get('status')}"
            ) from None
        result: dict[str, Any] = seen["obj"]
        return result

    async def wait_ready(self, graph: CompiledGraph, name: str, timeout: float = 10.0) -> dict[str, Any]:
        return await self.wait_status(graph, name, is_ready, timeout)

    def writes(self) -> int:
        """API writes the controller has sent so far."""
        total = 0.0
        for metric in self.client_metrics.registry.collect():
            for sample in metric.samples:
                if sample.name == "rest_client_requests_total" and sample.labels.get("verb") in WRITE_VERBS:
                    total += sample.value
        return int(total)

    def reconciles(self) -> int:
        total = 0.0
        for metric in self.runtime_metrics.registry.collect():
            for sample in metric.samples:
                if sample.name == "controller_reconcile_total":
                    total += sample.value
        return int(total)

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until the instance queue has nothing ready and nothing in flight."""
        queue = self.controllers.controller.queue

        async def quiet() -> bool:
            if len(queue) or queue.processing:
                return False
            await asyncio.sleep(0.2)  # let in-flight watch events arrive
            return not len(queue) and not queue.processing

        await eventually(quiet, timeout=timeout)

    def enqueue(self, graph: CompiledGraph, name: str, namespace: str = "default") -> None:
        self.controllers.controller.enqueue(ObjectRef(graph.instance_gvk, namespace, name))


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    for c in (obj.get("status") or {}).get("conditions") or ():
        if c.get("type") == kind:
            result: dict[str, Any] = c
            return result
    return {}


def is_ready(obj: dict[str, Any]) -> bool:
    status = obj.get("status") or {}
    ready = condition(obj, "Ready")
    return bool(
        status.get("state") == "ACTIVE"
        and ready.get("status") == "True"
        and ready.get("observedGeneration") == obj["metadata"].get("generation")
    )


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with embedded_server() as server:
        client_metrics = ClientMetrics(CollectorRegistry())
        runtime_metrics = RuntimeMetrics(CollectorRegistry())
        async with _client(server) as client, _client(server, client_metrics) as metered:
            watches = WatchManager(metered, reads_metadata_only=False, metrics=runtime_metrics)
            # Events go through the unmetered client: the write budgets count object writes only.
            broadcaster = EventBroadcaster(client)
            broadcaster.start()
            controllers = InstanceControllers(
                metered,
                watches,
                workers=2,
                requeue_interval=REQUEUE_INTERVAL,
                metrics=runtime_metrics,
                broadcaster=broadcaster,
            )
            try:
                yield Env(server, client, metered, controllers, client_metrics, runtime_metrics)
            finally:
                await controllers.stop()
                await broadcaster.stop()
                await watches.close()
