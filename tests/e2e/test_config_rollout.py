"""The seed scenario (examples/config-rollout) end to end on the embedded server with the controller.

Propagation (spec or hand edit → Secret → Deployment pod template) needs only the API server. The
rollout itself (a new ReplicaSet) and the instance reaching ACTIVE also need the server's simulated
workload controllers.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import yaml

from pykro.controller.manager import ManagerOptions
from pykro.schema.gvk import GVK
from pykro.toolkit import ObjectRef
from tests.controller.rgd.helpers import EXAMPLES, Env, cluster, wait_for

ROLLOUT = GVK("kro.run", "v1alpha1", "ConfigRollout")
SECRET = GVK("", "v1", "Secret")
DEPLOYMENT = GVK("apps", "v1", "Deployment")
REPLICA_SET = GVK("apps", "v1", "ReplicaSet")
NS = "default"


def example(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((EXAMPLES / "config-rollout" / name).read_text())
    return doc


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with cluster(ManagerOptions(requeue_interval=0.3)) as e:
        rgd = example("rgd.yaml")
        await e.client.create(rgd)
        await e.wait_active(rgd["metadata"]["name"])
        yield e


async def state(env: Env, name: str = "demo") -> str:
    return str(((await env.client.get(ROLLOUT, name, namespace=NS)).get("status") or {}).get("state", ""))


async def replica_sets(env: Env) -> set[str]:
    page = await env.client.list(REPLICA_SET, namespace=NS)
    return {str(rs["metadata"]["name"]) for rs in page.items}


async def create_instance(env: Env, *, need_workloads: bool) -> None:
    """Create the example instance; with `need_workloads`, also wait for it to be ACTIVE (which needs
    the server to run Deployments: ReplicaSets and `availableReplicas`)."""
    created = await env.client.create(example("instance.yaml"))
    assert "logLevel" in created["spec"], "the server applies the CRD's schema defaults on create"
    await wait_for(lambda: env.client.get(DEPLOYMENT, "demo", namespace=NS), what="the Deployment")
    if not need_workloads:
        return
    await wait_for(lambda: replica_sets(env), what="a ReplicaSet")
    await wait_for(lambda: is_active(env), timeout=20, what="the instance to be ACTIVE")


def instance_reconciles(env: Env) -> float:
    """Instance reconciles finished so far (every kind and result), from the manager's metrics."""
    assert env.manager is not None
    return sum(
        sample.value
        for family in env.manager.registry.collect()
        if family.name == "instance_reconcile"
        for sample in family.samples
        if sample.name == "instance_reconcile_total"
    )


async def is_active(env: Env) -> bool:
    return await state(env) == "ACTIVE"


async def current_secret(env: Env) -> dict[str, Any]:
    return await env.client.get(SECRET, "demo-credentials", namespace=NS)


async def template_carries(env: Env, old_version: str) -> dict[str, Any]:
    """Wait for a new Secret version and for the Deployment's pod template to carry it; the new Secret."""

    async def new_secret() -> dict[str, Any] | None:
        s = await current_secret(env)
        return s if s["metadata"]["resourceVersion"] != old_version else None

    secret = await wait_for(new_secret, what="the Secret to change")
    version = secret["metadata"]["resourceVersion"]

    async def template_follows() -> bool:
        d = await env.client.get(DEPLOYMENT, "demo", namespace=NS)
        return bool(
            d["spec"]["template"]["metadata"]["annotations"].get("example.com/secret-version") == version
        )

    await wait_for(template_follows, what=f"the Deployment template to carry secret-version {version}")
    return secret


async def new_replica_set(env: Env, before: set[str]) -> None:
    async def fresh() -> set[str]:
        return (await replica_sets(env)) - before

    await wait_for(fresh, what="a new ReplicaSet")


async def rotate_in_spec(env: Env) -> dict[str, Any]:
    old = await current_secret(env)
    await env.client.patch(ROLLOUT, "demo", {"spec": {"password": "rotated"}}, namespace=NS)
    new = await template_carries(env, old["metadata"]["resourceVersion"])
    assert base64.b64decode(new["data"]["password"]) == b"rotated"
    return new


async def edit_secret_by_hand(env: Env) -> None:
    old = await current_secret(env)
    patch = json.dumps({"metadata": {"labels": {"edited-by": "hand"}}})
    proc = await asyncio.create_subprocess_exec(
        "kubectl",
        "patch",
        "secret",
        "demo-credentials",
        "-n",
        NS,
        "--type=merge",
        "-p",
        patch,
        env={**os.environ, "KUBECONFIG": str(env.kubeconfig)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()
    await template_carries(env, old["metadata"]["resourceVersion"])


async def test_password_change_in_the_spec_reaches_the_pod_template(env: Env) -> None:
    await create_instance(env, need_workloads=False)
    await rotate_in_spec(env)


async def test_editing_the_secret_by_hand_reaches_the_pod_template(env: Env) -> None:
    await create_instance(env, need_workloads=False)
    await edit_secret_by_hand(env)


async def test_password_change_rolls_out_and_returns_to_active(env: Env) -> None:
    await create_instance(env, need_workloads=True)
    before = await replica_sets(env)
    await rotate_in_spec(env)
    await new_replica_set(env, before)
    await wait_for(lambda: is_active(env), timeout=20, what="the instance to return to ACTIVE")
    before = await replica_sets(env)
    await edit_secret_by_hand(env)
    await new_replica_set(env, before)


async def test_no_change_leaves_the_deployment_alone(env: Env) -> None:
    await create_instance(env, need_workloads=False)
    version = (await current_secret(env))["metadata"]["resourceVersion"]

    async def settled() -> bool:
        d = await env.client.get(DEPLOYMENT, "demo", namespace=NS)
        return bool(
            d["spec"]["template"]["metadata"]["annotations"].get("example.com/secret-version") == version
        )

    await wait_for(settled, what="the Deployment to carry the Secret's version")
    first = await env.client.get(DEPLOYMENT, "demo", namespace=NS)
    rs_before = await replica_sets(env)
    assert env.manager is not None
    for _ in range(3):  # reconcile the unchanged instance again, as a resync or a stray event would
        before = instance_reconciles(env)
        env.manager.instances.controller.enqueue(ObjectRef(ROLLOUT, NS, "demo"))

        async def reconciled(before: float = before) -> bool:
            return instance_reconciles(env) > before

        await wait_for(reconciled, what="another reconcile of the instance")
    again = await env.client.get(DEPLOYMENT, "demo", namespace=NS)
    assert again["metadata"]["generation"] == first["metadata"]["generation"]
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert await replica_sets(env) == rs_before
