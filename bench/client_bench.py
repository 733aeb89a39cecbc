"""The API client's own cost: CPU of this process per request, pykro's client next to httpx.

    .venv/bin/python bench/client_bench.py [--requests 2000]

Prints, for `--requests` sequential server-side applies of a ConfigMap against the embedded API server
(in a child process, so its CPU does not count): the CPU and wall time per request of pykro's
`KubeClient.apply` (aiohttp underneath), and of the same request sent by an httpx client (the library
pykro's transport used before) with the same TLS and credentials, and the ratio of the two. A
controller's CPU per instance is mostly this cost: a new instance is 5 to 6 requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx2 as httpx
from lightkube.config import client_adapter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import api_server

from pykro.kube import KubeClient, load_kubeconfig

APPLY = "application/apply-patch+yaml"


def configmap(i: int) -> dict[str, Any]:
    meta = {"name": f"c{i % 100}", "namespace": "default", "labels": {"app": "bench"}}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"v": str(i)}}


async def measure(requests: int, send: Callable[[int], Awaitable[None]]) -> tuple[float, float]:
    """(CPU ms, wall ms) per request, after a warm-up that opens the connection."""
    await send(0)
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(requests):
        await send(i)
    return (time.process_time() - cpu) / requests * 1000, (time.perf_counter() - wall) / requests * 1000


async def main(args: argparse.Namespace) -> None:
    async with api_server() as kubeconfig:
        config = load_kubeconfig(kubeconfig, qps=100_000, burst=100_000)
        async with KubeClient(config) as client:

            async def pykro_apply(i: int) -> None:
                await client.apply(configmap(i), field_manager="bench", force=True)

            pykro_cpu, pykro_wall = await measure(args.requests, pykro_apply)

        params = client_adapter.ConnectionParams(timeout=httpx.Timeout(30.0))
        async with client_adapter.AsyncClient(config.connection, params) as http:

            async def httpx_apply(i: int) -> None:
                response = await http.patch(
                    f"/api/v1/namespaces/default/configmaps/c{i % 100}",
                    params={"fieldManager": "bench", "force": "true"},
                    content=json.dumps(configmap(i)).encode(),
                    headers={"Content-Type": APPLY, "Accept": "application/json"},
                )
                response.raise_for_status()
                response.json()

            httpx_cpu, httpx_wall = await measure(args.requests, httpx_apply)

    print(
        f"{args.requests} server-side applies of a ConfigMap, one at a time, CPU of this process per request:"
    )
    print(f"  pykro KubeClient (aiohttp): {pykro_cpu:.3f} ms CPU, {pykro_wall:.3f} ms wall")
    print(f"  httpx AsyncClient:          {httpx_cpu:.3f} ms CPU, {httpx_wall:.3f} ms wall")
    print(f"  pykro / httpx CPU: {pykro_cpu / httpx_cpu:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    asyncio.run(main(parser.parse_args()))
