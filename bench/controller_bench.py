"""Controller benchmarks: config propagation latency and instance scale.

    .venv/bin/python bench/controller_bench.py [--rotations 100] [--instances 1000] [--steady-seconds 60]
        [--workers 4] [--floor-units 2000] [--events on|off]

Prints:
- propagation: p50/p99 from a Secret write (to a key kro does not own, so kro keeps it) to the
  Deployment's pod template carrying the Secret's new resourceVersion (examples/config-rollout), over
  `--rotations` rotations (goal p99 <= 250 ms),
  next to the floor measured in the same run: a bare watcher's event latency plus one apply;
- scale: `--instances` instances of a 3-ConfigMap RGD created at once: time until all are ACTIVE,
  controller API writes per instance next to the floor (1 instance metadata apply + 3 applies + 1 status),
  controller RSS, and controller writes during `--steady-seconds` of steady state (goal 0);
- restart: a new controller over the existing instances: time until every one was verified, its writes
  (goal 0); then the CPU of a no-op reconcile and of a watch event;
- floor: the same 5 writes per instance by a bare client at the controller's concurrency, and pykro's
  rate as a fraction of it (goal >= 0.5).

The API server runs in a child process, and so does the author of the instances (`--generate`, which
creates them and watches for ACTIVE, as kubectl or CI would); the controller (a `Manager`) runs in
this one, so the CPU and RSS figures are the controller's (plus this script's few measuring calls).
`--events off` turns pykro's own Events off (the floor has none).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from _common import api_server, rss_bytes

from pykro.controller.manager import Manager, ManagerOptions
from pykro.kube import KubeClient, load_kubeconfig
from pykro.schema.gvk import GVK
from pykro.toolkit import ObjectRef

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO

SECRET = GVK("", "v1", "Secret")
DEPLOYMENT = GVK("apps", "v1", "Deployment")
CONFIGMAP = GVK("", "v1", "ConfigMap")
ROLLOUT = GVK("kro.run", "v1alpha1", "ConfigRollout")
CHAIN = GVK("kro.run", "v1alpha1", "BenchChain")
RGD = GVK("kro.run", "v1alpha1", "ResourceGraphDefinition")
READS = frozenset({"GET", "LIST", "WATCH"})
CLIENT_QPS = 5000  # the controller's and the floor client's --client-qps and burst


def rss_mib() -> float:
    return rss_bytes() / 2**20


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def ms(values: list[float]) -> str:
    return f"p50 {percentile(values, 50) * 1000:.1f} ms, p99 {percentile(values, 99) * 1000:.1f} ms"


def counted(manager: Manager, metric_name: str, sample: Callable[[dict[str, str]], bool]) -> int:
    """The sum of a counter's `_total` samples whose labels `sample` accepts."""
    total = 0.0
    for metric in manager.registry.collect():
        if metric.name == metric_name:
            total += sum(s.value for s in metric.samples if s.name.endswith("_total") and sample(s.labels))
    return int(total)


def controller_requests(manager: Manager, *, writes: bool) -> int:
    return counted(
        manager,
        "rest_client_requests",
        lambda labels: (labels.get("verb", "").upper() not in READS) == writes,
    )


def controller_writes(manager: Manager) -> int:
    return controller_requests(manager, writes=True)


def controller_posts(manager: Manager) -> int:
    """POSTs: on the instance path only Events are created (children are applied with PATCH)."""
    return counted(manager, "rest_client_requests", lambda labels: labels.get("verb", "").upper() == "POST")


def instance_reconciles(manager: Manager) -> int:
    return counted(manager, "controller_reconcile", lambda labels: labels.get("name") == "instances")


async def wait_until(probe: Any, timeout: float, what: str) -> None:
    deadline = time.perf_counter() + timeout
    while not await probe():
        if time.perf_counter() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def rgd_active(client: KubeClient, name: str) -> None:
    async def active() -> bool:
        try:
            return bool(((await client.get(RGD, name)).get("status") or {}).get("state") == "Active")
        except Exception:
            return False

    await wait_until(active, 30, f"RGD {name} to be Active")


# -- propagation ----------------------------------------------------------------------------------
async def bench_propagation(client: KubeClient, rotations: int) -> None:
    rgd = yaml.safe_load((REPO / "examples" / "config-rollout" / "rgd.yaml").read_text())
    await client.apply(rgd, field_manager="bench", force=True)
    await rgd_active(client, rgd["metadata"]["name"])
    instance = yaml.safe_load((REPO / "examples" / "config-rollout" / "instance.yaml").read_text())
    instance["spec"].update(
        logLevel="info", image="nginx:1.27"
    )  # explicit: don't depend on server defaulting
    await client.apply(instance, field_manager="bench", force=True)

    async def deployed() -> bool:
        try:
            await client.get(DEPLOYMENT, "demo", namespace="default")
            return True
        except Exception:
            return False

    await wait_until(deployed, 30, "the Deployment")
    seen_template: dict[str, float] = {}  # secret resourceVersion -> when the Deployment carried it
    seen_secret: dict[str, float] = {}  # secret resourceVersion -> when a bare watcher saw it

    async def watch_deployments() -> None:
        start = (await client.list(DEPLOYMENT, namespace="default")).resource_version
        async for ev in client.watch(
            DEPLOYMENT, namespace="default", resource_version=start, timeout_seconds=3600
        ):
            notes = ((ev.object.get("spec") or {}).get("template") or {}).get("metadata", {}).get(
                "annotations"
            ) or {}
            version = notes.get("example.com/secret-version")
            if version and version not in seen_template:
                seen_template[version] = time.perf_counter()

    async def watch_secrets() -> None:
        start = (await client.list(SECRET, namespace="default")).resource_version
        async for ev in client.watch(
            SECRET, namespace="default", resource_version=start, timeout_seconds=3600
        ):
            seen_secret.setdefault(ev.object["metadata"]["resourceVersion"], time.perf_counter())

    watchers = [asyncio.create_task(watch_deployments()), asyncio.create_task(watch_secrets())]
    await asyncio.sleep(0.5)
    latencies, floor = [], []
    probe = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "bench-floor", "namespace": "default"},
    }
    for i in range(rotations):
        started = time.perf_counter()
        # A key kro does not own (an external rotation job's): kept by SSA. A write to `password`,
        # which kro owns, is drift that kro reverts at once; the Deployment then rolls to the reverted
        # Secret's resourceVersion and never carries this write's.
        written = await client.patch(
            SECRET, "demo-credentials", {"stringData": {"rotated": f"p{i}"}}, namespace="default"
        )
        version = written["metadata"]["resourceVersion"]
        deadline = started + 10
        while version not in seen_template or version not in seen_secret:
            if time.perf_counter() > deadline:
                raise SystemExit(f"rotation {i}: the Deployment never carried secret-version {version}")
            await asyncio.sleep(0.001)
        latencies.append(seen_template[version] - started)
        apply_started = time.perf_counter()
        await client.apply({**probe, "data": {"v": version}}, field_manager="bench-floor", force=True)
        floor.append(seen_secret[version] - started + time.perf_counter() - apply_started)
        await asyncio.sleep(0.02)
    for task in watchers:
        task.cancel()
    await asyncio.gather(*watchers, return_exceptions=True)
    print(
        f"propagation Secret write -> Deployment template ({rotations} rotations): {ms(latencies)} "
        f"(goal p99 <= 250 ms)"
    )
    print(
        f"  floor (bare watcher event + one apply, same run): {ms(floor)}; "
        f"mean overhead over floor {statistics.mean(latencies) * 1000 - statistics.mean(floor) * 1000:.1f} ms"
    )


# -- scale ----------------------------------------------------------------------------------------
CHAIN_RGD: dict[str, Any] = {
    "apiVersion": "kro.run/v1alpha1",
    "kind": "ResourceGraphDefinition",
    "metadata": {"name": "bench-chain"},
    "spec": {
        "schema": {"apiVersion": "v1alpha1", "kind": "BenchChain", "spec": {"value": "string"}},
        "resources": [
            {
                "id": "a",
                "template": {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "${schema.metadata.name}-a"},
                    "data": {"v": "${schema.spec.value}"},
                },
            },
            {
                "id": "b",
                "template": {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "${schema.metadata.name}-b"},
                    "data": {"v": "${a.data.v}"},
                },
            },
            {
                "id": "c",
                "template": {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "${schema.metadata.name}-c"},
                    "data": {"v": "${b.data.v}"},
                },
            },
        ],
    },
}


def rate_window(times: list[float], upto: int, width: int = 1000) -> float:
    """Instances/s over the `width` instances ending with the `upto`-th to become ACTIVE."""
    first = max(0, upto - width)
    span = times[upto - 1] - (times[first - 1] if first else 0.0)
    return (upto - first) / span if span > 0 else float("inf")


RESULTS: dict[str, float] = {}


async def generate_load(kubeconfig: Path, instances: int) -> dict[str, Any]:
    """The instances' author, in its own process (`--generate`): creates `instances` BenchChains, 64
    at a time, and watches them until all are ACTIVE. Returns the seconds from the first create to the
    end of creation, and to the moment each instance (in order) first became ACTIVE."""
    async with KubeClient(load_kubeconfig(kubeconfig, qps=2000, burst=4000)) as client:
        # A watch, not a polling LIST of every instance: the probe must not compete with the controller.
        active: set[str] = set()
        became_active: list[float] = []
        all_active = asyncio.Event()
        start_version = (await client.list(CHAIN, namespace="default", limit=1)).resource_version
        started = time.perf_counter()

        async def watch_states() -> None:
            async for ev in client.watch(
                CHAIN, namespace="default", resource_version=start_version, timeout_seconds=3600
            ):
                name = ev.object["metadata"]["name"]
                if (ev.object.get("status") or {}).get("state") == "ACTIVE" and name not in active:
                    active.add(name)
                    became_active.append(time.perf_counter() - started)
                if len(active) >= instances:
                    all_active.set()

        watcher = asyncio.create_task(watch_states())
        sem = asyncio.Semaphore(64)

        async def create(i: int) -> None:
            async with sem:
                await client.create(
                    {
                        "apiVersion": "kro.run/v1alpha1",
                        "kind": "BenchChain",
                        "metadata": {"name": f"chain-{i:05d}", "namespace": "default"},
                        "spec": {"value": str(i)},
                    }
                )

        started = time.perf_counter()
        await asyncio.gather(*(create(i) for i in range(instances)))
        created = time.perf_counter() - started
        try:
            await asyncio.wait_for(all_active.wait(), 1200)
        except TimeoutError:
            raise SystemExit(f"timed out waiting for {instances} instances to be ACTIVE") from None
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        return {"created": created, "became_active": became_active}


async def bench_scale(
    kubeconfig: Path, client: KubeClient, manager: Manager, instances: int, steady_seconds: float
) -> None:
    await client.apply(CHAIN_RGD, field_manager="bench", force=True)
    await rgd_active(client, "bench-chain")
    await asyncio.sleep(0.5)
    writes_before = controller_writes(manager)
    posts_before = controller_posts(manager)
    reads_before = controller_requests(manager, writes=False)
    reconciles_before = instance_reconciles(manager)
    rss_before = rss_mib()
    cpu_before = time.process_time()
    # Instances come from another process, as from kubectl or CI: this process is the controller's.
    author = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--generate",
        str(instances),
        "--kubeconfig",
        str(kubeconfig),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await author.communicate()
    if author.returncode != 0:
        raise SystemExit(f"the load generator failed (exit {author.returncode})")
    load = json.loads(out)
    became_active: list[float] = load["became_active"]
    elapsed = became_active[-1]
    cpu = time.process_time() - cpu_before
    await asyncio.wait_for(manager.broadcaster.flush(), 60)  # Events still queued belong to this phase
    writes = controller_writes(manager) - writes_before
    events = controller_posts(manager) - posts_before
    reads = controller_requests(manager, writes=False) - reads_before
    reconciles = instance_reconciles(manager) - reconciles_before
    RESULTS["rate"] = instances / elapsed
    print(
        f"scale: {instances} instances of a 3-resource RGD: created in {load['created']:.1f} s, all ACTIVE "
        f"after {elapsed:.1f} s ({instances / elapsed:.0f} instances/s)"
    )
    first = min(1000, instances)
    print(
        f"  rate over the first {first}: {rate_window(became_active, first):.0f} instances/s; over the "
        f"last 1000 (up to {instances}): {rate_window(became_active, instances):.0f} instances/s "
        "(goal: last >= 90% of first)"
    )
    print(
        f"  controller API writes per instance: {(writes - events) / instances:.2f} (floor 5: 1 instance "
        "metadata apply [finalizer, labels, ApplySet inventory] + 3 applies + 1 status), plus "
        f"{events / instances:.2f} Event POSTs (--events {'on' if manager.options.events else 'off'})"
    )
    print(
        f"  controller API reads per instance: {reads / instances:.2f}; reconciles per instance: "
        f"{reconciles / instances:.2f}"
    )
    print(f"  CPU of the controller process: {cpu / instances * 1000:.2f} ms/instance")
    print(f"  controller RSS: {rss_mib():.0f} MiB ({rss_mib() - rss_before:+.0f} MiB for the instances)")
    steady_start = controller_writes(manager)
    await asyncio.sleep(steady_seconds)
    print(
        f"  controller writes during {steady_seconds:.0f} s of steady state: "
        f"{controller_writes(manager) - steady_start} (goal 0)"
    )


async def bench_restart(kubeconfig: Path, options: ManagerOptions, instances: int) -> None:
    """A fresh controller over `instances` existing ACTIVE instances: time until each was reconciled."""
    started = time.perf_counter()
    async with Manager(kubeconfig, options) as manager:

        async def verified() -> bool:
            queue = manager.instances.controller.queue
            return instance_reconciles(manager) >= instances and not len(queue) and not queue.processing

        await wait_until(verified, 1200, "every instance to be verified after a restart")
        elapsed = time.perf_counter() - started
        print(
            f"restart over {instances} existing instances: all verified after {elapsed:.1f} s "
            f"({instances / elapsed:.0f} instances/s), writes {controller_writes(manager)} (goal 0), "
            f"reads {controller_requests(manager, writes=False)}"
        )
        await bench_costs(kubeconfig, manager, instances)


async def bench_costs(kubeconfig: Path, manager: Manager, instances: int, events: int = 2000) -> None:
    """CPU of this process per no-op reconcile (every instance re-queued) and per watch event (writes
    to ConfigMaps the controller watches, less the same writes to Secrets it does not watch)."""
    queue = manager.instances.controller.queue
    before, cpu = instance_reconciles(manager), time.process_time()
    for gvk in manager.instances.registered():
        informer = manager.watches.informer(gvk, metadata_only=False)
        assert informer is not None
        for key in informer.cache.keys():
            namespace, _, name = key.rpartition("/")
            manager.instances.controller.enqueue(ObjectRef(gvk, namespace, name))

    async def drained() -> bool:
        return instance_reconciles(manager) >= before + instances and not len(queue) and not queue.processing

    await wait_until(drained, 1200, "the resync")
    per_reconcile = (time.process_time() - cpu) / (instance_reconciles(manager) - before)
    async with KubeClient(load_kubeconfig(kubeconfig, qps=5000, burst=5000)) as client:
        await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "events"}})
        spent = {}
        for gvk in (SECRET, CONFIGMAP):
            cpu = time.process_time()
            for i in range(events):
                body = {
                    "apiVersion": "v1",
                    "kind": gvk.kind,
                    "metadata": {"name": f"e{i}", "namespace": "events"},
                }
                await client.apply(body, field_manager="bench", force=True)
            await asyncio.sleep(1.0)  # let the watch deliver the last events
            spent[gvk.kind] = time.process_time() - cpu
    per_event = (spent["ConfigMap"] - spent["Secret"]) / events
    print(
        f"costs: {per_reconcile * 1000:.2f} ms CPU per no-op reconcile (cache reads, no writes); "
        f"{per_event * 1000:.3f} ms CPU per watch event on a watched kind"
    )


async def bench_floor(client: KubeClient, units: int, concurrency: int) -> None:
    """The same 5 writes per instance as a reconcile, sequential per unit as there, by a bare client at
    the controller's worker concurrency: an apply of a BenchChain (as kro's metadata apply, which also
    creates it here), 3 ConfigMap applies, and a PUT of the BenchChain's status. The controller is
    stopped by now, so nothing reconciles these BenchChains."""
    if not units:
        return
    sem = asyncio.Semaphore(concurrency)

    def cm(name: str, value: str) -> dict[str, Any]:
        meta = {"name": name, "namespace": "floor"}
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"v": value}}

    async def unit(i: int) -> None:
        async with sem:
            chain = {
                "apiVersion": "kro.run/v1alpha1",
                "kind": "BenchChain",
                "metadata": {"name": f"p-{i:05d}", "namespace": "floor"},
                "spec": {"value": str(i)},
            }
            parent = await client.apply(chain, field_manager="floor", force=True)
            for child in "abc":
                await client.apply(cm(f"p-{i:05d}-{child}", str(i)), field_manager="floor", force=True)
            await client.replace_status({**parent, "status": {"state": "ACTIVE"}})

    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "floor"}})
    started = time.perf_counter()
    await asyncio.gather(*(unit(i) for i in range(units)))
    rate = units / (time.perf_counter() - started)
    ratio = f"; pykro's rate is {RESULTS['rate'] / rate:.2f} of it (goal >= 0.5)" if "rate" in RESULTS else ""
    print(
        f"floor: {units} x 5 writes by a bare client at concurrency {concurrency} (client qps {CLIENT_QPS}, "
        f"as the controller's): {rate:.0f} /s{ratio}"
    )


async def main(args: argparse.Namespace) -> None:
    if args.generate:
        print(json.dumps(await generate_load(args.kubeconfig, args.generate)))
        return
    async with api_server() as kubeconfig:
        # The controller and the floor's bare client get the same client-side rate limit, high enough
        # that neither is throttled: the comparison is of the work per instance, not of the limits.
        options = ManagerOptions(
            workers=args.workers, qps=CLIENT_QPS, burst=CLIENT_QPS, events=args.events == "on"
        )
        async with Manager(kubeconfig, options) as manager:
            async with KubeClient(load_kubeconfig(kubeconfig, qps=2000, burst=4000)) as client:
                if args.rotations:
                    await bench_propagation(client, args.rotations)
                if args.instances:
                    await bench_scale(kubeconfig, client, manager, args.instances, args.steady_seconds)
        if args.instances:
            await bench_restart(kubeconfig, options, args.instances)
            async with KubeClient(load_kubeconfig(kubeconfig, qps=CLIENT_QPS, burst=CLIENT_QPS)) as client:
                await bench_floor(client, min(args.instances, args.floor_units), args.workers)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rotations", type=int, default=100)
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--steady-seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--floor-units", type=int, default=2000, help="instances' worth of bare writes")
    parser.add_argument("--events", choices=("on", "off"), default="on", help="pykro's own Events")
    parser.add_argument("--generate", type=int, default=0, help=argparse.SUPPRESS)  # the load process
    parser.add_argument("--kubeconfig", type=Path, help=argparse.SUPPRESS)
    asyncio.run(main(parser.parse_args()))
