"""The client against the embedded API server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from pykro.kube import (
    AlreadyExists,
    ClientMetrics,
    Conflict,
    Invalid,
    NotFound,
    PatchType,
    UnknownKind,
    load_kubeconfig,
)
from pykro.kube.client import KubeClient
from pykro.kube.openapi import ClusterSchemaSource
from pykro.schema.gvk import GVK

from .live import (
    CONFIGMAP,
    CRD,
    WIDGET,
    configmap,
    eventually,
    install_widget_crd,
)


async def test_crud_round_trip(client: KubeClient) -> None:
    created = await client.create(configmap("app", color="blue"))
    assert created["metadata"]["uid"] and created["metadata"]["resourceVersion"]
    got = await client.get(CONFIGMAP, "app")
    assert got["data"] == {"color": "blue"}
    got["data"]["color"] = "green"
    replaced = await client.replace(got)
    assert replaced["data"]["color"] == "green"
    await client.delete(CONFIGMAP, "app")
    with pytest.raises(NotFound):
        await client.get(CONFIGMAP, "app")


async def test_typed_errors(client: KubeClient) -> None:
    first = await client.create(configmap("dup"))
    with pytest.raises(AlreadyExists):
        await client.create(configmap("dup"))
    await client.patch(CONFIGMAP, "dup", {"data": {"x": "1"}})
    stale = dict(first, data={"x": "2"})
    with pytest.raises(Conflict) as info:
        await client.replace(stale)
    assert info.value.code == 409 and info.value.status["kind"] == "Status"
    with pytest.raises(Invalid) as invalid:
        await client.create(configmap("Not_A_Valid_Name"))
    assert invalid.value.causes, "422 carries field causes"
    with pytest.raises(UnknownKind):
        await client.get(WIDGET, "nope")


async def test_paged_list_and_all_namespaces(client: KubeClient) -> None:
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    for name, ns in [*((f"cm-{i}", "default") for i in range(7)), ("elsewhere", "other")]:
        obj = configmap(name, ns)
        obj["metadata"]["labels"] = {"page": "yes"}
        await client.create(obj)
    page = await client.list(CONFIGMAP, namespace="default", label_selector="page=yes", limit=3)
    assert len(page.items) == 3 and page.continue_token
    everything = await client.list_all(CONFIGMAP, label_selector="page=yes", page_size=3)
    names = sorted(o["metadata"]["name"] for o in everything.items)
    assert names == sorted([f"cm-{i}" for i in range(7)] + ["elsewhere"])
    assert all(o["kind"] == "ConfigMap" for o in everything.items)
    assert everything.resource_version


async def test_count_with_and_without_remaining_item_count(client: KubeClient) -> None:
    for i in range(5):
        obj = configmap(f"n-{i}")
        obj["metadata"]["labels"] = {"odd": str(i % 2 == 1).lower()}
        await client.create(obj)
    plain = await client.list(CONFIGMAP, namespace="default", limit=1)
    selected = await client.list(CONFIGMAP, namespace="default", label_selector="odd=false", limit=1)
    assert (
        plain.remaining_item_count == len((await client.list_all(CONFIGMAP, namespace="default")).items) - 1
    )
    assert selected.continue_token and selected.remaining_item_count is None  # counted by paging instead
    assert await client.count(CONFIGMAP, namespace="default") == plain.remaining_item_count + 1
    assert await client.count(CONFIGMAP, namespace="default", label_selector="odd=false") == 3
    assert await client.count(CONFIGMAP, namespace="default", label_selector="odd=true") == 2
    assert await client.count(CONFIGMAP, namespace="default", label_selector="odd=maybe") == 0


async def test_merge_and_json_patch(client: KubeClient) -> None:
    await client.create(configmap("p", a="1", b="2"))
    merged = await client.patch(CONFIGMAP, "p", {"data": {"a": None, "c": "3"}})
    assert merged["data"] == {"b": "2", "c": "3"}
    patched = await client.patch(
        CONFIGMAP,
        "p",
        [{"op": "replace", "path": "/data/b", "value": "20"}, {"op": "remove", "path": "/data/c"}],
        patch_type=PatchType.JSON,
    )
    assert patched["data"] == {"b": "20"}


async def test_server_side_apply(client: KubeClient) -> None:
    sent: list[tuple[str, str, dict[str, Any]]] = []
    send = client.transport.request

    async def record(method: str, path: str, **kwargs: Any) -> Any:
        sent.append((method, path, kwargs))
        return await send(method, path, **kwargs)

    client.transport.request = record  # type: ignore[method-assign]
    obj = configmap("applied", owner="kro")
    first = await client.apply(obj, field_manager="kro", force=True)
    method, path, request = sent[-1]
    assert method == "PATCH"
    assert path == "/api/v1/namespaces/default/configmaps/applied"
    assert request["content_type"] == "application/apply-patch+yaml"
    assert {k: v for k, v in request["params"].items() if v is not None} == {
        "fieldManager": "kro",
        "force": "true",
    }
    assert request["body"] == obj
    assert first["data"] == {"owner": "kro"}
    with pytest.raises(Conflict):
        await client.apply(configmap("applied", owner="someone-else"), field_manager="other")
    forced = await client.apply(configmap("applied", owner="someone-else"), field_manager="other", force=True)
    assert forced["data"]["owner"] == "someone-else"


async def test_status_subresource_writes_only_status(client: KubeClient) -> None:
    await install_widget_crd(client)
    await client.create(
        {
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w", "namespace": "default"},
            "spec": {"size": 1},
        }
    )
    current = await client.get(WIDGET, "w")
    current["status"] = {"ready": True}
    current["spec"]["size"] = 99  # ignored by a status write
    updated = await client.replace_status(current)
    assert updated["status"] == {"ready": True}
    assert (await client.get(WIDGET, "w"))["spec"]["size"] == 1


async def test_finalizer_helpers_survive_conflicts(client: KubeClient) -> None:
    await client.create(configmap("fin"))
    # A competing writer bumps the resourceVersion while the helper runs; it must retry, not fail.
    stop = asyncio.Event()

    async def competitor() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            await client.patch(CONFIGMAP, "fin", {"data": {"tick": str(i)}})
            await asyncio.sleep(0.005)

    task = asyncio.create_task(competitor())
    try:
        for name in ("kro.run/a", "kro.run/b", "kro.run/a"):
            await client.add_finalizer(CONFIGMAP, "fin", name)
    finally:
        stop.set()
        await task
    assert (await client.get(CONFIGMAP, "fin"))["metadata"]["finalizers"] == ["kro.run/a", "kro.run/b"]
    await client.delete(CONFIGMAP, "fin")
    assert (await client.get(CONFIGMAP, "fin"))["metadata"].get("deletionTimestamp")
    await client.remove_finalizer(CONFIGMAP, "fin", "kro.run/a")
    await client.remove_finalizer(CONFIGMAP, "fin", "kro.run/b")
    with pytest.raises(NotFound):
        await client.get(CONFIGMAP, "fin")


async def test_metadata_only_reads(client: KubeClient) -> None:
    await client.create(configmap("meta", secret="value"))
    page = await client.list(CONFIGMAP, namespace="default", metadata_only=True)
    item = next(i for i in page.items if i["metadata"]["name"] == "meta")
    assert item["kind"] == "PartialObjectMetadata" and "data" not in item
    one = await client.get(CONFIGMAP, "meta", metadata_only=True)
    assert one["kind"] == "PartialObjectMetadata" and "data" not in one


async def test_watch_streams_changes(client: KubeClient) -> None:
    start = await client.list(CONFIGMAP, namespace="default")
    seen: list[tuple[str, str]] = []

    async def consume() -> None:
        async for event in client.watch(
            CONFIGMAP, namespace="default", resource_version=start.resource_version
        ):
            if event.type != "BOOKMARK":
                seen.append((event.type, event.object["metadata"]["name"]))
            if len(seen) == 3:
                return

    task = asyncio.create_task(consume())
    await client.create(configmap("w1"))
    await client.patch(CONFIGMAP, "w1", {"data": {"k": "v"}})
    await client.delete(CONFIGMAP, "w1")
    await asyncio.wait_for(task, 10)
    assert seen == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]


async def test_discovery_picks_up_a_new_crd(client: KubeClient) -> None:
    await client.mapper.refresh()
    with pytest.raises(UnknownKind):
        await client.resource(WIDGET)
    await install_widget_crd(client)
    res = await client.resource(WIDGET)
    assert res.plural == "widgets" and res.namespaced and "status" in res.subresources
    assert not client.mapper.errors


async def test_openapi_source_caches_by_hash(client: KubeClient) -> None:
    await install_widget_crd(client)
    source = ClusterSchemaSource(client)
    deployment = GVK("apps", "v1", "Deployment")
    await source.load([CONFIGMAP, deployment, WIDGET])
    cm = source.lookup(CONFIGMAP)
    assert cm is not None and cm.info.plural == "configmaps"
    assert "data" in cm.schema["properties"]
    widget = source.lookup(WIDGET)
    assert widget is not None and "spec" in widget.schema["properties"]
    fetched = source.fetches
    await source.load([CONFIGMAP, deployment, WIDGET])
    assert source.fetches == fetched, "unchanged documents are not fetched again"
    crd = await client.get(CRD, "widgets.example.com")
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["shape"] = {
        "type": "string"
    }
    await client.replace(crd)

    async def reloaded() -> bool:
        await source.load([WIDGET, CONFIGMAP])
        found = source.lookup(WIDGET)
        return found is not None and "shape" in found.schema["properties"]["spec"]["properties"]

    await eventually(reloaded)
    assert source.fetches == fetched + 1, "only the changed group-version was re-fetched"


async def test_request_metrics_are_recorded(server: Any) -> None:
    registry = CollectorRegistry()
    config = load_kubeconfig(server.kubeconfig_path)
    async with KubeClient(config, metrics=ClientMetrics(registry)) as c:
        await c.list(CONFIGMAP, namespace="default")
        with pytest.raises(NotFound):
            await c.get(CONFIGMAP, "missing")
    assert registry.get_sample_value("rest_client_requests_total", {"verb": "GET", "code": "404"}) == 1
    assert (
        registry.get_sample_value("rest_client_request_duration_seconds_count", {"verb": "GET"}) or 0
    ) >= 2


async def test_openapi_source_feeds_the_schema_registry(client: KubeClient) -> None:
    from pykro.schema.registry import SchemaRegistry, UnknownKindError

    await install_widget_crd(client)
    registry = SchemaRegistry()
    with pytest.raises(UnknownKindError):
        registry.resolve(WIDGET)
    source = ClusterSchemaSource(client)
    registry.add_source(source)
    await source.load([WIDGET])
    resolved = registry.resolve(WIDGET)
    assert resolved.info.plural == "widgets" and resolved.info.namespaced
    assert resolved.schema["properties"]["spec"]["properties"]["size"]["type"] == "integer"
    assert "name" in resolved.schema["properties"]["metadata"]["properties"], (
        "metadata is the full ObjectMeta"
    )
