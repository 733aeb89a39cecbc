"""forEach collections and external collections against the embedded server (spec §5.2, §5.10)."""

from __future__ import annotations

from pykro.api.conventions import COLLECTION_INDEX_LABEL, NODE_ID_LABEL
from tests.controller.instance.conftest import CONFIGMAP, Env
from tests.kube.live import eventually
from tests.runtime.graphs import FLEET, TEAMS


async def _names(env: Env, node_id: str) -> list[str]:
    listed = await env.client.list_all(
        CONFIGMAP, namespace="default", label_selector=f"{NODE_ID_LABEL}={node_id}"
    )
    return sorted(o["metadata"]["name"] for o in listed.items)


async def test_collection_items_are_created_grown_and_shrunk(env: Env) -> None:
    graph = await env.serve(FLEET)
    await env.create(graph, "f", {"regions": ["eu", "us"], "tiers": ["a"]})
    inst = await env.wait_ready(graph, "f")
    assert await _names(env, "workers") == ["f-eu-a", "f-us-a"]
    assert inst["status"]["count"] == 2
    first = await env.get(CONFIGMAP, "f-eu-a")
    assert first is not None and first["metadata"]["labels"][COLLECTION_INDEX_LABEL] == "0"
    summary = await env.get(CONFIGMAP, "f-summary")
    assert summary is not None and summary["data"]["names"] == "f-eu-a,f-us-a"

    await env.client.patch(graph.instance_gvk, "f", {"spec": {"tiers": ["a", "b"]}}, namespace="default")
    await env.wait_status(graph, "f", lambda o: o["status"].get("count") == 4)
    assert await _names(env, "workers") == ["f-eu-a", "f-eu-b", "f-us-a", "f-us-b"]

    await env.client.patch(graph.instance_gvk, "f", {"spec": {"regions": ["us"]}}, namespace="default")

    async def shrunk() -> bool:
        return await _names(env, "workers") == ["f-us-a", "f-us-b"]

    await eventually(shrunk, timeout=10)
    await env.wait_status(
        graph, "f", lambda o: o["status"].get("count") == 2 and o["status"]["state"] == "ACTIVE"
    )
    summary = await env.get(CONFIGMAP, "f-summary")
    assert summary is not None and summary["data"]["names"] == "f-us-a,f-us-b"


async def test_deleted_collection_item_is_recreated(env: Env) -> None:
    graph = await env.serve(FLEET)
    await env.create(graph, "f", {"regions": ["eu"], "tiers": ["a", "b"]})
    await env.wait_ready(graph, "f")
    await env.client.delete(CONFIGMAP, "f-eu-b", namespace="default")

    async def back() -> bool:
        return await env.get(CONFIGMAP, "f-eu-b") is not None

    await eventually(back, timeout=10)


async def test_external_collection_follows_its_selector(env: Env) -> None:
    graph = await env.serve(TEAMS)
    await env.create(graph, "v", {"team": "blue"})
    await env.wait_ready(graph, "v")
    view = await env.get(CONFIGMAP, "v-view")
    assert view is not None and view["data"] == {"teams": ""}

    for name, team in (("one", "blue"), ("two", "red"), ("three", "blue")):
        await env.client.create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": "default", "labels": {"team": team}},
            }
        )

    async def followed() -> bool:
        v = await env.get(CONFIGMAP, "v-view")
        return v is not None and sorted(v["data"]["teams"].split(",")) == ["one", "three"]

    await eventually(followed, timeout=10)
    one = await env.get(CONFIGMAP, "one")
    assert one is not None and NODE_ID_LABEL not in one["metadata"]["labels"]


CLUSTER_SCOPED = """
apiVersion: kro.run/v1alpha1
kind: ResourceGraphDefinition
metadata: {name: tenant}
spec:
  schema:
    apiVersion: v1alpha1
    kind: Tenant
    scope: Cluster
    spec:
      withQuota: boolean
  resources:
  - id: ns
    template:
      apiVersion: v1
      kind: Namespace
      metadata: {name: "${schema.metadata.name}"}
  - id: settings
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: settings, namespace: "${ns.metadata.name}"}
      data: {tenant: "${schema.metadata.name}"}
  - id: quota
    includeWhen: ["${schema.spec.withQuota}"]
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: quota, namespace: "${ns.metadata.name}"}
      data: {cpu: "4"}
"""


async def test_cluster_scoped_instance_manages_and_prunes_children_in_other_namespaces(env: Env) -> None:
    graph = await env.serve(CLUSTER_SCOPED)
    await env.client.create(
        {
            "apiVersion": graph.instance_gvk.api_version,
            "kind": "Tenant",
            "metadata": {"name": "acme"},
            "spec": {"withQuota": True},
        }
    )
    inst = await env.wait_status(
        graph,
        "acme",
        lambda o: (
            (o.get("status") or {}).get("state") == "ACTIVE"
            and o["status"]["conditions"][-1]["status"] == "True"
        ),
        timeout=10,
    )
    assert inst["metadata"]["annotations"]["applyset.kubernetes.io/additional-namespaces"] == "acme"
    assert await env.get(CONFIGMAP, "quota", namespace="acme") is not None

    await env.client.patch(graph.instance_gvk, "acme", {"spec": {"withQuota": False}})

    async def pruned() -> bool:
        return await env.get(CONFIGMAP, "quota", namespace="acme") is None

    await eventually(pruned, timeout=10)
    assert await env.get(CONFIGMAP, "settings", namespace="acme") is not None
