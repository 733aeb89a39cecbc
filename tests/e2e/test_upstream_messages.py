"""Upstream's wording where a kro user reads it, on the embedded server with the controller."""

from __future__ import annotations

from pykro.schema.gvk import GVK
from tests.controller.rgd.helpers import cluster, condition, simple_rgd, wait_for

APP = GVK("kro.run", "v1alpha1", "AppConfig")


async def test_cluster_scoped_instance_with_a_namespaced_child_without_namespace() -> None:
    rgd = simple_rgd()
    rgd["spec"]["schema"]["scope"] = "Cluster"
    # the namespace is an expression, so only the running instance can find it empty
    rgd["spec"]["resources"][0]["template"]["metadata"]["namespace"] = "${schema.spec.value}"
    async with cluster() as env:
        await env.client.create(rgd)
        await env.wait_active("app-config", timeout=30)
        await env.client.create(
            {
                "apiVersion": "kro.run/v1alpha1",
                "kind": "AppConfig",
                "metadata": {"name": "c"},
                "spec": {"value": ""},
            }
        )

        async def failed() -> dict[str, object] | None:
            obj = await env.client.get(APP, "c")
            return obj if (obj.get("status") or {}).get("state") == "ERROR" else None

        found = await wait_for(failed, timeout=30, what="state ERROR")
        message = condition(found, "ResourcesReady")["message"]
        assert (
            'node "cm" is namespaced and must resolve metadata.namespace when the instance is cluster-scoped'
            in message
        ), message
