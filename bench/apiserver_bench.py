"""Embedded API server benchmark.

Prints: ConfigMap create throughput over HTTPS (in-memory and SQLite-backed) next to raw SQLite
inserts with the same durability settings; write-to-watch latency across 100 watchers;
RSS with 10,000 stored objects; LIST latency at 1,000 and 10,000 stored objects with a label
selector matching 10 of them, next to a field-selector list and a GET by name; server-side apply
throughput on a 30-field Deployment (changing and no-op applies); time for the garbage collector to
delete 1,000 dependents of a deleted owner; the server's CPU per write for each kind of write a kro
controller sends while it brings up an instance (server in its own process, so only its CPU counts).

    .venv/bin/python bench/apiserver_bench.py [--objects 10000] [--creates 3000] [--writes 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import ssl
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from _common import api_server_process, cpu_seconds
from controller_bench import CHAIN_RGD

from pykro.api.rgd import parse_rgd
from pykro.apiserver import EmbeddedAPIServer
from pykro.apiserver.storage.persistence import connect
from pykro.kube import KubeClient, load_kubeconfig
from pykro.kube.errors import NotFound
from pykro.schema.crd import rgd_instance_crd

CMS = "/api/v1/namespaces/default/configmaps"
DEPLOYS = "/apis/apps/v1/namespaces/default/deployments"


def _cm(name: str, labels: dict[str, str] | None = None) -> bytes:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "labels": {"app": "bench", **(labels or {})}},
            "data": {"key": "value" * 4},
        }
    ).encode()


async def _creates(
    srv: EmbeddedAPIServer, n: int, concurrency: int, prefix: str, labels: dict[str, str] | None = None
) -> float:
    ctx = ssl.create_default_context(cafile=str(srv.ca_path))
    headers = {"Authorization": f"Bearer {srv.token}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency, ssl=ctx)) as s:
        queue = list(range(n))

        async def worker() -> None:
            while queue:
                i = queue.pop()
                async with s.post(srv.url + CMS, data=_cm(f"{prefix}{i}", labels), headers=headers) as r:
                    assert r.status == 201, await r.text()
                    await r.read()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return n / (time.perf_counter() - start)


def _raw_sqlite(n: int, concurrency: int) -> float:
    """Inserts committed in groups of `concurrency`, as the server's group commit would see them."""
    with tempfile.TemporaryDirectory() as d:
        conn = connect(Path(d) / "raw.db")
        data = _cm("x").decode()
        start = time.perf_counter()
        for i in range(0, n, concurrency):
            conn.execute("BEGIN")
            for j in range(i, min(n, i + concurrency)):
                conn.execute("INSERT INTO objects (key, data) VALUES (?, ?)", (f"k{j}", data))
                conn.execute(
                    "INSERT INTO events (rv, type, key, data) VALUES (?, 'ADDED', ?, ?)", (j, f"k{j}", data)
                )
            conn.execute("COMMIT")
        rate = n / (time.perf_counter() - start)
        conn.close()
        return rate


async def _watch_latency(srv: EmbeddedAPIServer, watchers: int, writes: int) -> list[float]:
    ctx = ssl.create_default_context(cafile=str(srv.ca_path))
    headers = {"Authorization": f"Bearer {srv.token}"}
    sent: dict[str, float] = {}
    latencies: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, ssl=ctx)) as s:
        async with s.get(srv.url + CMS, headers=headers) as r:
            rv = (await r.json())["metadata"]["resourceVersion"]

        async def watch() -> None:
            got = 0
            async with s.get(
                f"{srv.url}{CMS}?watch=true&resourceVersion={rv}&labelSelector=app%3Dlat", headers=headers
            ) as r:
                async for line in r.content:
                    name = json.loads(line)["object"]["metadata"]["name"]
                    latencies.append(time.perf_counter() - sent[name])
                    got += 1
                    if got == writes:
                        return

        tasks = [asyncio.create_task(watch()) for _ in range(watchers)]
        while srv.store.log.watcher_count < watchers:
            await asyncio.sleep(0.01)
        for i in range(writes):
            name = f"lat{i}"
            body = json.loads(_cm(name))
            body["metadata"]["labels"] = {"app": "lat"}
            sent[name] = time.perf_counter()
            async with s.post(srv.url + CMS, json=body, headers={**headers}) as r:
                assert r.status == 201
            await asyncio.sleep(0.02)
        await asyncio.gather(*tasks)
    return latencies


class _LoopLag:
    """Largest delay of a 1 ms timer: how long anything blocked the event loop."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None
        self._stop = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self._stop:
            t = time.perf_counter()
            await asyncio.sleep(0.001)
            self.worst = max(self.worst, time.perf_counter() - t - 0.001)

    async def stop(self) -> None:
        self._stop = True
        if self._task is not None:
            await self._task


async def _list_ms(srv: EmbeddedAPIServer, query: str, runs: int = 30) -> float:
    """Median latency of one GET (a LIST with `query`, or a path below the collection) over HTTPS."""
    ctx = ssl.create_default_context(cafile=str(srv.ca_path))
    headers = {"Authorization": f"Bearer {srv.token}"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as s:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            async with s.get(srv.url + CMS + query, headers=headers) as r:
                assert r.status == 200, await r.text()
                await r.read()
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


async def _list_latencies(srv: EmbeddedAPIServer, stored: int) -> str:
    selector = await _list_ms(srv, "?labelSelector=pick%3Dyes")
    by_field = await _list_ms(srv, "?fieldSelector=metadata.name%3Dp3")
    by_get = await _list_ms(srv, "/p3")
    return (
        f"LIST at {stored:,} ConfigMaps (median of 30, HTTPS): labelSelector pick=yes (10 match) "
        f"{selector:.1f} ms; fieldSelector metadata.name=p3 {by_field:.1f} ms; GET by name {by_get:.1f} ms"
    )


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _deployment(name: str, replicas: int) -> dict[str, Any]:
    """A Deployment with 30 leaf fields in its applied configuration."""
    env = [{"name": f"VAR_{i}", "value": str(i)} for i in range(8)]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "labels": {"app": name, "tier": "web", "team": "bench"},
            "annotations": {"owner": "bench", "purpose": "ssa"},
        },
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name, "tier": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": "nginx:1.25",
                            "imagePullPolicy": "IfNotPresent",
                            "env": env,
                            "ports": [
                                {"name": "http", "containerPort": 80},
                                {"name": "metrics", "containerPort": 9090},
                            ],
                            "resources": {
                                "limits": {"cpu": "500m", "memory": "128Mi"},
                                "requests": {"cpu": "100m", "memory": "64Mi"},
                            },
                        }
                    ]
                },
            },
        },
    }


async def _applies(srv: EmbeddedAPIServer, rounds: int, objects: int, *, change: bool) -> float:
    ctx = ssl.create_default_context(cafile=str(srv.ca_path))
    headers = {"Authorization": f"Bearer {srv.token}", "Content-Type": "application/apply-patch+yaml"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=objects, ssl=ctx)) as s:

        async def apply(name: str, replicas: int) -> None:
            url = f"{srv.url}{DEPLOYS}/{name}?fieldManager=bench"
            async with s.patch(
                url, data=json.dumps(_deployment(name, replicas)).encode(), headers=headers
            ) as r:
                assert r.status in (200, 201), await r.text()
                await r.read()

        await asyncio.gather(*(apply(f"ssa{i}", 1) for i in range(objects)))

        async def worker(i: int) -> None:
            for k in range(rounds):
                await apply(f"ssa{i}", 2 + k % 3 if change else 1)

        start = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(objects)))
        return rounds * objects / (time.perf_counter() - start)


async def _gc_time(dependents: int) -> float:
    async with EmbeddedAPIServer(workloads=False) as srv:
        kind = srv.catalog.lookup("", "v1", "configmaps")
        assert kind is not None
        owner, _ = await srv.handler.resources.create(kind, "default", {"metadata": {"name": "owner"}})
        ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
        await asyncio.gather(
            *(
                srv.handler.resources.create(
                    kind, "default", {"metadata": {"name": f"dep{i}", "ownerReferences": [ref]}}
                )
                for i in range(dependents)
            )
        )
        await srv.settle()
        start = time.perf_counter()
        await srv.handler.resources.delete(kind, "default", "owner")
        await srv.settle()
        elapsed = time.perf_counter() - start
        left = len(srv.store.items(("", "configmaps"), "default"))
        assert left == 0, f"{left} dependents left"
        return elapsed


# -- server CPU per controller write -------------------------------------------------------------
CHAINS = "/apis/kro.run/v1alpha1/namespaces/default/benchchains"
EVENTS = "/api/v1/namespaces/default/events"
APPLY = "application/apply-patch+yaml"
APPLYSET = "applyset-yid6xKg0DKQW2DhM9z-Ec68k-mYNkTI728t2lactmXw-v1"


def _chain_labels(i: int) -> dict[str, Any]:
    """What kro's labeller applies to an instance: ownership labels, finalizer, ApplySet parent."""
    return {
        "apiVersion": "kro.run/v1alpha1",
        "kind": "BenchChain",
        "metadata": {
            "name": f"chain-{i}",
            "namespace": "default",
            "labels": {
                "kro.run/owned": "true",
                "kro.run/kro-version": "0.1.0",
                "kro.run/resource-graph-definition-id": "c26db947-d3f8-4bee-ae50-d1f9bc8b8d35",
                "kro.run/resource-graph-definition-name": "bench-chain",
                "applyset.kubernetes.io/id": APPLYSET,
            },
            "finalizers": ["kro.run/finalizer"],
            "annotations": {
                "applyset.kubernetes.io/tooling": "kro/0.1.0",
                "applyset.kubernetes.io/contains-group-kinds": "ConfigMap",
                "applyset.kubernetes.io/additional-namespaces": "",
                "internal.kro.run/applyset-inventory-hash": "sha256:17E4vl1nh6v9WY59lfkNGfcVTPUgDK2WAmgLY8y",
            },
        },
    }


def _child(i: int, owner: dict[str, Any]) -> dict[str, Any]:
    """A resource of the instance as kro applies it: its labels, an owner reference, the data."""
    uid = owner["metadata"]["uid"]
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"chain-{i}-a",
            "namespace": "default",
            "labels": {
                "kro.run/instance-id": uid,
                "kro.run/instance-name": f"chain-{i}",
                "kro.run/instance-group": "kro.run",
                "kro.run/instance-version": "v1alpha1",
                "kro.run/instance-kind": "BenchChain",
                "app.kubernetes.io/managed-by": "kro",
                "kro.run/owned": "true",
                "kro.run/kro-version": "0.1.0",
                "kro.run/node-id": "a",
                "applyset.kubernetes.io/part-of": APPLYSET,
                "kro.run/instance-namespace": "default",
            },
            "annotations": {"internal.kro.run/apply-order": "1"},
            "ownerReferences": [
                {"apiVersion": "kro.run/v1alpha1", "kind": "BenchChain", "name": f"chain-{i}", "uid": uid}
            ],
        },
        "data": {"v": str(i)},
    }


def _with_status(live: dict[str, Any]) -> dict[str, Any]:
    """The instance as kro's status PUT sends it: what it read, with four conditions and the state."""
    now = live["metadata"]["creationTimestamp"]
    conditions = [
        ("InstanceManaged", "Managed", "instance is properly managed with finalizers and labels"),
        ("GraphResolved", "Resolved", "runtime graph created and all resources resolved"),
        ("ResourcesReady", "AllResourcesReady", "all resources are created and ready"),
        ("Ready", "Ready", ""),
    ]
    status = {
        "conditions": [
            {
                "type": kind,
                "status": "True",
                "reason": reason,
                "message": message,
                "observedGeneration": 1,
                "lastTransitionTime": now,
            }
            for kind, reason, message in conditions
        ],
        "state": "ACTIVE",
    }
    return {**live, "status": status}


def _event(i: int, owner: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"chain-{i}.18ee70a0fd185e00", "namespace": "default"},
        "involvedObject": {
            "apiVersion": "kro.run/v1alpha1",
            "kind": "BenchChain",
            "name": f"chain-{i}",
            "namespace": "default",
            "uid": owner["metadata"]["uid"],
            "resourceVersion": owner["metadata"]["resourceVersion"],
        },
        "reason": "InstanceActive",
        "message": "state none -> ACTIVE",
        "type": "Normal",
        "source": {"component": "kro/benchchains.kro.run-controller"},
        "firstTimestamp": owner["metadata"]["creationTimestamp"],
        "lastTimestamp": owner["metadata"]["creationTimestamp"],
        "count": 1,
        "reportingComponent": "kro/benchchains.kro.run-controller",
        "reportingInstance": "",
    }


async def _write_cpu(writes: int, concurrency: int = 8) -> str:
    """Server CPU per write for each write kro sends while bringing up an instance, `writes` of each."""
    async with api_server_process() as (kubeconfig, pid):
        async with KubeClient(load_kubeconfig(kubeconfig, qps=50_000, burst=50_000)) as client:
            send = client.transport.request
            crd = rgd_instance_crd(parse_rgd(CHAIN_RGD))
            await send("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", body=crd)
            while True:  # until the CRD is served
                try:
                    await send("GET", CHAINS, idempotent=True)
                    break
                except NotFound:
                    await asyncio.sleep(0.05)
            instances: dict[int, dict[str, Any]] = {}

            async def measured(what: str, write: Any) -> str:
                sem = asyncio.Semaphore(concurrency)

                async def one(i: int) -> None:
                    async with sem:
                        await write(i)

                before = cpu_seconds(pid)
                await asyncio.gather(*(one(i) for i in range(writes)))
                return f"{what} {(cpu_seconds(pid) - before) / writes * 1000:.2f} ms"

            async def create(i: int) -> None:
                body = {"apiVersion": "kro.run/v1alpha1", "kind": "BenchChain"}
                body["metadata"] = {"name": f"chain-{i}", "namespace": "default"}
                instances[i] = (await send("POST", CHAINS, body={**body, "spec": {"value": "1"}})).json()

            def apply(path: str, manager: str, body: dict[str, Any]) -> Any:
                params = {"fieldManager": manager, "force": "true"}
                return send("PATCH", path, params=params, body=body, content_type=APPLY, idempotent=True)

            async def label(i: int) -> None:
                await apply(f"{CHAINS}/chain-{i}", "kro.run/labeller", _chain_labels(i))

            async def child(i: int) -> None:
                cms = f"{CMS}/chain-{i}-a"
                await apply(cms, "kro.run/applyset", _child(i, instances[i]))

            async def put_status(i: int) -> None:
                await send("PUT", f"{CHAINS}/chain-{i}/status", body=instances[i], idempotent=True)

            async def event(i: int) -> None:
                await send("POST", EVENTS, body=_event(i, instances[i]))

            figures = [await measured("create BenchChain", create)]
            figures.append(await measured("apply its labels and finalizer", label))
            figures.append(await measured("apply a labelled, owned ConfigMap (create)", child))
            for i in range(writes):  # the controller PUTs what it read: reads are not measured
                live = (await send("GET", f"{CHAINS}/chain-{i}", idempotent=True)).json()
                instances[i] = _with_status(live)
            figures.append(await measured("PUT status with 4 conditions", put_status))
            figures.append(await measured("POST Event", event))
    return f"server CPU per write ({writes:,} of each, HTTPS, server in its own process): " + "; ".join(
        figures
    )


async def main(objects: int, creates: int, writes: int) -> None:
    print(await _write_cpu(writes))
    concurrency = 32
    async with EmbeddedAPIServer() as srv:
        mem_rate = await _creates(srv, creates, concurrency, "m")
    with tempfile.TemporaryDirectory() as d:
        async with EmbeddedAPIServer(Path(d)) as srv:
            lag = _LoopLag()
            lag.start()
            disk_rate = await _creates(srv, creates, concurrency, "d")
            await lag.stop()
            raw = _raw_sqlite(creates, concurrency)
            print(
                f"create throughput (HTTPS, {concurrency} clients): in-memory {mem_rate:,.0f}/s, "
                f"SQLite {disk_rate:,.0f}/s; raw SQLite inserts {raw:,.0f}/s "
                f"(server at {disk_rate / raw:.0%} of storage limit); "
                f"max event-loop stall during SQLite creates {lag.worst * 1000:.1f} ms"
            )
            lat = sorted(await _watch_latency(srv, 100, 50))
            p50 = statistics.median(lat) * 1000
            p99 = lat[int(len(lat) * 0.99) - 1] * 1000
            print(
                f"write -> event at 100 watchers: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({len(lat)} deliveries)"
            )
    async with EmbeddedAPIServer() as srv:
        base = _rss_mb()
        # Ten objects carry the label the selector LISTs look for, whatever the number stored.
        picked = 10
        await _creates(srv, picked, concurrency, "p", {"pick": "yes"})
        first = max(min(1000, objects) - picked, 0)
        await _creates(srv, first, concurrency, "r")
        latencies = [await _list_latencies(srv, picked + first)]
        await _creates(srv, max(objects - picked - first, 0), concurrency, "s")
        print(f"RSS with {objects:,} ConfigMaps stored: {_rss_mb():.0f} MB (server started at {base:.0f} MB)")
        latencies.append(await _list_latencies(srv, max(objects, picked)))
        print("\n".join(latencies))
    async with EmbeddedAPIServer(workloads=False) as srv:
        changing = await _applies(srv, 40, 16, change=True)
        noop = await _applies(srv, 100, 16, change=False)
        print(
            f"server-side apply, 30-field Deployment (HTTPS, 16 clients): {changing:,.0f} changing applies/s "
            f"(goal 300), {noop:,.0f} no-op applies/s (goal 1,000)"
        )
    print(
        "garbage collection of 1,000 dependents after their owner's deletion: "
        f"{await _gc_time(1000) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--creates", type=int, default=3000)
    parser.add_argument("--writes", type=int, default=2000, help="writes of each kind in the CPU figures")
    args = parser.parse_args()
    asyncio.run(main(args.objects, args.creates, args.writes))
