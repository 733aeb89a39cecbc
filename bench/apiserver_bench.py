"""Embedded API server benchmark.

Prints: ConfigMap create throughput over HTTPS (in-memory and SQLite-backed) next to raw SQLite
inserts with the same durability settings; write-to-watch latency across 100 watchers;
RSS with 10,000 stored objects.

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

import aiohttp

from pykro.apiserver import EmbeddedAPIServer
from pykro.apiserver.persistence import connect

CMS = "/api/v1/namespaces/default/configmaps"


def _cm(name: str) -> bytes:
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": {"app": "bench"}},
                       "data": {"key": "value" * 4}}).encode()


async def _creates(srv: EmbeddedAPIServer, n: int, concurrency: int, prefix: str) -> float:
    ctx = ssl.create_default_context(cafile=str(srv.ca_path))
    headers = {"Authorization": f"Bearer {srv.token}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency, ssl=ctx)) as s:
        queue = list(range(n))

        async def worker() -> None:
            while queue:
                i = queue.pop()
                async with s.post(srv.url + CMS, data=_cm(f"{prefix}{i}"), headers=headers) as r:
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
                conn.execute("INSERT INTO events (rv, type, key, data) VALUES (?, 'ADDED', ?, ?)", (j, f"k{j}", data))
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
            async with s.get(f"{srv.url}{CMS}?watch=true&resourceVersion={rv}&labelSelector=app%3Dlat", headers=headers) as r:
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


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
            print(f"create throughput (HTTPS, {concurrency} clients): in-memory {mem_rate:,.0f}/s, "
                  f"SQLite {disk_rate:,.0f}/s; raw SQLite inserts {raw:,.0f}/s "
                  f"(server at {disk_rate / raw:.0%} of storage limit); "
                  f"max event-loop stall during SQLite creates {lag.worst * 1000:.1f} ms")
            lat = sorted(await _watch_latency(srv, 100, 50))
            p50 = statistics.median(lat) * 1000
            p99 = lat[int(len(lat) * 0.99) - 1] * 1000
            print(f"write -> event at 100 watchers: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({len(lat)} deliveries)")
    async with EmbeddedAPIServer() as srv:
        base = _rss_mb()
        await _creates(srv, objects, concurrency, "r")
        print(f"RSS with {objects:,} ConfigMaps stored: {_rss_mb():.0f} MB (server started at {base:.0f} MB)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--creates", type=int, default=3000)
    args = parser.parse_args()
    asyncio.run(main(args.objects, args.creates))
