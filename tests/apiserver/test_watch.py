"""Watch: resume, bookmarks, 410 Gone, timeouts, selector transitions, fan-out to many watchers."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

from pykro.apiserver import EmbeddedAPIServer
from tests.apiserver.conftest import Api, cm

CMS = "/api/v1/namespaces/default/configmaps"


async def test_watch_without_version_starts_with_current_objects(api: Api) -> None:
    await api.post(CMS, cm("pre"))
    events = await api.watch(f"{CMS}?watch=true", until=1)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "pre")]


async def test_watch_without_version_sends_only_the_selected_objects_first(api: Api) -> None:
    """The initial events come through the label index, as a LIST does: the same objects, in order."""
    for name, labels in (
        ("a", {"app": "x"}),
        ("b", {"app": "y"}),
        ("c", {"app": "x", "tier": "web"}),
        ("d", {}),
    ):
        body = cm(name)
        body["metadata"]["labels"] = labels
        await api.post(CMS, body)
    for selector in ("app%3Dx", "app%3Dx%2Ctier%3Dweb", "app%21%3Dx", "%21app"):
        _, listed = await api.get(f"{CMS}?labelSelector={selector}")
        expected = [o["metadata"]["name"] for o in listed["items"]]
        # The server ends the stream after a second: everything it sent is collected, extras included.
        watch = f"{CMS}?watch=true&timeoutSeconds=1&labelSelector={selector}"
        events = await api.watch(watch, until=len(expected) + 1)
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
            ("ADDED", n) for n in expected
        ]
    assert expected == ["d"], "the last selector, !app, matches the unlabelled object only"


async def test_resume_from_resource_version_replays_missed_events(api: Api) -> None:
    _, a = await api.post(CMS, cm("a"))
    await api.post(CMS, cm("b"))
    await api.delete(f"{CMS}/a")
    events = await api.watch(f"{CMS}?watch=true&resourceVersion={a['metadata']['resourceVersion']}", until=2)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "b"),
        ("DELETED", "a"),
    ]


async def test_too_old_resource_version_gets_410_expired_event() -> None:
    async with EmbeddedAPIServer(watch_window=5) as srv, aiohttp.ClientSession() as session:
        api = Api(srv, session)
        _, first = await api.post(CMS, cm("first"))
        for i in range(10):
            await api.post(CMS, cm(f"n{i}"))
        events = await api.watch(
            f"{CMS}?watch=true&resourceVersion={first['metadata']['resourceVersion']}", until=1
        )
        assert events[0]["type"] == "ERROR"
        assert events[0]["object"]["code"] == 410 and events[0]["object"]["reason"] == "Expired"
        _, listed = await api.get(CMS)
        fresh = await api.watch(
            f"{CMS}?watch=true&resourceVersion={listed['metadata']['resourceVersion']}", until=1, timeout=0.5
        )
        assert fresh == []


async def test_bookmarks_and_timeout(api: Api) -> None:
    api.server.handler.bookmark_interval = 0.2
    _, listed = await api.get(CMS)
    rv = listed["metadata"]["resourceVersion"]
    path = f"{CMS}?watch=true&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion={rv}"
    start = time.monotonic()
    events: list[dict[str, Any]] = []
    async with api.session.get(api.server.url + path, headers=api.headers(None), ssl=api.ssl) as resp:
        # Reading to the end proves the server closed the stream itself; a hang would hit the test timeout.
        async for line in resp.content:
            if line.strip():
                events.append(json.loads(line))
    assert time.monotonic() - start >= 0.9, "the stream lasts until timeoutSeconds"
    assert events and all(e["type"] == "BOOKMARK" for e in events)
    assert events[0]["object"]["kind"] == "ConfigMap" and events[0]["object"]["metadata"]["resourceVersion"]


async def test_label_selector_transitions(api: Api) -> None:
    _, listed = await api.get(CMS)
    rv = listed["metadata"]["resourceVersion"]
    watch = asyncio.create_task(
        api.watch(f"{CMS}?watch=true&labelSelector=app%3Dx&resourceVersion={rv}", until=3)
    )
    _, o = await api.post(CMS, cm("sel"))  # not matching: invisible
    _, o = await api.patch(f"{CMS}/sel", {"metadata": {"labels": {"app": "x"}}})  # enters: ADDED
    _, o = await api.patch(f"{CMS}/sel", {"data": {"k": "v"}})  # MODIFIED
    _, o = await api.patch(f"{CMS}/sel", {"metadata": {"labels": {"app": "y"}}})  # leaves: DELETED
    events = await watch
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]


async def test_table_watch_for_kubectl(api: Api) -> None:
    await api.post(CMS, cm("t1", {"a": "b"}))
    events = await api.watch(
        f"{CMS}?watch=true", until=1, headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}
    )
    obj = events[0]["object"]
    assert obj["kind"] == "Table" and obj["rows"][0]["cells"][:2] == ["t1", 1]


async def test_hundred_watchers_each_get_every_event(api: Api) -> None:
    _, listed = await api.get(CMS)
    rv = listed["metadata"]["resourceVersion"]
    n_watchers, n_events = 100, 5
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        many = Api(api.server, session)
        tasks = [
            asyncio.create_task(
                many.watch(f"{CMS}?watch=true&resourceVersion={rv}", until=n_events, timeout=20)
            )
            for _ in range(n_watchers)
        ]
        for _ in range(100):
            if api.server.store.log.watcher_count >= n_watchers:
                break
            await asyncio.sleep(0.05)
        for i in range(n_events):
            await api.post(CMS, cm(f"fan{i}"))
        results = await asyncio.gather(*tasks)
    assert all(
        [e["object"]["metadata"]["name"] for e in r] == [f"fan{i}" for i in range(n_events)] for r in results
    )


async def test_watch_stream_is_newline_delimited_json(api: Api) -> None:
    await api.post(CMS, cm("nd"))
    async with api.session.get(
        api.server.url + CMS + "?watch=true&timeoutSeconds=1", headers=api.headers(), ssl=api.ssl
    ) as resp:
        body = await resp.read()
    lines = [json.loads(x) for x in body.splitlines() if x.strip()]
    assert lines[0]["type"] == "ADDED" and lines[0]["object"]["metadata"]["name"] == "nd"


async def test_partial_metadata_watch(api: Api) -> None:
    await api.post(CMS, cm("pm", {"secret": "not sent"}))
    events = await api.watch(
        f"{CMS}?watch=true",
        until=1,
        headers={"Accept": "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"},
    )
    obj = events[0]["object"]
    assert obj["kind"] == "PartialObjectMetadata" and obj["metadata"]["name"] == "pm" and "data" not in obj
