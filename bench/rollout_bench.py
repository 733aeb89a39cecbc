"""Rollout-control benchmarks (docs/rollouts.md), each next to its reference in the same run:

- coalescing: 10 label edits to an instance's two ConfigMaps within 2 s, with a 5 s debounce
  window, and the new ReplicaSets per instance (goal 1) next to the same run with no window;
- throttling: N instances whose Deployments read one shared Secret; rotating it with a budget of
  10 rollouts in flight: the most Deployments seen rolling at once (goal <= 10), the time until all
  rolled and that every one did, next to the unthrottled run;
- overhead: p50/p99 from a Secret write to the Deployment's pod template with the extensions off
  and on (recording causes, no window): must stay within 10% of each other.

    .venv/bin/python bench/rollout_bench.py [--instances 200] [--rotations 50]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from _common import api_server

from pykro.controller.manager import Manager, ManagerOptions
from pykro.kube import KubeClient, NotFound, load_kubeconfig
from pykro.schema.gvk import GVK

DEPLOYMENT = GVK("apps", "v1", "Deployment")
REPLICASET = GVK("apps", "v1", "ReplicaSet")
SECRET = GVK("", "v1", "Secret")
CONFIGMAP = GVK("", "v1", "ConfigMap")
RGD = GVK("kro.run", "v1alpha1", "ResourceGraphDefinition")


def workload(reads: dict[str, str]) -> dict[str, Any]:
    """A one-replica Deployment whose pod template carries the given expressions as annotations."""
    return {
        "id": "deployment",
        "template": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "${schema.metadata.name}"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "${schema.metadata.name}"}},
                "template": {
                    "metadata": {"labels": {"app": "${schema.metadata.name}"}, "annotations": reads},
                    "spec": {"containers": [{"name": "app", "image": "nginx"}]},
                },
            },
        },
    }


def rgd(kind: str, annotations: dict[str, str], resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "kro.run/v1alpha1",
        "kind": "ResourceGraphDefinition",
        "metadata": {"name": f"{kind.lower()}.bench", "annotations": annotations},
        "spec": {"schema": {"apiVersion": "v1alpha1", "kind": kind, "spec": {}}, "resources": resources},
    }


def config_map(node: str) -> dict[str, Any]:
    return {
        "id": node,
        "template": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "${schema.metadata.name}-" + node},
            "data": {"k": "v"},
        },
    }


SHARED_SECRET = {
    "id": "ca",
    "externalRef": {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "shared-ca", "namespace": "default"},
    },
}


async def poll(probe: Any, timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await probe()
        if found:
            return found
        await asyncio.sleep(interval)
    raise SystemExit(f"timed out waiting for {what}")


async def serve(client: KubeClient, doc: dict[str, Any], names: list[str]) -> None:
    """Apply an RGD, wait until Active, create instances and wait until each has its Deployment."""
    await client.apply(doc, field_manager="bench", force=True)

    async def active() -> bool:
        try:
            obj = await client.get(RGD, doc["metadata"]["name"])
        except NotFound:
            return False
        return (obj.get("status") or {}).get("state") == "Active"

    await poll(active, 60, "the RGD")
    kind = doc["spec"]["schema"]["kind"]
    gvk = GVK("kro.run", "v1alpha1", kind)
    sem = asyncio.Semaphore(20)

    async def create(name: str) -> None:
        async with sem:
            meta = {"name": name, "namespace": "default"}
            await client.apply(
                {"apiVersion": gvk.api_version, "kind": kind, "metadata": meta}, field_manager="bench"
            )

    await asyncio.gather(*(create(n) for n in names))

    async def deployed() -> bool:
        listed = await client.list(
            DEPLOYMENT, namespace="default", label_selector=f"kro.run/instance-kind={kind}"
        )
        return len(listed.items) >= len(names)

    await poll(deployed, 300, "the Deployments", interval=0.2)


def template_annotations(deployment: dict[str, Any]) -> dict[str, str]:
    return dict(((deployment["spec"]["template"].get("metadata") or {}).get("annotations")) or {})


def complete(d: dict[str, Any]) -> bool:
    status = d.get("status") or {}
    want = d["spec"].get("replicas", 1)
    return (
        status.get("observedGeneration", 0) >= d["metadata"]["generation"]
        and status.get("updatedReplicas", 0) >= want
        and status.get("availableReplicas", 0) >= want
        and status.get("replicas", 0) <= status.get("updatedReplicas", 0)
    )


# -- coalescing -----------------------------------------------------------------------------------
async def bench_coalescing(client: KubeClient, window: str | None, instances: int) -> float:
    kind = "BurstWindowed" if window else "BurstPlain"
    annotations = {"pykro.dev/rollout-debounce": window} if window else {}
    reads = {"a": "${one.metadata.resourceVersion}", "b": "${two.metadata.resourceVersion}"}
    doc = rgd(kind, annotations, [config_map("one"), config_map("two"), workload(reads)])
    names = [f"{kind.lower()}-{i}" for i in range(instances)]
    await serve(client, doc, names)
    await asyncio.sleep(1.0)
    started = time.monotonic()
    for edit in range(10):  # 10 edits, alternating the two ConfigMaps, within 2 s
        node = "one" if edit % 2 == 0 else "two"
        await asyncio.gather(
            *(
                client.patch(
                    CONFIGMAP,
                    f"{n}-{node}",
                    {"metadata": {"labels": {"edit": str(edit)}}},
                    namespace="default",
                )
                for n in names
            )
        )
        await asyncio.sleep(max(0.0, started + 0.2 * (edit + 1) - time.monotonic()))

    async def settled() -> bool:
        for n in names:
            d = await client.get(DEPLOYMENT, n, namespace="default")
            one = await client.get(CONFIGMAP, f"{n}-one", namespace="default")
            two = await client.get(CONFIGMAP, f"{n}-two", namespace="default")
            seen = template_annotations(d)
            if (seen.get("a"), seen.get("b")) != (
                one["metadata"]["resourceVersion"],
                two["metadata"]["resourceVersion"],
            ):
                return False
        return True

    await poll(settled, 60, "the Deployments to carry the last edits", interval=0.2)
    await asyncio.sleep(1.0)
    total = 0
    for n in names:
        listed = await client.list(REPLICASET, namespace="default", label_selector=f"app={n}")
        total += len(listed.items) - 1
    return total / len(names)


# -- throttling -----------------------------------------------------------------------------------
async def bench_throttling(client: KubeClient, budget: int | None, instances: int) -> tuple[int, float, int]:
    kind = "FleetBudgeted" if budget else "FleetFree"
    annotations = {"pykro.dev/rollout-max-concurrent": str(budget)} if budget else {}
    doc = rgd(kind, annotations, [SHARED_SECRET, workload({"ca": "${ca.metadata.resourceVersion}"})])
    names = [f"{kind.lower()}-{i}" for i in range(instances)]
    await serve(client, doc, names)
    selector = f"kro.run/instance-kind={kind}"

    async def all_complete() -> bool:
        listed = await client.list(DEPLOYMENT, namespace="default", label_selector=selector)
        return all(complete(d) for d in listed.items)

    await poll(all_complete, 300, "the fleet to settle", interval=0.5)
    rotated = await client.patch(
        SECRET, "shared-ca", {"stringData": {"ca.crt": f"rotated-{kind}"}}, namespace="default"
    )
    version = rotated["metadata"]["resourceVersion"]
    started = time.monotonic()
    most = 0
    while True:
        listed = await client.list(DEPLOYMENT, namespace="default", label_selector=selector)
        moved = [d for d in listed.items if template_annotations(d).get("ca") == version]
        rolling = sum(1 for d in moved if not complete(d))
        most = max(most, rolling)
        if len(moved) == len(names) and rolling == 0:
            return most, time.monotonic() - started, len(moved)
        if time.monotonic() - started > 600:
            return most, float("inf"), len(moved)
        await asyncio.sleep(0.1)


# -- overhead -------------------------------------------------------------------------------------
async def bench_overhead(client: KubeClient, record: bool, rotations: int) -> list[float]:
    kind = "PropRecorded" if record else "PropPlain"
    annotations = {"pykro.dev/rollout-record": "true"} if record else {}
    secret = {
        "id": "secret",
        "template": {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "${schema.metadata.name}-credentials"},
            "stringData": {"password": "p"},
        },
    }
    doc = rgd(kind, annotations, [secret, workload({"v": "${secret.metadata.resourceVersion}"})])
    name = kind.lower()
    await serve(client, doc, [name])
    seen: dict[str, float] = {}

    async def watch() -> None:
        start = (await client.list(DEPLOYMENT, namespace="default")).resource_version
        async for ev in client.watch(
            DEPLOYMENT, namespace="default", resource_version=start, timeout_seconds=3600
        ):
            if ev.object["metadata"]["name"] == name:
                seen.setdefault(template_annotations(ev.object).get("v", ""), time.perf_counter())

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.5)
    latencies = []
    for i in range(rotations):
        started = time.perf_counter()
        written = await client.patch(
            SECRET, f"{name}-credentials", {"stringData": {"rotated": str(i)}}, namespace="default"
        )
        version = written["metadata"]["resourceVersion"]
        deadline = started + 10
        while version not in seen:
            if time.perf_counter() > deadline:
                raise SystemExit(f"{kind}: the Deployment never carried {version}")
            await asyncio.sleep(0.001)
        latencies.append(seen[version] - started)
        await asyncio.sleep(0.05)
    watcher.cancel()
    await asyncio.gather(watcher, return_exceptions=True)
    return latencies


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


async def main(args: argparse.Namespace) -> None:
    async with api_server(workload_delay=args.workload_delay) as kubeconfig:
        options = ManagerOptions(workers=args.workers, qps=1000, burst=2000)
        async with (
            Manager(kubeconfig, options),
            KubeClient(load_kubeconfig(kubeconfig, qps=2000, burst=4000)) as client,
        ):
            plain = await bench_overhead(client, False, args.rotations)
            recorded = await bench_overhead(client, True, args.rotations)
            print(f"overhead: Secret write -> pod template ({args.rotations} rotations)")
            for label, values in (("extensions off", plain), ("recording causes, no window", recorded)):
                print(f"  {label}: p50 {pct(values, 50):.1f} ms, p99 {pct(values, 99):.1f} ms")
            ratios = [pct(recorded, p) / pct(plain, p) for p in (50, 99)]
            print(f"  ratio on/off: p50 {ratios[0]:.2f}, p99 {ratios[1]:.2f}")
            windowed = await bench_coalescing(client, "5s", args.burst_instances)
            unwindowed = await bench_coalescing(client, None, args.burst_instances)
            print(f"coalescing: 10 edits to two ConfigMaps within 2 s ({args.burst_instances} instances)")
            print(f"  5 s window: {windowed:.1f} new ReplicaSets per instance (goal 1)")
            print(f"  no window:  {unwindowed:.1f} new ReplicaSets per instance")
            await client.apply(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": "shared-ca", "namespace": "default"},
                    "stringData": {"ca.crt": "first"},
                },
                field_manager="bench",
            )
            most, took, rolled = await bench_throttling(client, 10, args.instances)
            free_most, free_took, free_rolled = await bench_throttling(client, None, args.instances)
            print(f"throttling: rotate one Secret read by {args.instances} Deployments")
            print(
                f"  budget 10: at most {most} rolling at once (goal <= 10), all rolled after {took:.1f} s, "
                f"{rolled}/{args.instances} rolled"
            )
            print(
                f"  no budget: at most {free_most} rolling at once, all rolled after {free_took:.1f} s, "
                f"{free_rolled}/{args.instances} rolled"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--burst-instances", type=int, default=5)
    parser.add_argument("--rotations", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--workload-delay", type=float, default=0.2, help="seconds each simulated rollout step takes"
    )
    asyncio.run(main(parser.parse_args()))
