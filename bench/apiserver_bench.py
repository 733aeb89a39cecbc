"""Embedded API server benchmark.

Prints: ConfigMap create throughput over HTTPS (in-memory and SQLite-backed) next to raw SQLite
inserts with the same durability settings; write-to-watch latency across 100 watchers;
RSS with 10,000 stored objects; LIST latency at 1,000 and 10,000 stored objects with a label
selector matching 10 of them, next to a field-selector list and a GET by name; server-side apply
throughput on a 30-field Deployment (changing and no-op applies); time for the garbage collector to
delete 1,000 dependents of a deleted owner.

    .venv/bin/python bench/apiserver_bench.py [--objects 10000] [--creates 3000]
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

from pykro.apiserver import EmbeddedAPIServer
from pykro.apiserver.storage.persistence import connect

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


async def main(objects: int, creates: int) -> None:
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
    args = parser.parse_args()
    asyncio.run(main(args.objects, args.creates))
