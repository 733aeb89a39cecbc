"""Informers against the embedded API server: sync, events, indexes, metadata-only."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry

from pykro.kube import KubeClient
from pykro.toolkit import (
    ADDED,
    DELETED,
    MODIFIED,
    OWNER_UID_INDEX,
    Informer,
    InformerEvent,
    RuntimeMetrics,
    label_index,
)
from tests.kube.live import CONFIGMAP, configmap, eventually

INSTANCE = "kro.run/instance-id"


async def server_state(client: KubeClient, namespace: str = "default") -> dict[str, str]:
    listed = await client.list_all(CONFIGMAP, namespace=namespace)
    return {
        f"{o['metadata']['namespace']}/{o['metadata']['name']}": o["metadata"]["resourceVersion"]
        for o in listed.items
    }


def cache_state(informer: Informer) -> dict[str, str]:
    return {
        key: obj["metadata"]["resourceVersion"]
        for key in informer.cache.keys()
        if (obj := informer.cache.get(key)) is not None
    }


async def test_paged_list_syncs_then_watch_delivers_events(client: KubeClient) -> None:
    for i in range(23):
        await client.create(configmap(f"pre-{i}", i=str(i)))
    events: list[tuple[str, str]] = []
    registry = CollectorRegistry()
    informer = Informer(client, CONFIGMAP, namespace="default", page_size=5, metrics=RuntimeMetrics(registry))
    informer.add_handler(lambda e: events.append((e.type, e.key)))
    assert not informer.has_synced
    informer.start()
    try:
        assert await informer.wait_for_sync(10)
        assert len(informer.cache) == 23 and len(events) == 23
        assert all(t == ADDED for t, _ in events)
        events.clear()
        await client.create(configmap("new"))
        await client.patch(CONFIGMAP, "pre-0", {"data": {"i": "changed"}})
        await client.delete(CONFIGMAP, "pre-1")
        await eventually(lambda: len(events) == 3)
        assert events == [(ADDED, "default/new"), (MODIFIED, "default/pre-0"), (DELETED, "default/pre-1")]
        assert cache_state(informer) == await server_state(client)
        assert (
            registry.get_sample_value("informer_events_total", {"gvr": str(CONFIGMAP), "event_type": ADDED})
            == 24
        )
    finally:
        await informer.stop()


async def test_modified_events_carry_the_old_state(client: KubeClient) -> None:
    await client.create(configmap("x", v="1"))
    seen: list[InformerEvent] = []
    informer = Informer(client, CONFIGMAP, namespace="default")
    informer.add_handler(seen.append)
    informer.start()
    try:
        await informer.wait_for_sync(10)
        await client.patch(CONFIGMAP, "x", {"data": {"v": "2"}})
        await eventually(lambda: any(e.type == MODIFIED for e in seen))
        update = next(e for e in seen if e.type == MODIFIED)
        assert (
            update.old is not None
            and update.old["data"] == {"v": "1"}
            and update.object["data"] == {"v": "2"}
        )
        update.object["data"]["v"] = "mutated by handler"
        cached = informer.cache.get_by_name("x", "default")
        assert cached is not None and cached["data"] == {"v": "2"}, "handlers get copies"
    finally:
        await informer.stop()


async def test_indexes_by_label_and_owner(client: KubeClient) -> None:
    owner = await client.create(configmap("owner"))
    uid = owner["metadata"]["uid"]
    for i in range(4):
        obj = configmap(f"child-{i}")
        obj["metadata"]["labels"] = {INSTANCE: "inst-a" if i % 2 else "inst-b"}
        if i < 2:
            obj["metadata"]["ownerReferences"] = [
                {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": uid}
            ]
        await client.create(obj)
    informer = Informer(client, CONFIGMAP, namespace="default", indexers={"instance": label_index(INSTANCE)})
    informer.start()
    try:
        await informer.wait_for_sync(10)
        assert informer.cache.index_keys("instance", "inst-a") == {"default/child-1", "default/child-3"}
        assert informer.cache.index_keys(OWNER_UID_INDEX, uid) == {"default/child-0", "default/child-1"}
        await client.patch(CONFIGMAP, "child-3", {"metadata": {"labels": {INSTANCE: "inst-b"}}})
        await eventually(lambda: informer.cache.index_keys("instance", "inst-a") == {"default/child-1"})
    finally:
        await informer.stop()


async def test_metadata_only_informer_caches_partial_objects(client: KubeClient) -> None:
    await client.create(configmap("big", payload="x" * 1000))
    informer = Informer(client, CONFIGMAP, namespace="default", metadata_only=True)
    informer.start()
    try:
        await informer.wait_for_sync(10)
        await client.create(configmap("later", payload="y"))
        await eventually(lambda: "default/later" in informer.cache)
        for key in ("default/big", "default/later"):
            obj = informer.cache.get(key)
            assert obj is not None and obj["kind"] == "PartialObjectMetadata" and "data" not in obj
            assert obj["metadata"]["uid"]
    finally:
        await informer.stop()


async def test_late_handler_gets_a_replay_of_the_cache(client: KubeClient) -> None:
    for name in ("a", "b"):
        await client.create(configmap(name))
    informer = Informer(client, CONFIGMAP, namespace="default")
    informer.start()
    try:
        await informer.wait_for_sync(10)
        seen: list[Any] = []
        informer.add_handler(lambda e: seen.append((e.type, e.key)))
        assert sorted(seen) == [(ADDED, "default/a"), (ADDED, "default/b")]
    finally:
        await informer.stop()


async def test_bookmarks_keep_the_resume_point_fresh(server: Any, client: KubeClient) -> None:
    server.handler.bookmark_interval = 0.05
    await client.create(configmap("only"))
    informer = Informer(client, CONFIGMAP, namespace="default")
    informer.start()
    try:
        await informer.wait_for_sync(10)
        synced_at = int(informer.resource_version)
        latest = 0
        for i in range(3):  # changes to other kinds move the server's resourceVersion on
            secret = await client.create(
                {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"s{i}"}}
            )
            latest = int(secret["metadata"]["resourceVersion"])
        await eventually(lambda: int(informer.resource_version) >= latest)
        assert latest > synced_at
        assert len(informer.cache) == 1, "bookmarks never reach the cache or handlers"
    finally:
        await informer.stop()


async def test_transform_applies_to_listed_and_watched_objects(client: KubeClient) -> None:
    def drop_annotations(obj: dict[str, Any]) -> dict[str, Any]:
        obj["metadata"].pop("annotations", None)
        return obj

    listed = configmap("listed")
    listed["metadata"]["annotations"] = {"big": "x" * 100}
    await client.create(listed)
    informer = Informer(
        client, CONFIGMAP, namespace="default", metadata_only=True, transform=drop_annotations
    )
    informer.start()
    try:
        await informer.wait_for_sync(10)
        watched = configmap("watched")
        watched["metadata"]["annotations"] = {"big": "y" * 100}
        await client.create(watched)
        await eventually(lambda: "default/watched" in informer.cache)
        for key in ("default/listed", "default/watched"):
            obj = informer.cache.get(key)
            assert obj is not None and "annotations" not in obj["metadata"]
    finally:
        await informer.stop()


def test_drop_managed_fields() -> None:
    from pykro.toolkit import drop_managed_fields

    obj = {"metadata": {"name": "a", "managedFields": [{"manager": "kubectl"}]}}
    assert drop_managed_fields(obj) == {"metadata": {"name": "a"}}


async def test_a_watch_the_server_ends_is_resumed_without_relisting(client: KubeClient) -> None:
    registry = CollectorRegistry()
    informer = Informer(
        client, CONFIGMAP, namespace="default", watch_timeout=1, metrics=RuntimeMetrics(registry)
    )
    informer.start()
    try:
        await informer.wait_for_sync(10)
        labels = {"gvr": str(CONFIGMAP), "reason": "closed"}
        await eventually(
            lambda: (registry.get_sample_value("informer_watch_restarts_total", labels) or 0) >= 1
        )
        await client.create(configmap("after-resume"))
        await eventually(lambda: "default/after-resume" in informer.cache)
        assert registry.get_sample_value("informer_relists_total", {"gvr": str(CONFIGMAP)}) == 1
    finally:
        await informer.stop()
