"""The watch manager: shared, reference-counted informers and event routing."""

from __future__ import annotations

from typing import Any

from pykro.kube import KubeClient
from pykro.schema.gvk import GVK
from pykro.toolkit import (
    ObjectRef,
    SelectorRef,
    WatchManager,
    enqueue_label,
    enqueue_owners,
)
from tests.kube.live import CONFIGMAP, configmap, eventually

SECRET = GVK("", "v1", "Secret")
INSTANCE = "kro.run/instance-id"


async def test_informers_are_shared_and_stopped_with_the_last_subscriber(client: KubeClient) -> None:
    manager = WatchManager(client)
    try:
        first = await manager.subscribe(CONFIGMAP, lambda e: None)
        second = await manager.subscribe(CONFIGMAP, lambda e: None)
        informer = manager.informer(CONFIGMAP)
        assert informer is not None and first.informer is second.informer is informer
        assert manager.subscribers(CONFIGMAP) == 2
        await manager.unsubscribe(first)
        assert informer.running
        await manager.unsubscribe(second)
        assert not informer.running and manager.informer(CONFIGMAP) is None
        third = await manager.subscribe(CONFIGMAP, lambda e: None)
        assert third.informer is not informer and third.informer.running
    finally:
        await manager.close()


async def test_owner_and_label_routing(client: KubeClient) -> None:
    owner = await client.create(configmap("parent"))
    by_owner: list[Any] = []
    by_label: list[Any] = []
    manager = WatchManager(client)
    try:
        await manager.subscribe(CONFIGMAP, enqueue_owners(by_owner.append, CONFIGMAP))
        await manager.subscribe(CONFIGMAP, enqueue_label(by_label.append, INSTANCE))
        child = configmap("child")
        child["metadata"]["labels"] = {INSTANCE: "inst-1"}
        child["metadata"]["ownerReferences"] = [
            {"apiVersion": "v1", "kind": "ConfigMap", "name": "parent", "uid": owner["metadata"]["uid"]}
        ]
        await client.create(child)
        await eventually(lambda: bool(by_owner and by_label))
        assert by_owner == [ObjectRef(CONFIGMAP, "default", "parent")]
        assert by_label == ["inst-1"]
        # relabelled: both the old and the new instance hear about it
        await client.patch(CONFIGMAP, "child", {"metadata": {"labels": {INSTANCE: "inst-2"}}})
        await eventually(lambda: len(by_label) == 3)
        assert sorted(by_label[1:]) == ["inst-1", "inst-2"]
    finally:
        await manager.close()


async def test_reads_index_routes_events_and_manages_informers(client: KubeClient) -> None:
    await client.create(configmap("input"))
    await client.create(configmap("unrelated"))
    enqueued: list[Any] = []
    manager = WatchManager(client)
    try:
        await manager.set_reads("inst-A", [ObjectRef(CONFIGMAP, "default", "input")], enqueued.append)
        await manager.set_reads(
            "inst-B",
            [ObjectRef(CONFIGMAP, "default", "input"), SelectorRef.of(SECRET, {"app": "web"}, "default")],
            enqueued.append,
        )
        informer = manager.informer(CONFIGMAP)
        assert informer is not None
        await informer.wait_for_sync(10)
        secrets = manager.informer(SECRET)
        assert secrets is not None
        await secrets.wait_for_sync(10)
        enqueued.clear()
        await client.patch(CONFIGMAP, "unrelated", {"data": {"x": "1"}})
        await client.patch(CONFIGMAP, "input", {"data": {"x": "1"}})
        await eventually(lambda: len(enqueued) == 2)
        assert sorted(enqueued) == ["inst-A", "inst-B"]
        await client.create(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "s", "namespace": "default", "labels": {"app": "web"}},
            }
        )
        await eventually(lambda: len(enqueued) == 3)
        assert enqueued[-1] == "inst-B"
        assert manager.readers_of(ObjectRef(CONFIGMAP, "default", "input")) == {"inst-A", "inst-B"}
        # inst-B stops reading secrets: the secret informer has no readers left and stops.
        await manager.set_reads("inst-B", [ObjectRef(CONFIGMAP, "default", "input")], enqueued.append)
        assert manager.informer(SECRET) is None and not secrets.running
        await manager.clear_reads("inst-A")
        await manager.clear_reads("inst-B")
        assert manager.informer(CONFIGMAP) is None
    finally:
        await manager.close()


async def test_subscribing_to_a_kind_that_never_syncs_fails_cleanly(client: KubeClient) -> None:
    import pytest

    from pykro.kube import KubeError

    manager = WatchManager(client)
    gadget = GVK("example.com", "v1", "Gadget")
    try:
        with pytest.raises(KubeError, match="did not sync"):
            await manager.subscribe(gadget, lambda e: None, sync_timeout=0.3)
        assert manager.informer(gadget) is None and manager.subscribers(gadget) == 0
    finally:
        await manager.close()


async def test_concurrent_set_reads_share_one_informer(client: KubeClient) -> None:
    import asyncio

    manager = WatchManager(client)
    try:
        await asyncio.gather(
            *(
                manager.set_reads(f"inst-{i}", [ObjectRef(SECRET, "default", f"s{i}")], lambda _: None)
                for i in range(5)
            )
        )
        assert manager.subscribers(SECRET) == 1
        for i in range(5):
            await manager.clear_reads(f"inst-{i}")
        assert manager.informer(SECRET) is None
    finally:
        await manager.close()
