"""Health/readiness endpoint and metrics exposition."""

from __future__ import annotations

import httpx2 as httpx
from prometheus_client import CollectorRegistry

from pykro.kube import KubeClient
from pykro.toolkit import (
    Controller,
    HealthChecks,
    RuntimeMetrics,
    WatchManager,
    informers_synced,
    serve,
)
from tests.kube.live import CONFIGMAP, eventually


async def test_endpoint_reports_checks_and_metrics(client: KubeClient) -> None:
    registry = CollectorRegistry()
    metrics = RuntimeMetrics(registry)
    manager = WatchManager(client, metrics=metrics)
    checks = HealthChecks()
    checks.add_liveness("loop", lambda: True)
    checks.add_readiness("informers", informers_synced(manager))
    gate = {"open": False}
    checks.add_readiness("gate", lambda: gate["open"])

    async def broken() -> bool:
        raise RuntimeError("probe exploded")

    endpoint = await serve(checks, registry)
    try:
        async with httpx.AsyncClient(base_url=endpoint.url) as http:
            assert (await http.get("/healthz")).status_code == 200
            not_ready = await http.get("/readyz")
            assert not_ready.status_code == 500 and "gate: failed" in not_ready.text
            gate["open"] = True
            await manager.subscribe(CONFIGMAP, lambda e: None)
            ready = await http.get("/readyz")
            assert ready.status_code == 200 and "informers: ok" in ready.text
            checks.add_liveness("broken", broken)
            dead = await http.get("/healthz")
            assert dead.status_code == 500 and "broken: error: probe exploded" in dead.text

            async def noop(key: str) -> None:
                return None

            ctl = Controller[str]("health", noop, metrics=metrics)
            ctl.start()
            ctl.enqueue("k")
            await eventually(
                lambda: (
                    (
                        registry.get_sample_value(
                            "controller_reconcile_total", {"name": "health", "result": "done"}
                        )
                        or 0
                    )
                    == 1
                )
            )
            await ctl.stop()
            text = (await http.get("/metrics")).text
            assert 'controller_reconcile_total{name="health",result="done"} 1.0' in text
            assert "informer_count 1.0" in text
    finally:
        await endpoint.stop()
        await manager.close()
