"""Reconciles read from the informers' caches, and never trust a cache entry older than their own write.

Reads are counted with the controller client's `rest_client_requests_total{verb}`."""

from __future__ import annotations

from functools import partial
from typing import Any

from pykro.controller.instance.reads import CachedReads
from pykro.kube import KubeClient
from pykro.toolkit import ObjectRef, WatchManager
from tests.controller.instance.conftest import CONFIGMAP, Env
from tests.controller.instance.test_write_budget import CHAIN, writes_by_verb
from tests.kube.live import eventually
from tests.runtime.graphs import compile_rgd

READ_VERBS = ("GET", "LIST")


def reads_by_verb(env: Env) -> dict[str, int]:
    counts = dict.fromkeys(READ_VERBS, 0)
    for metric in env.client_metrics.registry.collect():
        for sample in metric.samples:
            verb = sample.labels.get("verb", "")
            if sample.name == "rest_client_requests_total" and verb in READ_VERBS:
                counts[verb] += int(sample.value)
    return counts


def configmap(name: str, value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": {"v": value},
    }


async def test_a_new_instance_reads_its_children_from_the_cache_and_lists_nothing(env: Env) -> None:
    graph = await env.serve(CHAIN)
    await env.create(graph, "warm", {"value": "w"})  # starts (and syncs) the ConfigMap informer
    await env.wait_ready(graph, "warm")
    await env.idle()
    before, reconciles = reads_by_verb(env), env.reconciles()
    await env.create(graph, "x", {"value": "v1"})
    await env.wait_ready(graph, "x")
    await env.idle()
    after = reads_by_verb(env)
    # The children's watch events echo pykro's own applies: they re-queue nothing.
    assert env.reconciles() == reconciles + 1
    # No LIST at all (pruning lists from the cache); GETs only where an event raced the cache
    # behind pykro's own write (at most one per object written: 3 children and the instance).
    assert after["LIST"] == before["LIST"]
    assert after["GET"] - before["GET"] <= 4


async def test_steady_state_resync_reads_nothing_from_the_api(env: Env) -> None:
    graph = await env.serve(CHAIN)
    await env.create(graph, "x", {"value": "v1"})
    await env.wait_ready(graph, "x")
    await env.idle()
    env.enqueue(graph, "x")  # the first resync may confirm own writes the cache has shown since
    await env.idle()
    before, reconciles = reads_by_verb(env), env.reconciles()
    for _ in range(3):
        env.enqueue(graph, "x")
        await env.idle()
    assert env.reconciles() >= reconciles + 3
    assert reads_by_verb(env) == before


async def test_out_of_band_deletion_of_a_child_is_recreated(env: Env) -> None:
    graph = await env.serve(CHAIN)
    await env.create(graph, "x", {"value": "v1"})
    await env.wait_ready(graph, "x")
    await env.idle()
    old = await env.get(CONFIGMAP, "x-b")
    assert old is not None
    await env.client.delete(CONFIGMAP, "x-b", namespace="default")

    async def recreated() -> bool:
        new = await env.get(CONFIGMAP, "x-b")
        return new is not None and new["metadata"]["uid"] != old["metadata"]["uid"]

    await eventually(recreated, timeout=10)
    new = await env.get(CONFIGMAP, "x-b")
    assert new is not None and new["data"] == {"v": "v1"}


async def test_a_dropped_resource_is_pruned_from_the_cache_without_a_list(env: Env) -> None:
    graph = await env.serve(CHAIN)
    await env.create(graph, "x", {"value": "v1"})
    await env.wait_ready(graph, "x")
    await env.idle()
    before, writes = reads_by_verb(env), writes_by_verb(env)
    shorter = CHAIN.replace("    status:\n      last: ${c.data.v}\n", "").split("  - id: c")[0]
    await env.controllers.register(compile_rgd(shorter), "rgd-uid")

    async def pruned() -> bool:
        return await env.get(CONFIGMAP, "x-c") is None

    await eventually(pruned, timeout=10)
    await env.idle()
    assert await env.get(CONFIGMAP, "x-a") is not None and await env.get(CONFIGMAP, "x-b") is not None
    assert reads_by_verb(env)["LIST"] == before["LIST"]
    assert writes_by_verb(env).get("DELETE", 0) == writes.get("DELETE", 0) + 1


async def cached_reader(client: KubeClient) -> tuple[WatchManager, CachedReads]:
    """A reader whose ConfigMap informer has synced, then stopped: its cache no longer moves."""
    watches = WatchManager(client, reads_metadata_only=False)
    await watches.set_reads("reader", [ObjectRef(CONFIGMAP, "default", "seen")], lambda _: None)
    informer = watches.informer(CONFIGMAP, metadata_only=False)
    assert informer is not None and await informer.wait_for_sync(10)
    await eventually(partial(_cached, informer, "seen"), timeout=10)
    await informer.stop()
    return watches, CachedReads(client, watches)


async def _cached(informer: Any, name: str) -> bool:
    return informer.cache.get_by_name(name, "default") is not None


async def test_own_write_beats_a_stale_cache_entry(env: Env) -> None:
    await env.client.create(configmap("seen", "old"))
    watches, reads = await cached_reader(env.client)
    try:
        # Someone else's change the frozen cache missed: the cache answers (as any cached client).
        await env.client.patch(CONFIGMAP, "seen", {"data": {"v": "theirs"}}, namespace="default")
        stale = await reads.get(CONFIGMAP, "seen", "default")
        assert stale is not None and stale["data"] == {"v": "old"}
        # Our own write: its response is the truth, the older cache entry is not used.
        written = await env.client.apply(configmap("seen", "ours"), field_manager="test", force=True)
        reads.remember(CONFIGMAP, written)
        fresh = await reads.get(CONFIGMAP, "seen", "default")
        assert fresh is not None and fresh["data"] == {"v": "ours"}
        assert fresh["metadata"]["resourceVersion"] == written["metadata"]["resourceVersion"]
    finally:
        await watches.close()


async def test_cache_miss_for_an_object_written_falls_back_to_one_live_read(env: Env) -> None:
    await env.client.create(configmap("seen", "old"))
    watches, reads = await cached_reader(env.client)
    try:
        # Never written by us and not in the synced cache: absent, without asking the API.
        assert await reads.get(CONFIGMAP, "never", "default") is None
        created = await env.client.create(configmap("new", "v"))
        reads.remember(CONFIGMAP, created)
        live = await reads.get(CONFIGMAP, "new", "default")
        assert live is not None and live["metadata"]["uid"] == created["metadata"]["uid"]
        await env.client.delete(CONFIGMAP, "new", namespace="default")
        assert await reads.get(CONFIGMAP, "new", "default") is None  # gone: the live read says so
    finally:
        await watches.close()


async def test_another_writers_version_seen_during_an_own_write_asks_for_another_reconcile(env: Env) -> None:
    watches = WatchManager(env.client, reads_metadata_only=False)
    reads = CachedReads(env.client, watches)
    desired = configmap("raced", "ours")
    ours = {**desired, "metadata": {**desired["metadata"], "resourceVersion": "10"}}
    theirs = {**desired, "metadata": {**desired["metadata"], "resourceVersion": "11"}}
    reads.expect("x", CONFIGMAP, desired)
    assert reads.own_write_seen("x", CONFIGMAP, ours)  # the event beat the response: held for `settle`
    assert reads.settle(CONFIGMAP, desired, ours)  # it was ours: nothing to do
    assert reads.own_write_seen("x", CONFIGMAP, ours) is False  # already settled: a repeat is news
    reads.expect("x", CONFIGMAP, desired)
    assert reads.own_write_seen("x", CONFIGMAP, theirs)
    assert not reads.own_write_seen("y", CONFIGMAP, theirs)  # another reader of the object: news
    assert not reads.settle(CONFIGMAP, desired, ours)  # a newer version than our response: look again
    await watches.close()
