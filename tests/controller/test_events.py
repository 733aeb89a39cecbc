"""Events and log lines from the controller, read back as a user reads them: `kubectl get events`
and `kubectl describe` against the embedded server."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp
import pytest

from pykro.controller.features import FeatureGates
from pykro.controller.manager import ManagerOptions
from pykro.schema.gvk import GVK
from tests.controller.rgd.helpers import CM, Env, cluster, kubectl, simple_rgd, wait_for

APP = GVK("kro.run", "v1alpha1", "AppConfig")


async def events(env: Env, kind: str, name: str) -> list[dict[str, Any]]:
    """Events about one object, through kubectl's field selector (as `kubectl describe` asks)."""
    selector = f"involvedObject.kind={kind},involvedObject.name={name}"
    out = await kubectl(env, "get", "events", "-A", "--field-selector", selector, "-o", "json")
    return list(json.loads(out)["items"])


async def wait_event(env: Env, kind: str, name: str, reason: str, **match: Any) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        for ev in await events(env, kind, name):
            if ev["reason"] == reason and all(ev.get(k) == v for k, v in match.items()):
                return ev
        return None

    return await wait_for(probe, timeout=20, what=f"Event {reason} on {kind} {name}")


async def active_app(env: Env, name: str = "demo", value: str = "v") -> dict[str, Any]:
    await env.client.create(simple_rgd())
    await env.wait_active("app-config")
    await env.client.create(
        {
            "apiVersion": "kro.run/v1alpha1",
            "kind": "AppConfig",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"value": value},
        }
    )

    async def state() -> Any:
        obj = await env.client.get(APP, name, namespace="default")
        return obj if (obj.get("status") or {}).get("state") else None

    return await wait_for(state, timeout=20, what="instance status")


async def test_an_rgd_and_its_instance_tell_their_story_in_events_and_kubectl_describe() -> None:
    async with cluster() as env:
        await active_app(env)
        crd = await wait_event(env, "ResourceGraphDefinition", "app-config", "CRDCreated", type="Normal")
        assert crd["message"] == "CustomResourceDefinition appconfigs.kro.run created"
        assert crd["source"]["component"] == "kro/resourcegraphdefinition-controller"
        active = await wait_event(env, "ResourceGraphDefinition", "app-config", "ResourceGraphActive")
        assert active["message"] == "state Inactive -> Active"  # Inactive while it compiled

        ev = await wait_event(env, "AppConfig", "demo", "InstanceActive", type="Normal")
        assert ev["message"] == "state none -> ACTIVE"
        assert ev["source"]["component"] == "kro/appconfigs.kro.run-controller"  # upstream's component
        assert ev["involvedObject"]["apiVersion"] == "kro.run/v1alpha1"
        described = await kubectl(env, "describe", "appconfig", "demo", "-n", "default")
        events_part = described.split("Events:", 1)[1]
        assert "InstanceActive" in events_part and "state none -> ACTIVE" in events_part, described


async def test_a_child_the_server_refuses_gives_a_warning_naming_the_resource() -> None:
    async with cluster() as env:
        # The child's name comes from the spec; an invalid name makes the server refuse the apply.
        bad = simple_rgd()
        bad["spec"]["resources"][0]["template"]["metadata"]["name"] = "${schema.spec.value}"
        await env.client.create(bad)
        await env.wait_active("app-config")
        await env.client.create(
            {
                "apiVersion": "kro.run/v1alpha1",
                "kind": "AppConfig",
                "metadata": {"name": "broken", "namespace": "default"},
                "spec": {"value": "Not_A_Name"},
            }
        )
        ev = await wait_event(env, "AppConfig", "broken", "InstanceError", type="Warning")
        assert ev["message"].startswith("state none -> ERROR: ")
        assert "cm" in ev["message"] and "Not_A_Name" in ev["message"], ev["message"]


async def test_a_deletion_held_by_a_finalizer_is_reported_once_and_counted_as_it_repeats() -> None:
    async with cluster() as env:
        await active_app(env)
        await env.client.patch(
            CM, "demo-cm", {"metadata": {"finalizers": ["example.com/hold"]}}, namespace="default"
        )
        await env.client.delete(APP, "demo", namespace="default")
        ev = await wait_event(env, "AppConfig", "demo", "DeletionBlocked", type="Warning")
        assert ev["message"] == "waiting for ConfigMap default/demo-cm to be deleted"

        async def counted() -> dict[str, Any] | None:
            found = await wait_event(env, "AppConfig", "demo", "DeletionBlocked")
            return found if found.get("count", 1) >= 2 else None

        repeated = await wait_for(counted, timeout=20, what="the blocked deletion counted up")
        assert repeated["metadata"]["name"] == ev["metadata"]["name"]  # one Event, counted up
        deleting = await wait_event(env, "AppConfig", "demo", "InstanceDeleting")
        assert deleting["message"].startswith("state ACTIVE -> DELETING")
        await env.client.patch(CM, "demo-cm", {"metadata": {"finalizers": None}}, namespace="default")
        await env.wait_gone(APP, "demo", "default", timeout=20)


async def test_a_breaking_schema_change_is_refused_with_a_warning() -> None:
    async with cluster() as env:
        await active_app(env)
        rgd = await env.rgd("app-config")
        rgd["spec"]["schema"]["spec"] = {"value": 'string | default="x" pattern="^[a-z]+$"'}  # may refuse old
        await env.client.replace(rgd)
        ev = await wait_event(
            env, "ResourceGraphDefinition", "app-config", "BreakingChangeRefused", type="Warning"
        )
        assert "breaking changes detected" in ev["message"]


async def test_upstreams_condition_events_gate_records_every_condition_transition() -> None:
    options = ManagerOptions(requeue_interval=0.5, feature_gates=FeatureGates(InstanceConditionEvents=True))
    async with cluster(options) as env:
        await active_app(env)
        ready = await wait_event(env, "AppConfig", "demo", "Ready", type="Normal")
        assert ready["message"] == "none -> True: Ready"
        managed = await wait_event(env, "AppConfig", "demo", "InstanceManaged")
        assert managed["message"] == "none -> True: Managed"


async def test_events_off_records_none_and_logs_still_tell_the_transition(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="pykro")
    async with cluster(ManagerOptions(requeue_interval=0.5, events=False)) as env:
        await active_app(env)
        await wait_for(
            lambda: asyncio.sleep(0, any("-> ACTIVE" in r.getMessage() for r in caplog.records)),
            what="a log line for the transition",
        )
        await asyncio.sleep(1.0)  # anything queued would have been written by now
        assert await events(env, "AppConfig", "demo") == []
        assert await events(env, "ResourceGraphDefinition", "app-config") == []
    lines = [r.getMessage() for r in caplog.records if r.name == "pykro.instance"]
    assert lines == ["AppConfig default/demo: new -> ACTIVE"]
    rgd_lines = [r.getMessage() for r in caplog.records if r.name == "pykro.rgd"]
    assert rgd_lines == [
        "ResourceGraphDefinition app-config: CRD appconfigs.kro.run created",
        "ResourceGraphDefinition app-config: Inactive -> Active",
    ]


async def test_upstreams_condition_metrics_gate_exports_seconds_in_each_status() -> None:
    gates = FeatureGates(InstanceConditionMetrics=True)
    options = ManagerOptions(requeue_interval=0.5, feature_gates=gates, metrics_bind_address="127.0.0.1:0")
    async with cluster(options) as env:
        await active_app(env)
        assert env.manager is not None and env.manager.metrics_endpoint is not None
        url = f"{env.manager.metrics_endpoint.url}/metrics"

        async def scraped() -> str | None:
            async with aiohttp.ClientSession() as session, session.get(url) as response:
                text = await response.text()
            return text if 'condition_type="Ready"' in text else None

        text = await wait_for(scraped, what="the condition gauge")
        ready = [
            line
            for line in text.splitlines()
            if 'condition_type="Ready"' in line and not line.startswith("#")
        ]
        assert len(ready) == 1, ready
        labels, value = ready[0].rsplit(" ", 1)
        assert labels.startswith("instance_condition_current_status_seconds{")
        assert 'gvr="kro.run/v1alpha1, Resource=appconfigs"' in labels
        assert 'name="demo"' in labels and 'condition_status="True"' in labels and 'reason="Ready"' in labels
        assert 0.0 <= float(value) < 600


async def test_kubectl_get_events_prints_kubes_event_columns() -> None:
    async with cluster() as env:
        await active_app(env)
        await wait_event(env, "AppConfig", "demo", "InstanceActive")
        out = await kubectl(
            env, "get", "events", "-n", "default", "--field-selector", "involvedObject.kind=AppConfig"
        )
        assert out.splitlines()[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
        assert "appconfig/demo" in out and "InstanceActive" in out
        wide = await kubectl(env, "get", "events", "-n", "default", "-o", "wide")
        header = wide.splitlines()[0]
        for column in ("SUBOBJECT", "SOURCE", "FIRST SEEN", "COUNT", "NAME"):
            assert column in header
        assert "kro/appconfigs.kro.run-controller" in wide
