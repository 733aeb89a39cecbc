"""Controller-runtime benchmarks.

    .venv/bin/python bench/runtime_bench.py [--objects 10000]

Prints:
- informer LIST+sync time for N ConfigMaps (goal <= 5 s for 10,000);
- per-event dispatch overhead, watch line -> handler (decode, cache update, copy, call; goal <= 200 us);
- work-queue throughput with 8 workers and a no-op reconcile (goal >= 20,000 keys/s);
- RSS growth per 10,000 cached metadata-only objects;
- the cost of handing out copies (copy.deepcopy vs the cache's copy_json).

The API server runs in a child process so its CPU and memory don't blur the client's numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gc
import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from _common import api_server, rss_bytes

from pykro.jsontypes import copy_json
from pykro.kube import KubeClient, WatchEvent, load_kubeconfig
from pykro.schema.gvk import GVK
from pykro.toolkit import Controller, Informer, InformerEvent

CONFIGMAP = GVK("", "v1", "ConfigMap")


def configmap(i: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"bench-{i:05d}",
            "namespace": "default",
            "labels": {"app": "bench", "kro.run/instance-id": f"inst-{i % 100}"},
        },
        "data": {"index": str(i), "payload": "x" * 64},
    }


async def populate(client: KubeClient, n: int) -> None:
    sem = asyncio.Semaphore(32)

    async def one(i: int) -> None:
        async with sem:
            await client.create(configmap(i))

    await asyncio.gather(*(one(i) for i in range(n)))


async def bench_informer_sync(client: KubeClient, n: int) -> None:
    informer = Informer(client, CONFIGMAP, namespace="default", label_selector="app=bench")
    started = time.perf_counter()
    informer.start()
    await informer.wait_for_sync()
    elapsed = time.perf_counter() - started
    await informer.stop()
    print(f"informer list+sync of {len(informer.cache)} ConfigMaps: {elapsed:.2f} s (goal <= 5 s for 10,000)")


async def measure_metadata_rss(kubeconfig: Path) -> None:
    """Runs in a fresh process (`--rss`) so earlier allocations don't hide the cache's growth."""
    async with KubeClient(load_kubeconfig(kubeconfig, qps=5000, burst=5000)) as client:
        await client.list(CONFIGMAP, namespace="default", limit=1)  # warm up connection, discovery
        gc.collect()
        before = rss_bytes()
        tracemalloc.start()
        informer = Informer(
            client, CONFIGMAP, namespace="default", label_selector="app=bench", metadata_only=True
        )
        informer.start()
        await informer.wait_for_sync()
        await informer.stop()
        gc.collect()
        heap = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        grown = rss_bytes() - before
        scale = 10_000 / max(1, len(informer.cache))
        print(
            f"RSS per 10,000 cached metadata-only objects: {grown * scale / 2**20:.1f} MiB RSS growth, "
            f"{heap * scale / 2**20:.1f} MiB Python heap retained ({len(informer.cache)} cached; "
            "RSS includes tracemalloc's own overhead)"
        )


def bench_metadata_rss(kubeconfig: Path) -> None:
    subprocess.run([sys.executable, __file__, "--rss", str(kubeconfig)], check=True)


async def bench_dispatch(client: KubeClient, n: int) -> None:
    """Replays recorded watch lines through a real informer; the transport is bypassed so only
    the informer's own work (JSON decode, cache update, copy, handler call) is timed."""
    listed = await client.list(CONFIGMAP, namespace="default", limit=500)
    lines = []
    for i in range(n):
        obj = copy.deepcopy(listed.items[i % len(listed.items)])
        obj["metadata"]["resourceVersion"] = str(10_000_000 + i)
        lines.append(json.dumps({"type": "MODIFIED", "object": obj}).encode())
    received = 0
    done = asyncio.Event()

    def handler(event: InformerEvent) -> None:
        nonlocal received
        received += 1
        if received == n:
            done.set()

    informer = Informer(client, CONFIGMAP, namespace="default")

    async def replay(*args: Any, **kwargs: Any) -> AsyncIterator[WatchEvent]:
        for line in lines:
            event = json.loads(line)
            yield WatchEvent(event["type"], event["object"])
        await asyncio.Event().wait()  # keep the "connection" open

    informer._synced.set()  # the bench skips the LIST: only dispatch is measured
    informer.add_handler(handler, replay=False)
    client_watch = client.watch
    client.watch = replay  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        task = asyncio.create_task(informer._watch())
        await done.wait()
        elapsed = time.perf_counter() - started
        task.cancel()
    finally:
        client.watch = client_watch  # type: ignore[method-assign]
    print(f"dispatch overhead per watch event: {elapsed / n * 1e6:.1f} us over {n} events (goal <= 200 us)")


async def bench_queue(keys: int, workers: int = 8) -> None:
    processed: set[str] = set()
    done = asyncio.Event()

    async def reconcile(key: str) -> None:
        processed.add(key)
        if len(processed) == keys:
            done.set()

    ctl = Controller[str]("bench", reconcile, workers=workers)
    ctl.start()
    started = time.perf_counter()
    for i in range(keys):
        ctl.enqueue(f"ns/key-{i}")
        if i % 1000 == 0:
            await asyncio.sleep(0)
    await done.wait()
    elapsed = time.perf_counter() - started
    await ctl.stop()
    print(f"work queue, {workers} workers, no-op reconcile: {keys / elapsed:,.0f} keys/s (goal >= 20,000)")


def bench_copies() -> None:
    obj = configmap(1)
    obj["metadata"].update(
        {
            "uid": "0e9a1c0d-0000-4000-8000-000000000001",
            "resourceVersion": "12345",
            "managedFields": [
                {
                    "manager": "bench",
                    "operation": "Apply",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:data": {"f:index": {}, "f:payload": {}}},
                }
            ],
        }
    )
    n = 20_000
    for name, fn in (("copy.deepcopy", copy.deepcopy), ("copy_json (cache reads)", copy_json)):
        started = time.perf_counter()
        for _ in range(n):
            fn(obj)
        print(f"copy cost, {name}: {(time.perf_counter() - started) / n * 1e6:.1f} us per ConfigMap")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--rss", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss:
        await measure_metadata_rss(args.rss)
        return

    bench_copies()
    await bench_queue(args.keys)
    async with (
        api_server() as kubeconfig,
        KubeClient(load_kubeconfig(kubeconfig, qps=5000, burst=5000)) as client,
    ):
        started = time.perf_counter()
        await populate(client, args.objects)
        print(f"(created {args.objects} ConfigMaps in {time.perf_counter() - started:.1f} s)")
        await bench_informer_sync(client, args.objects)
        bench_metadata_rss(kubeconfig)
        await bench_dispatch(client, args.events)


if __name__ == "__main__":
    asyncio.run(main())
