"""Fault injection against the embedded API server: in each case the informer's cache converges to
the server's state, the final state of every object is seen, and no key is processed twice at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from prometheus_client import CollectorRegistry

from pykro.kube import KubeClient, load_kubeconfig
from pykro.kube.backoff import Backoff
from pykro.schema.gvk import GVK
from pykro.toolkit import DELETED, Controller, Informer, InformerEvent, Result, RuntimeMetrics
from tests.kube.live import (
    CONFIGMAP,
    CRD,
    WIDGET,
    TcpRelay,
    client_for,
    configmap,
    embedded_server,
    eventually,
    install_widget_crd,
    kubeconfig_via,
)

SECRET = GVK("", "v1", "Secret")


def fast() -> Backoff:
    return Backoff(initial=0.05, maximum=0.5)


async def converged(informer: Informer, client: KubeClient, namespace: str = "default") -> bool:
    listed = await client.list_all(informer.gvk, namespace=namespace)
    server = {
        f"{o['metadata']['namespace']}/{o['metadata']['name']}": o["metadata"]["resourceVersion"]
        for o in listed.items
    }
    cache = {
        k: o["metadata"]["resourceVersion"] for k in informer.cache.keys() if (o := informer.cache.get(k))
    }
    return server == cache


def restarts(registry: CollectorRegistry, gvk: GVK, reason: str) -> float:
    return (
        registry.get_sample_value("informer_watch_restarts_total", {"gvr": str(gvk), "reason": reason}) or 0.0
    )


async def test_server_restart_mid_watch(tmp_path: Path) -> None:
    data = tmp_path / "data"
    registry = CollectorRegistry()
    events: list[InformerEvent] = []
    async with embedded_server(data) as first:
        port = int(first.url.rsplit(":", 1)[1])
        kubeconfig = Path(first.kubeconfig_path)
        for name in ("keep", "doomed"):
            async with client_for(first) as c:
                await c.create(configmap(name))
        client = KubeClient(load_kubeconfig(kubeconfig, max_retries=1))
        informer = Informer(
            client, CONFIGMAP, namespace="default", metrics=RuntimeMetrics(registry), backoff=fast()
        )
        informer.add_handler(events.append)
        informer.start()
        await informer.wait_for_sync(10)
    try:
        # While the informer's server is down, a second instance on another port changes the data.
        async with embedded_server(data) as second, client_for(second) as c:
            await c.delete(CONFIGMAP, "doomed")
            await c.create(configmap("born-while-away"))
            await c.patch(CONFIGMAP, "keep", {"data": {"v": "2"}})
        async with embedded_server(data, port=port) as third, client_for(third) as c:
            await eventually(lambda: converged(informer, c), timeout=15)
            deletes = [e for e in events if e.type == DELETED]
            assert [(e.key, e.synthetic) for e in deletes] == [("default/doomed", True)]
            cached = informer.cache.get("default/keep")
            assert cached is not None and cached["data"] == {"v": "2"}
            assert restarts(registry, CONFIGMAP, "error") >= 1
            # and the watch works again afterwards
            await c.create(configmap("after"))
            await eventually(lambda: "default/after" in informer.cache)
    finally:
        await informer.stop()
        await client.aclose()


async def test_compacted_resource_version_relists(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    async with embedded_server(watch_window=5) as server, client_for(server) as client:
        for name in ("a", "b"):
            await client.create(configmap(name))
        events: list[InformerEvent] = []
        informer = Informer(
            client, CONFIGMAP, namespace="default", metrics=RuntimeMetrics(registry), backoff=fast()
        )
        informer.add_handler(events.append)
        informer.start()
        await informer.wait_for_sync(10)
        await informer.stop()
        await client.delete(CONFIGMAP, "a")
        await client.create(configmap("c"))
        for i in range(10):  # push the informer's resourceVersion out of the 5-event window
            await client.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"s{i}"}})
        events.clear()
        informer.start()
        try:
            await eventually(lambda: converged(informer, client))
            assert restarts(registry, CONFIGMAP, "expired") == 1
            assert sorted((e.type, e.key, e.synthetic) for e in events) == [
                ("ADDED", "default/c", False),
                ("DELETED", "default/a", True),
            ]
        finally:
            await informer.stop()


async def test_dropped_connection(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    async with embedded_server() as server, client_for(server) as writer:
        host, port = server.url.removeprefix("https://").rsplit(":", 1)
        relay = TcpRelay(host, int(port))
        await relay.start()
        config = load_kubeconfig(kubeconfig_via(server, f"https://{host}:{relay.port}", tmp_path / "kc"))
        async with KubeClient(config) as client:
            informer = Informer(
                client, CONFIGMAP, namespace="default", metrics=RuntimeMetrics(registry), backoff=fast()
            )
            informer.start()
            try:
                await informer.wait_for_sync(10)
                await writer.create(configmap("one"))
                await eventually(lambda: "default/one" in informer.cache)
                assert relay.cut() >= 1
                await writer.delete(CONFIGMAP, "one")
                await writer.create(configmap("two"))
                await eventually(lambda: converged(informer, writer))
                assert restarts(registry, CONFIGMAP, "error") + restarts(registry, CONFIGMAP, "closed") >= 1
            finally:
                await informer.stop()
                await relay.stop()


async def test_crd_deleted_while_its_informer_runs(client: KubeClient) -> None:
    await install_widget_crd(client)
    for name in ("w1", "w2"):
        await client.create(
            {
                "apiVersion": "example.com/v1",
                "kind": "Widget",
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"size": 1},
            }
        )
    events: list[InformerEvent] = []
    informer = Informer(client, WIDGET, namespace="default", backoff=fast())
    informer.add_handler(events.append)
    informer.start()
    try:
        await informer.wait_for_sync(10)
        assert len(informer.cache) == 2
        await client.delete(CRD, "widgets.example.com")
        await eventually(lambda: len(informer.cache) == 0)
        assert sorted(e.key for e in events if e.type == DELETED) == ["default/w1", "default/w2"]
        # The kind comes back: the informer finds it again.
        await install_widget_crd(client)
        await client.create(
            {
                "apiVersion": "example.com/v1",
                "kind": "Widget",
                "metadata": {"name": "w3", "namespace": "default"},
                "spec": {"size": 3},
            }
        )
        await eventually(lambda: "default/w3" in informer.cache, timeout=15)
    finally:
        await informer.stop()


async def test_conflicting_writes_are_retried_by_the_controller(client: KubeClient) -> None:
    await client.create(configmap("counter", n="0"))
    attempts: Counter[str] = Counter()

    async def reconcile(key: str) -> Result:
        attempts[key] += 1
        current = await client.get(CONFIGMAP, "counter")
        if attempts[key] == 1:  # someone else writes between our read and our write
            await client.patch(CONFIGMAP, "counter", {"data": {"other": "x"}})
        current["data"][key] = "done"
        await client.replace(current)  # raises Conflict the first time
        return Result.done()

    ctl = Controller[str]("conflicts", reconcile, workers=2)
    ctl.start()
    ctl.enqueue("k1")
    try:
        await eventually(lambda: attempts["k1"] >= 2 and len(ctl.queue) == 0 and not ctl.queue.processing)
    finally:
        await ctl.stop()
    final = await client.get(CONFIGMAP, "counter")
    assert final["data"] == {"n": "0", "other": "x", "k1": "done"}
    assert attempts["k1"] == 2, "the first write hit 409 Conflict and was retried once"


async def test_slow_handler_and_slow_reconcile_still_converge(client: KubeClient) -> None:
    await client.create(configmap("hot", n="0"))
    seen_rvs: list[int] = []
    running: set[str] = set()
    overlaps = 0
    reconciled: dict[str, str] = {}
    informer = Informer(client, CONFIGMAP, namespace="default", backoff=fast())

    async def slow_handler(event: InformerEvent) -> None:
        await asyncio.sleep(0.01)
        seen_rvs.append(int(event.object["metadata"]["resourceVersion"]))

    async def reconcile(key: str) -> None:
        nonlocal overlaps
        if key in running:
            overlaps += 1
        running.add(key)
        await asyncio.sleep(0.03)
        obj = informer.cache.get(key)
        reconciled[key] = obj["data"]["n"] if obj else "<gone>"
        running.discard(key)

    ctl = Controller[str]("slow", reconcile, workers=4)
    informer.add_handler(slow_handler)
    informer.add_handler(lambda e: ctl.enqueue(e.key))
    informer.start()
    ctl.start()
    try:
        await informer.wait_for_sync(10)
        for i in range(1, 31):
            await client.patch(CONFIGMAP, "hot", {"data": {"n": str(i)}})
        final_rv = int((await client.get(CONFIGMAP, "hot"))["metadata"]["resourceVersion"])
        await eventually(lambda: bool(seen_rvs) and seen_rvs[-1] == final_rv)
        await eventually(
            lambda: reconciled.get("default/hot") == "30" and not ctl.queue.processing and len(ctl.queue) == 0
        )
        assert seen_rvs == sorted(seen_rvs), "events reach a slow handler in order"
        assert overlaps == 0
        assert await converged(informer, client)
    finally:
        await ctl.stop()
        await informer.stop()
