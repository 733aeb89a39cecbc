"""The controller manager: wiring, RGD CRD install, endpoints, leader election."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from pykro.controller.manager import Manager, ManagerOptions, parse_bind_address, start_controller
from pykro.errors import PykroError
from pykro.schema.gvk import GVK
from tests.controller.rgd.helpers import CM, CRD, cluster, simple_rgd, wait_for

LEASE = GVK("coordination.k8s.io", "v1", "Lease")


async def test_start_controller_installs_the_rgd_crd_and_serves_rgds() -> None:
    async with cluster(controller=False) as env:
        assert not await env.exists(CRD, "resourcegraphdefinitions.kro.run")
        async with start_controller(env.kubeconfig) as manager:
            assert isinstance(manager, Manager)
            assert await env.exists(CRD, "resourcegraphdefinitions.kro.run")
            await env.client.create(simple_rgd())
            await env.wait_active("app-config")


async def test_metrics_and_health_endpoints() -> None:
    options = ManagerOptions(metrics_bind_address="127.0.0.1:0", health_probe_bind_address="127.0.0.1:0")
    async with cluster(options) as env:
        assert env.manager is not None
        metrics, health = env.manager.metrics_endpoint, env.manager.health_endpoint
        assert metrics is not None and health is not None and metrics.url != health.url
        await env.client.create(simple_rgd())
        await env.wait_active("app-config")
        await env.client.create(
            {
                "apiVersion": "kro.run/v1alpha1",
                "kind": "AppConfig",
                "metadata": {"name": "m", "namespace": "default"},
                "spec": {"value": "v"},
            }
        )
        await wait_for(
            lambda: env.client.get(CM, "m-cm", namespace="default"), what="the instance's ConfigMap"
        )
        async with aiohttp.ClientSession() as http:
            for path in ("/healthz", "/readyz"):
                async with http.get(health.url + path) as resp:
                    assert resp.status == 200, await resp.text()
            async with http.get(metrics.url + "/metrics") as resp:
                text = await resp.text()
        assert 'rgd_graph_build_total{name="app-config"} 1.0' in text
        assert 'controller_reconcile_total{name="resourcegraphdefinition",result="done"}' in text
        assert "workqueue_depth" in text and "rest_client_requests_total" in text
        per_kind = [line for line in text.splitlines() if line.startswith("instance_reconcile_total{")]
        # upstream's label value, so kro's dashboards work unchanged
        assert any(
            'gvr="kro.run/v1alpha1, Resource=appconfigs"' in line and 'result="done"' in line
            for line in per_kind
        ), per_kind
        assert (
            "instance_reconcile_duration_seconds_bucket" in text
            and "# TYPE instance_queue_depth gauge" in text
        )


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (":8078", ("0.0.0.0", 8078)),
        ("127.0.0.1:0", ("127.0.0.1", 0)),
        ("[::1]:9", ("::1", 9)),
        ("0", None),
        (None, None),
    ],
)
def test_bind_addresses(address: str | None, expected: tuple[str, int] | None) -> None:
    assert parse_bind_address(address, "--flag") == expected


@pytest.mark.parametrize("address", ["8078", "host:", "host:http", ":70000", "host:²", ":１２"])
def test_bad_bind_addresses_name_the_flag(address: str) -> None:
    with pytest.raises(PykroError, match="--metrics-bind-address must look like HOST:PORT"):
        parse_bind_address(address, "--metrics-bind-address")


async def test_leader_election_runs_one_controller_and_fails_over() -> None:
    options = ManagerOptions(
        leader_elect=True,
        lease_duration=1.0,
        renew_deadline=0.6,
        retry_period=0.1,
        leader_election_namespace="default",
        requeue_interval=0.5,
    )
    async with cluster(controller=False) as env:
        first = Manager(env.kubeconfig, options)
        second = Manager(env.kubeconfig, options)
        await first.start()
        try:
            assert await first.wait_leading(5)
            await second.start()
            await asyncio.sleep(0.5)
            assert not second.is_leader
            lease = await env.client.get(LEASE, "controller.kro.run", namespace="default")
            assert lease["spec"]["holderIdentity"]
            await env.client.create(simple_rgd())
            await env.wait_active("app-config")
            await first.stop()  # releases the lease
            assert await second.wait_leading(5)
            assert await wait_for(
                lambda: _served(second, "app-config"), what="the new leader to serve the RGD"
            )
        finally:
            await first.stop()
            await second.stop()


async def _served(manager: Manager, name: str) -> bool:
    return manager.rgds.served(name) is not None
