"""An RGD whose resources include another RGD's instances (spec §5.9 chained RGDs)."""

from __future__ import annotations

from tests.controller.instance.conftest import CONFIGMAP, DEPLOYMENT, SECRET, Env
from tests.kube.live import eventually
from tests.runtime.graphs import WEBAPP

PLATFORM = """
apiVersion: kro.run/v1alpha1
kind: ResourceGraphDefinition
metadata: {name: platform}
spec:
  schema:
    apiVersion: v1alpha1
    kind: Platform
    spec:
      token: string
    status:
      appState: ${app.status.state}
  resources:
  - id: app
    readyWhen: ["${app.status.?state.orValue('') == 'ACTIVE'}"]
    template:
      apiVersion: kro.run/v1alpha1
      kind: WebApp
      metadata: {name: "${schema.metadata.name}-app"}
      spec: {token: "${schema.spec.token}", replicas: 1, withConfig: true, divisor: 1}
  - id: marker
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.metadata.name}-marker"}
      data: {appSecretVersion: "${app.status.secretVersion}"}
"""


async def test_outer_instance_drives_inner_instance_and_deletion_cascades(env: Env) -> None:
    inner = await env.serve(WEBAPP)
    outer_graph = await env.serve(PLATFORM, "outer-uid", after=(inner,))
    await env.create(outer_graph, "p", {"token": "s1"})

    outer = await env.wait_ready(outer_graph, "p", timeout=15)
    assert outer["status"]["appState"] == "ACTIVE"
    app = await env.get(inner.instance_gvk, "p-app")
    assert app is not None and app["spec"]["token"] == "s1"
    marker = await env.get(CONFIGMAP, "p-marker")
    secret = await env.get(SECRET, "p-app-secret")
    assert marker is not None and secret is not None
    assert marker["data"]["appSecretVersion"] == secret["metadata"]["resourceVersion"]

    await env.client.delete(outer_graph.instance_gvk, "p", namespace="default")

    async def all_gone() -> bool:
        for gvk, name in (
            (outer_graph.instance_gvk, "p"),
            (inner.instance_gvk, "p-app"),
            (DEPLOYMENT, "p-app"),
            (SECRET, "p-app-secret"),
            (CONFIGMAP, "p-marker"),
        ):
            if await env.get(gvk, name) is not None:
                return False
        return True

    await eventually(all_gone, timeout=15)
