"""Create → ACTIVE → update → delete against the embedded API server (spec §5.1–§5.9)."""

from __future__ import annotations

from typing import Any

from pykro.api.conventions import (
    APPLY_ORDER_ANNOTATION,
    APPLYSET_GROUP_KINDS_ANNOTATION,
    APPLYSET_ID_LABEL,
    APPLYSET_PART_OF_LABEL,
    FINALIZER,
    INSTANCE_ID_LABEL,
    NODE_ID_LABEL,
    applyset_id,
)
from pykro.kube import PatchType
from tests.controller.instance.conftest import CONFIGMAP, DEPLOYMENT, SECRET, Env, condition
from tests.kube.live import eventually
from tests.runtime.graphs import GATED, WEBAPP

SPEC: dict[str, Any] = {"token": "t1", "replicas": 2, "withConfig": True, "divisor": 1}


async def test_create_reaches_active_with_labelled_children(env: Env) -> None:
    graph = await env.serve(WEBAPP, rgd_uid="rgd-1")
    created = await env.create(graph, "web", SPEC)
    inst = await env.wait_ready(graph, "web")

    set_id = applyset_id("web", "default", "WebApp", "kro.run")
    meta = inst["metadata"]
    assert FINALIZER in meta["finalizers"]
    assert meta["labels"]["kro.run/resource-graph-definition-id"] == "rgd-1"
    assert meta["labels"]["kro.run/resource-graph-definition-name"] == "webapp"
    assert meta["labels"][APPLYSET_ID_LABEL] == set_id
    assert meta["annotations"][APPLYSET_GROUP_KINDS_ANNOTATION] == "ConfigMap,Deployment.apps,Secret"
    for gvk, name, node in (
        (SECRET, "web-secret", "secret"),
        (CONFIGMAP, "web-config", "config"),
        (DEPLOYMENT, "web", "deployment"),
    ):
        child = await env.get(gvk, name)
        assert child is not None, name
        labels = child["metadata"]["labels"]
        assert labels[NODE_ID_LABEL] == node
        assert labels[INSTANCE_ID_LABEL] == created["metadata"]["uid"]
        assert labels[APPLYSET_PART_OF_LABEL] == set_id
        assert child["metadata"]["annotations"][APPLY_ORDER_ANNOTATION] == str(graph.node(node).apply_order)
        assert not child["metadata"].get("ownerReferences")

    secret = await env.get(SECRET, "web-secret")
    assert secret is not None
    status = inst["status"]
    assert status["secretVersion"] == secret["metadata"]["resourceVersion"]
    assert status["configName"] == "web-config"
    assert [c["type"] for c in status["conditions"]][-1] == "Ready"
    for kind in ("InstanceManaged", "GraphResolved", "ResourcesReady"):
        assert condition(inst, kind)["status"] == "True"
        assert condition(inst, kind)["observedGeneration"] == inst["metadata"]["generation"]


async def test_spec_update_propagates_to_children(env: Env) -> None:
    graph = await env.serve(WEBAPP)
    await env.create(graph, "web", SPEC)
    await env.wait_ready(graph, "web")
    await env.client.patch(graph.instance_gvk, "web", {"spec": {"replicas": 5}}, namespace="default")

    async def updated() -> bool:
        dep, cm = await env.get(DEPLOYMENT, "web"), await env.get(CONFIGMAP, "web-config")
        return bool(dep and cm and dep["spec"]["replicas"] == 5 and cm["data"]["replicas"] == "5")

    await eventually(updated, timeout=10)
    inst = await env.wait_ready(graph, "web")
    assert inst["metadata"]["generation"] == 2


async def test_include_when_false_prunes_the_child(env: Env) -> None:
    graph = await env.serve(WEBAPP)
    await env.create(graph, "web", SPEC)
    await env.wait_ready(graph, "web")
    assert await env.get(CONFIGMAP, "web-config") is not None
    await env.client.patch(graph.instance_gvk, "web", {"spec": {"withConfig": False}}, namespace="default")

    async def pruned() -> bool:
        return await env.get(CONFIGMAP, "web-config") is None

    await eventually(pruned, timeout=10)
    # The inventory shrinks, and the projection of the skipped resource disappears from status.
    await env.wait_status(
        graph,
        "web",
        lambda o: (
            o["metadata"]["annotations"][APPLYSET_GROUP_KINDS_ANNOTATION] == "Deployment.apps,Secret"
            and "configName" not in o["status"]
            and "secretVersion" in o["status"]
        ),
    )
    assert await env.get(SECRET, "web-secret") is not None
    await env.wait_ready(graph, "web")


async def test_ready_when_gates_dependents(env: Env) -> None:
    graph = await env.serve(GATED)
    await env.create(graph, "g", {"ready": "no", "enabled": True})
    inst = await env.wait_status(
        graph, "g", lambda o: "readyWhen" in condition(o, "ResourcesReady").get("message", "")
    )
    assert inst["status"]["state"] == "IN_PROGRESS"
    assert await env.get(CONFIGMAP, "g-first") is not None
    assert await env.get(CONFIGMAP, "g-second") is None
    assert await env.get(CONFIGMAP, "g-optional-child") is not None  # independent branch proceeds

    await env.client.patch(graph.instance_gvk, "g", {"spec": {"ready": "yes"}}, namespace="default")
    await env.wait_ready(graph, "g")
    second = await env.get(CONFIGMAP, "g-second")
    assert second is not None and second["data"] == {"from": "g-first"}


async def test_cel_runtime_error_reports_resource_and_expression(env: Env) -> None:
    graph = await env.serve(WEBAPP)
    await env.create(graph, "web", {**SPEC, "divisor": 0})
    inst = await env.wait_status(graph, "web", lambda o: (o.get("status") or {}).get("state") == "ERROR")
    message = condition(inst, "ResourcesReady")["message"]
    assert "'config'" in message and "data.ratio" in message and "100 / schema.spec.divisor" in message
    assert condition(inst, "Ready")["status"] == "False"
    assert await env.get(SECRET, "web-secret") is None  # a hard error applies nothing

    await env.client.patch(graph.instance_gvk, "web", {"spec": {"divisor": 4}}, namespace="default")
    await env.wait_ready(graph, "web")
    cm = await env.get(CONFIGMAP, "web-config")
    assert cm is not None and cm["data"]["ratio"] == "25"


async def test_deletion_removes_children_in_reverse_waves_then_the_finalizer(env: Env) -> None:
    graph = await env.serve(WEBAPP)
    await env.create(graph, "web", SPEC)
    await env.wait_ready(graph, "web")
    # A foreign finalizer on the wave-2 Deployment holds wave 1 (the Secret) back.
    await env.client.patch(
        DEPLOYMENT, "web", {"metadata": {"finalizers": ["test/hold"]}}, namespace="default"
    )
    await env.client.delete(graph.instance_gvk, "web", namespace="default")

    async def wave_two_deleting() -> bool:
        dep = await env.get(DEPLOYMENT, "web")
        return (
            bool(dep and dep["metadata"].get("deletionTimestamp"))
            and await env.get(CONFIGMAP, "web-config") is None
        )

    await eventually(wave_two_deleting, timeout=10)
    inst = await env.wait_status(graph, "web", lambda o: (o.get("status") or {}).get("state") == "DELETING")
    assert "wave 2" in condition(inst, "ResourcesReady")["message"]
    secret = await env.get(SECRET, "web-secret")
    assert secret is not None and not secret["metadata"].get("deletionTimestamp")

    await env.client.patch(
        DEPLOYMENT,
        "web",
        [{"op": "remove", "path": "/metadata/finalizers"}],
        namespace="default",
        patch_type=PatchType.JSON,
    )

    async def all_gone() -> bool:
        return (
            await env.get(SECRET, "web-secret") is None and await env.get(graph.instance_gvk, "web") is None
        )

    await eventually(all_gone, timeout=10)
    assert env.controllers.instance_count(graph.instance_gvk) == 0


async def test_suspended_instance_is_left_alone_until_resumed(env: Env) -> None:
    graph = await env.serve(WEBAPP)
    await env.create(graph, "web", SPEC)
    await env.wait_ready(graph, "web")
    await env.client.patch(
        graph.instance_gvk,
        "web",
        {"metadata": {"annotations": {"kro.run/reconcile": "Suspended"}}, "spec": {"replicas": 7}},
        namespace="default",
    )
    inst = await env.wait_status(
        graph, "web", lambda o: condition(o, "ResourcesReady").get("reason") == "ReconciliationSuspended"
    )
    assert condition(inst, "Ready")["status"] == "False"
    dep = await env.get(DEPLOYMENT, "web")
    assert dep is not None and dep["spec"]["replicas"] == 2

    await env.client.patch(
        graph.instance_gvk,
        "web",
        {"metadata": {"annotations": {"kro.run/reconcile": None}}},
        namespace="default",
    )

    async def resumed() -> bool:
        d = await env.get(DEPLOYMENT, "web")
        return bool(d and d["spec"]["replicas"] == 7)

    await eventually(resumed, timeout=10)
    await env.wait_ready(graph, "web")


async def test_deleted_child_is_recreated(env: Env) -> None:
    graph = await env.serve(WEBAPP)
    await env.create(graph, "web", SPEC)
    await env.wait_ready(graph, "web")
    old = await env.get(CONFIGMAP, "web-config")
    assert old is not None
    await env.client.delete(CONFIGMAP, "web-config", namespace="default")

    async def recreated() -> bool:
        cm = await env.get(CONFIGMAP, "web-config")
        return cm is not None and cm["metadata"]["uid"] != old["metadata"]["uid"]

    await eventually(recreated, timeout=10)


WEBAPP_SMALLER = (
    WEBAPP.replace("metadata: {name: webapp, uid", "metadata: {name: webapp, uid")
    .replace("        labels: {team: blue}\n", "")
    .split("  - id: deployment")[0]
    .replace("      available: ${deployment.status.availableReplicas}\n", "")
)


async def test_swapped_graph_prunes_dropped_resources_and_removes_dropped_fields(env: Env) -> None:
    graph = await env.serve(WEBAPP)
    await env.create(graph, "web", SPEC)
    await env.wait_ready(graph, "web")
    cm = await env.get(CONFIGMAP, "web-config")
    assert cm is not None and cm["metadata"]["labels"]["team"] == "blue"

    from tests.runtime.graphs import compile_rgd

    smaller = compile_rgd(WEBAPP_SMALLER)
    assert smaller.instance_gvk == graph.instance_gvk and "deployment" not in smaller.nodes
    await env.controllers.register(smaller, "rgd-uid")

    async def converged() -> bool:
        c = await env.get(CONFIGMAP, "web-config")
        return (
            await env.get(DEPLOYMENT, "web") is None
            and c is not None
            and "team" not in c["metadata"]["labels"]
        )

    await eventually(converged, timeout=10)
    await env.wait_ready(graph, "web")


async def test_unregistered_kind_is_no_longer_reconciled(env: Env) -> None:
    graph = await env.serve(WEBAPP)
    await env.create(graph, "web", SPEC)
    await env.wait_ready(graph, "web")
    assert env.controllers.instance_count(graph.instance_gvk) == 1
    await env.controllers.unregister(graph.instance_gvk)
    assert env.controllers.instance_count(graph.instance_gvk) == 0
    await env.client.patch(graph.instance_gvk, "web", {"spec": {"replicas": 4}}, namespace="default")
    await env.idle()
    dep = await env.get(DEPLOYMENT, "web")
    assert dep is not None and dep["spec"]["replicas"] == 2


async def test_unresolved_graph_is_reported_until_a_graph_is_registered(env: Env) -> None:
    graph = await env.serve(WEBAPP)
    await env.controllers.mark_unresolved(graph.instance_gvk, "rgd-uid", "graph revision 2 failed: boom")
    await env.create(graph, "web", SPEC)
    inst = await env.wait_status(graph, "web", lambda o: (o.get("status") or {}).get("state") == "ERROR")
    resolved = condition(inst, "GraphResolved")
    assert (resolved["status"], resolved["reason"]) == ("False", "ResolutionFailed")
    assert resolved["message"] == "graph revision 2 failed: boom"
    assert await env.get(SECRET, "web-secret") is None

    await env.controllers.register(graph, "rgd-uid")
    await env.wait_ready(graph, "web")
    assert (
        env.controllers.state_transitions.get(("ERROR", "ACTIVE"), 0)
        + env.controllers.state_transitions.get(("IN_PROGRESS", "ACTIVE"), 0)
        >= 1
    )
    samples = [
        s
        for m in env.runtime_metrics.registry.collect()
        for s in m.samples
        if s.name == "instance_state_transitions_total" and s.labels["to_state"] == "ACTIVE"
    ]
    assert samples and samples[0].value >= 1


EXTERNAL = """
apiVersion: kro.run/v1alpha1
kind: ResourceGraphDefinition
metadata: {name: ext}
spec:
  schema:
    apiVersion: v1alpha1
    kind: UsesExternal
    spec:
      source: string
  resources:
  - id: settings
    externalRef:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.spec.source}"}
  - id: copy
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.metadata.name}-copy"}
      data: {color: "${settings.data.color}"}
"""


async def test_external_reference_is_read_never_written_and_changes_propagate(env: Env) -> None:
    graph = await env.serve(EXTERNAL)
    await env.create(graph, "e", {"source": "settings"})
    inst = await env.wait_status(
        graph, "e", lambda o: "external reference" in condition(o, "ResourcesReady").get("message", "")
    )
    assert inst["status"]["state"] == "IN_PROGRESS"
    await env.client.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings", "namespace": "default"},
            "data": {"color": "red"},
        }
    )
    await env.wait_ready(graph, "e")
    copy = await env.get(CONFIGMAP, "e-copy")
    assert copy is not None and copy["data"] == {"color": "red"}
    settings = await env.get(CONFIGMAP, "settings")
    assert settings is not None and APPLYSET_PART_OF_LABEL not in (settings["metadata"].get("labels") or {})

    await env.client.patch(CONFIGMAP, "settings", {"data": {"color": "blue"}}, namespace="default")

    async def followed() -> bool:
        c = await env.get(CONFIGMAP, "e-copy")
        return bool(c and c["data"] == {"color": "blue"})

    await eventually(followed, timeout=10)


async def test_terminating_child_is_waited_for_then_recreated(env: Env) -> None:
    graph = await env.serve(WEBAPP)
    await env.create(graph, "web", SPEC)
    await env.wait_ready(graph, "web")
    await env.client.patch(
        CONFIGMAP, "web-config", {"metadata": {"finalizers": ["test/hold"]}}, namespace="default"
    )
    old = await env.get(CONFIGMAP, "web-config")
    assert old is not None
    await env.client.delete(CONFIGMAP, "web-config", namespace="default")
    inst = await env.wait_status(
        graph, "web", lambda o: condition(o, "ResourcesReady").get("reason") == "ResourceDeleting"
    )
    assert condition(inst, "ResourcesReady")["message"] == (  # upstream's wording
        'resource "default/web-config" for node "config" is currently being deleted; '
        "waiting for deletion to complete before continuing reconciliation"
    )

    await env.client.patch(
        CONFIGMAP,
        "web-config",
        [{"op": "remove", "path": "/metadata/finalizers"}],
        namespace="default",
        patch_type=PatchType.JSON,
    )

    async def recreated() -> bool:
        cm = await env.get(CONFIGMAP, "web-config")
        return cm is not None and cm["metadata"]["uid"] != old["metadata"]["uid"]

    await eventually(recreated, timeout=10)
    await env.wait_ready(graph, "web")


async def test_invalid_inventory_refuses_management(env: Env) -> None:
    graph = await env.serve(WEBAPP)
    await env.client.create(
        {
            "apiVersion": graph.instance_gvk.api_version,
            "kind": "WebApp",
            "metadata": {
                "name": "web",
                "namespace": "default",
                "labels": {APPLYSET_ID_LABEL: "applyset-someone-else-v1"},
            },
            "spec": SPEC,
        }
    )
    inst = await env.wait_status(
        graph, "web", lambda o: condition(o, "InstanceManaged").get("status") == "False"
    )
    managed = condition(inst, "InstanceManaged")
    assert managed["reason"] == "ManagementFailed"
    assert "cannot install finalizer with invalid ApplySet inventory" in managed["message"]
    assert inst["status"]["state"] == "ERROR"
    assert FINALIZER not in (inst["metadata"].get("finalizers") or [])
    assert await env.get(SECRET, "web-secret") is None


async def test_deletion_is_blocked_by_a_tampered_inventory(env: Env) -> None:
    graph = await env.serve(WEBAPP)
    await env.create(graph, "web", SPEC)
    await env.wait_ready(graph, "web")
    await env.client.patch(
        graph.instance_gvk,
        "web",
        {"metadata": {"annotations": {"internal.kro.run/applyset-inventory-hash": "sha256:tampered"}}},
        namespace="default",
    )
    await env.client.delete(graph.instance_gvk, "web", namespace="default")
    inst = await env.wait_status(
        graph, "web", lambda o: "deletion blocked" in condition(o, "ResourcesReady").get("message", "")
    )
    assert inst["status"]["state"] == "DELETING"
    assert await env.get(SECRET, "web-secret") is not None  # nothing deleted on a broken inventory


LABELLED = """
apiVersion: kro.run/v1alpha1
kind: ResourceGraphDefinition
metadata: {name: labelled}
spec:
  schema:
    apiVersion: v1alpha1
    kind: Labelled
    spec:
      tier: string
  resources:
  - id: plain
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.metadata.name}-plain"}
  - id: tagged
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: "${schema.metadata.name}-tagged"
        labels: {tier: "${schema.spec.tier}"}
"""


async def test_rejected_apply_is_reported_and_recovers(env: Env) -> None:
    graph = await env.serve(LABELLED)
    await env.create(graph, "l", {"tier": "not a label value!"})
    inst = await env.wait_status(graph, "l", lambda o: (o.get("status") or {}).get("state") == "ERROR")
    message = condition(inst, "ResourcesReady")["message"]
    assert "'tagged'" in message and "apply failed" in message and "metadata.labels" in message
    assert await env.get(CONFIGMAP, "l-plain") is not None  # the valid sibling was applied

    await env.client.patch(graph.instance_gvk, "l", {"spec": {"tier": "gold"}}, namespace="default")
    await env.wait_ready(graph, "l")
    tagged = await env.get(CONFIGMAP, "l-tagged")
    assert tagged is not None and tagged["metadata"]["labels"]["tier"] == "gold"
