"""An instance whose child already exists, created by someone else: kro adopts it (upstream's
default), and pykro says so with a Warning Event; `--adoption-policy=refuse` leaves it alone and
reports the conflict instead."""

from __future__ import annotations

from typing import Any

from pykro.controller.manager import ManagerOptions
from pykro.schema.gvk import GVK
from tests.controller.rgd.helpers import Env, cluster, condition, simple_rgd, wait_for

APP = GVK("kro.run", "v1alpha1", "AppConfig")
CM = GVK("", "v1", "ConfigMap")
EVENT = GVK("", "v1", "Event")


async def _setup(env: Env) -> None:
    # A ConfigMap of the user's, named as the instance's child will be.
    await env.client.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "victim-cm", "namespace": "default"},
            "data": {"mine": "keep me"},
        }
    )
    await env.client.create(simple_rgd())
    await env.wait_active("app-config", timeout=30)
    await env.client.create(
        {
            "apiVersion": "kro.run/v1alpha1",
            "kind": "AppConfig",
            "metadata": {"name": "victim", "namespace": "default"},
            "spec": {"value": "v"},
        }
    )


async def _instance(env: Env, state: str) -> dict[str, Any] | None:
    obj = await env.client.get(APP, "victim", namespace="default")
    return obj if (obj.get("status") or {}).get("state") == state else None


async def test_adoption_is_upstreams_default_and_is_announced() -> None:
    async with cluster() as env:
        await _setup(env)
        await wait_for(lambda: _instance(env, "ACTIVE"), timeout=30, what="the instance ACTIVE")
        cm = await env.client.get(CM, "victim-cm", namespace="default")
        assert cm["data"] == {"mine": "keep me", "value": "v"}, "kro merged its template into the object"
        assert cm["metadata"]["labels"]["kro.run/instance-name"] == "victim"

        async def warning() -> list[dict[str, Any]]:
            events = (await env.client.list(EVENT, namespace="default")).items
            return [e for e in events if e.get("reason") == "AdoptedResource"]

        [event] = await wait_for(warning, timeout=10, what="the AdoptedResource Event")
        assert event["type"] == "Warning" and event["involvedObject"]["name"] == "victim"
        assert "adopted ConfigMap default/victim-cm, which no kro instance created" in event["message"]
        assert "deletes it with this instance" in event["message"]


async def test_refuse_leaves_the_object_alone_and_reports_the_conflict() -> None:
    async with cluster(ManagerOptions(requeue_interval=0.5, adoption_policy="refuse")) as env:
        await _setup(env)
        found = await wait_for(lambda: _instance(env, "ERROR"), timeout=30, what="the instance in ERROR")
        message = condition(found, "ResourcesReady")["message"]
        assert (
            "ConfigMap default/victim-cm already exists and no kro instance created it; "
            'the adoption policy "refuse" leaves it alone'
        ) in message, message
        cm = await env.client.get(CM, "victim-cm", namespace="default")
        assert cm["data"] == {"mine": "keep me"} and not (cm["metadata"].get("labels") or {})
