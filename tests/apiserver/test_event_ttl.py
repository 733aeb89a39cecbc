"""Events expire one TTL after their last write, as kube-apiserver's `--event-ttl` makes them."""

from __future__ import annotations

import time
from typing import Any

import pytest

from pykro.apiserver.controllers.eventttl import last_written
from pykro.timestamps import now_rfc3339
from tests.apiserver.conftest import KubectlIn, ThreadedServer


def core_event(name: str) -> dict[str, Any]:
    now = now_rfc3339()
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": "default"},
        "involvedObject": {"kind": "ConfigMap", "name": "x", "namespace": "default"},
        "reason": "Tested",
        "message": "hello",
        "type": "Normal",
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }


def test_last_written_is_the_newest_timestamp_an_event_carries() -> None:
    event = {
        "metadata": {"creationTimestamp": "2026-01-01T00:00:00Z"},
        "lastTimestamp": "2026-01-01T00:30:00Z",
        "series": {"lastObservedTime": "2026-01-01T00:45:00.123456Z"},
    }
    assert last_written(event) == pytest.approx(1767228300.123456)
    assert last_written({"metadata": {}}) is None


def test_events_of_both_apis_expire_after_the_ttl_and_others_stay() -> None:
    with ThreadedServer(workloads=False, event_ttl=2.0) as server:
        k = KubectlIn(server, "default")
        k.apply(core_event("old"))
        k.apply(
            {
                "apiVersion": "events.k8s.io/v1",
                "kind": "Event",
                "metadata": {"name": "new-api", "namespace": "default"},
                "eventTime": "2026-12-05T10:00:00.000000Z",
                "reportingController": "example.com/tester",
                "reportingInstance": "tester-1",
                "action": "Testing",
                "reason": "Tested",
                "regarding": {"kind": "ConfigMap", "name": "x", "namespace": "default"},
                "type": "Normal",
            }
        )
        k.run("create", "configmap", "keeps")
        assert [e["metadata"]["name"] for e in k.get("events")["items"]] == ["old"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            core = k.get("events")["items"]
            new_api = k.get("events.v1.events.k8s.io")["items"]
            if not core and not new_api:
                break
            time.sleep(0.5)
        assert k.get("events")["items"] == [] and k.get("events.v1.events.k8s.io")["items"] == []
        assert k.get("configmap", "keeps")["metadata"]["name"] == "keeps"


def test_a_write_renews_an_events_lease() -> None:
    with ThreadedServer(workloads=False, event_ttl=4.0) as server:
        k = KubectlIn(server, "default")
        k.apply(core_event("renewed"))
        for count in range(2, 6):  # keep counting it up, as a recorder does, for longer than the TTL
            time.sleep(1.0)
            patch = f'{{"count": {count}, "lastTimestamp": "{now_rfc3339()}"}}'
            k.run("patch", "event", "renewed", "-p", patch)
        assert k.get("event", "renewed")["count"] == 5
