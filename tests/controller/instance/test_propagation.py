"""Event-driven propagation, zero-write steady state, the Secret → Deployment roll (§5.10, §5.12),
and ApplySet conflicts between instances (§5.4)."""

from __future__ import annotations

from typing import Any

from tests.controller.instance.conftest import CONFIGMAP, DEPLOYMENT, SECRET, Env, condition
from tests.kube.live import eventually
from tests.runtime.graphs import WEBAPP

SPEC: dict[str, Any] = {"token": "t1", "replicas": 1, "withConfig": True, "divisor": 1}

SHARED = """
apiVersion: kro.run/v1alpha1
kind: ResourceGraphDefinition
metadata: {name: shared}
spec:
  schema:
    apiVersion: v1alpha1
    kind: Shared
    spec:
      value: string
  resources:
  - id: config
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: shared-config}
      data: {value: "${schema.spec.value}"}
"""


async def _rv(env: Env, gvk: Any, name: str) -> str:
    obj = await env.get(gvk, name)
    assert obj is not None
    return str(obj["metadata"]["resourceVersion"])


async def _rolled_to_current_secret(env: Env) -> bool:
    secret, dep = await env.get(SECRET, "web-secret"), await env.get(DEPLOYMENT, "web")
    if secret is None or dep is None:
        return False
    annotations = dep["spec"]["template"]["metadata"].get("annotations") or {}
    return bool(annotations.get("secret-version") == secret["metadata"]["resourceVersion"])


async def test_steady_state_makes_zero_writes(env: Env) -> None:
    graph = await env.serve(WEBAPP)
    await env.create(graph, "web", SPEC)
    await env.wait_ready(graph, "web")
    await env.idle()
    writes = env.writes()
    objects = (
        (SECRET, "web-secret"),
        (CONFIGMAP, "web-config"),
        (DEPLOYMENT, "web"),
        (graph.instance_gvk, "web"),
    )
    versions = {(gvk, name): await _rv(env, gvk, name) for gvk, name in objects}
    reconciles = env.reconciles()
    for _ in range(3):
        env.enqueue(graph, "web")
        await env.idle()
    assert env.reconciles() >= reconciles + 3
    assert env.writes() == writes
    for gvk, name in objects:
        assert await _rv(env, gvk, name) == versions[(gvk, name)], (gvk, name)


async def test_status_only_instance_updates_do_not_trigger_reconciles(env: Env) -> None:
    graph = await env.serve(WEBAPP)
    await env.create(graph, "web", SPEC)
    await env.wait_ready(graph, "web")
    await env.idle()
    reconciles = env.reconciles()
    await env.client.patch(
        graph.instance_gvk, "web", {"metadata": {"labels": {"touched": "yes"}}}, namespace="default"
    )
    await env.idle()
    assert env.reconciles() == reconciles


async def test_secret_change_through_instance_spec_rolls_the_deployment(env: Env) -> None:
    graph = await env.serve(WEBAPP)
    await env.create(graph, "web", SPEC)
    await env.wait_ready(graph, "web")
    assert await _rolled_to_current_secret(env)
    before = await _rv(env, SECRET, "web-secret")

    await env.client.patch(graph.instance_gvk, "web", {"spec": {"token": "t2"}}, namespace="default")

    async def rolled() -> bool:
        return await _rv(env, SECRET, "web-secret") != before and await _rolled_to_current_secret(env)

    await eventually(rolled, timeout=10)
    inst = await env.wait_ready(graph, "web")
    assert inst["status"]["secretVersion"] == await _rv(env, SECRET, "web-secret")


async def test_direct_secret_edit_rolls_the_deployment(env: Env) -> None:
    graph = await env.serve(WEBAPP)
    await env.create(graph, "web", SPEC)
    await env.wait_ready(graph, "web")
    before = await _rv(env, SECRET, "web-secret")

    # A key kro does not own: kept by SSA, but the Secret's resourceVersion moves.
    await env.client.patch(SECRET, "web-secret", {"stringData": {"extra": "x"}}, namespace="default")

    async def rolled() -> bool:
        return await _rv(env, SECRET, "web-secret") != before and await _rolled_to_current_secret(env)

    await eventually(rolled, timeout=10)
    await env.idle()
    assert await _rolled_to_current_secret(env)  # converged: no further roll
    secret = await env.get(SECRET, "web-secret")
    assert secret is not None and "extra" in secret["data"]


async def test_drifted_field_is_corrected(env: Env) -> None:
    graph = await env.serve(WEBAPP)
    await env.create(graph, "web", SPEC)
    await env.wait_ready(graph, "web")
    await env.client.patch(CONFIGMAP, "web-config", {"data": {"replicas": "99"}}, namespace="default")

    async def corrected() -> bool:
        cm = await env.get(CONFIGMAP, "web-config")
        return bool(cm and cm["data"]["replicas"] == "1")

    await eventually(corrected, timeout=10)


async def test_two_instances_targeting_one_object_conflict(env: Env) -> None:
    graph = await env.serve(SHARED)
    await env.create(graph, "one", {"value": "first"})
    await env.wait_ready(graph, "one")
    await env.create(graph, "two", {"value": "second"})
    inst = await env.wait_status(graph, "two", lambda o: (o.get("status") or {}).get("state") == "ERROR")
    message = condition(inst, "ResourcesReady")["message"]
    assert "belongs to a different ApplySet" in message and "default/shared-config" in message
    await env.idle()
    cm = await env.get(CONFIGMAP, "shared-config")
    assert cm is not None and cm["data"] == {"value": "first"}
    one = await env.get(graph.instance_gvk, "one")
    assert one is not None and one["status"]["state"] == "ACTIVE"
