"""Author-defined status conditions (spec §4.7, §5.8) end to end: embedded API server + controller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from pykro.controller.manager import ManagerOptions
from pykro.schema.gvk import GVK
from tests.controller.rgd.helpers import Env, cluster, condition, simple_rgd, wait_for

KIND = GVK("kro.run", "v1alpha1", "AppConfig")
NS = "default"
BUILT_INS = {"Ready", "InstanceManaged", "GraphResolved", "ResourcesReady"}
CONDITIONS = [
    "${runtime.newCondition({type: 'ValueSet', status: cm.data.value == 'yes' ? 'True' : 'False', "
    "reason: 'Value', message: cm.data.value})}",
    "${runtime.newCondition({type: 'KroReady', status: runtime.condition(schema, 'Ready').status, reason: "
    "'Mirror'})}",
    "${runtime.newCondition({type: 'Echo', status: schema.spec.echo})}",
]


def rgd(conditions: list[str] | None) -> dict[str, Any]:
    doc = simple_rgd()
    schema = doc["spec"]["schema"]
    schema["spec"]["echo"] = 'string | default="True"'
    if conditions is not None:
        schema["status"]["conditions"] = conditions
    return doc


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with cluster(ManagerOptions(requeue_interval=0.3)) as e:
        await e.client.create(rgd(CONDITIONS))
        await e.wait_active("app-config")
        yield e


async def instance_where(env: Env, predicate: Any, what: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        obj = await env.client.get(KIND, "demo", namespace=NS)
        return obj if predicate(obj) else None

    return await wait_for(probe, timeout=15, what=what)


def types(obj: dict[str, Any]) -> set[str]:
    return {c["type"] for c in (obj.get("status") or {}).get("conditions") or []}


def state(obj: dict[str, Any]) -> str:
    return str((obj.get("status") or {}).get("state"))


async def test_author_conditions_lifecycle(env: Env) -> None:
    await env.client.create(
        {
            "apiVersion": "kro.run/v1alpha1",
            "kind": "AppConfig",
            "metadata": {"name": "demo", "namespace": NS},
            "spec": {"value": "no"},
        }
    )
    obj = await instance_where(
        env,
        lambda o: state(o) == "ACTIVE" and types(o) == {"ValueSet", "KroReady", "Echo"},
        "author conditions only, ACTIVE",
    )
    value_set = condition(obj, "ValueSet")
    assert (value_set["status"], value_set["reason"], value_set["message"]) == ("False", "Value", "no")
    assert value_set["observedGeneration"] == obj["metadata"]["generation"]
    # runtime.condition(schema, 'Ready') read kro's own Ready, which is not on the wire.
    assert condition(obj, "KroReady")["status"] == "True"
    assert condition(obj, "Echo")["status"] == "True"
    assert obj["status"]["cmName"] == "demo-cm"

    # Same status, new message: lastTransitionTime is kept.
    await env.client.patch(KIND, "demo", {"spec": {"value": "maybe"}}, namespace=NS)
    obj = await instance_where(
        env, lambda o: condition(o, "ValueSet").get("message") == "maybe", "message update"
    )
    assert condition(obj, "ValueSet")["lastTransitionTime"] == value_set["lastTransitionTime"]
    await env.client.patch(KIND, "demo", {"spec": {"value": "yes"}}, namespace=NS)
    await instance_where(env, lambda o: condition(o, "ValueSet").get("status") == "True", "ValueSet True")

    # A hard evaluation error degrades: state ERROR, the previous Echo condition is kept.
    echo = condition(obj, "Echo")
    await env.client.patch(KIND, "demo", {"spec": {"echo": "Bogus"}}, namespace=NS)
    obj = await instance_where(env, lambda o: state(o) == "ERROR", "state ERROR on a degraded condition")
    assert condition(obj, "Echo")["status"] == echo["status"] == "True"
    assert condition(obj, "Echo")["lastTransitionTime"] == echo["lastTransitionTime"]
    assert types(obj) == {"ValueSet", "KroReady", "Echo"}
    await env.client.patch(KIND, "demo", {"spec": {"echo": "False"}}, namespace=NS)
    await instance_where(
        env, lambda o: state(o) == "ACTIVE" and condition(o, "Echo").get("status") == "False", "recovered"
    )

    # Removing the block returns status.conditions to kro's built-ins.
    current = await env.client.get(GVK("kro.run", "v1alpha1", "ResourceGraphDefinition"), "app-config")
    current["spec"]["schema"]["status"].pop("conditions")
    await env.client.replace(current)
    obj = await instance_where(env, lambda o: types(o) == BUILT_INS, "built-in conditions only")
    assert condition(obj, "Ready")["status"] == "True"


async def test_invalid_conditions_block_is_rejected_by_the_rgd_controller(env: Env) -> None:
    bad = rgd(["${runtime.newCondition({'type': 'A', status: 'True'})}"])
    bad["metadata"]["name"] = "bad-conditions"
    bad["spec"]["schema"]["kind"] = "BadConditions"
    await env.client.create(bad)
    obj = await env.wait_rgd(
        "bad-conditions", lambda o: condition(o, "GraphAccepted").get("status") == "False"
    )
    assert "must be a bare identifier" in condition(obj, "GraphAccepted")["message"]
