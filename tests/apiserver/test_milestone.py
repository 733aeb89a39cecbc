"""First milestone: CRUD and watch over HTTPS with a bearer token."""

from __future__ import annotations

import asyncio

from tests.apiserver.conftest import Api, cm

CMS = "/api/v1/namespaces/default/configmaps"


async def test_crud_roundtrip(api: Api) -> None:
    status, created = await api.post(CMS, cm("one", {"a": "1"}))
    assert status == 201
    meta = created["metadata"]
    assert meta["uid"] and meta["creationTimestamp"] and int(meta["resourceVersion"]) > 0
    status, got = await api.get(f"{CMS}/one")
    assert status == 200 and got["data"] == {"a": "1"} and got["metadata"]["uid"] == meta["uid"]

    got["data"]["b"] = "2"
    status, updated = await api.put(f"{CMS}/one", got)
    assert status == 200 and updated["data"] == {"a": "1", "b": "2"}
    assert int(updated["metadata"]["resourceVersion"]) > int(meta["resourceVersion"])

    status, listed = await api.get(CMS)
    assert status == 200 and listed["kind"] == "ConfigMapList"
    assert [i["metadata"]["name"] for i in listed["items"]] == ["one"]

    status, _ = await api.delete(f"{CMS}/one")
    assert status == 200
    status, err = await api.get(f"{CMS}/one")
    assert status == 404 and err["kind"] == "Status" and err["reason"] == "NotFound"


async def test_watch_sees_changes_in_order(api: Api) -> None:
    _, listed = await api.get(CMS)
    rv = listed["metadata"]["resourceVersion"]
    watch = asyncio.create_task(api.watch(f"{CMS}?watch=true&resourceVersion={rv}", until=3))
    _, created = await api.post(CMS, cm("w", {"a": "1"}))
    created["data"]["a"] = "2"
    await api.put(f"{CMS}/w", created)
    await api.delete(f"{CMS}/w")
    events = await watch
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert events[1]["object"]["data"] == {"a": "2"}
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs) and rvs[0] > int(rv)


async def test_missing_or_wrong_token_is_401(api: Api) -> None:
    status, body = await api.get(CMS, token="wrong")
    assert status == 401 and body["reason"] == "Unauthorized" and body["code"] == 401
    status, _ = await api.post(CMS, cm("x"), token="")
    assert status == 401
    _, listed = await api.get(CMS)
    assert listed["items"] == []


async def test_initial_namespaces_exist(api: Api) -> None:
    _, listed = await api.get("/api/v1/namespaces")
    names = {i["metadata"]["name"] for i in listed["items"]}
    assert {"default", "kube-system", "kube-public"} <= names
