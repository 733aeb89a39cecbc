"""A status field whose expression fails (not pending: a real evaluation error) is reported on the
instance, naming the field and the expression, and keeps its last value instead of vanishing."""

from __future__ import annotations

from typing import Any

from pykro.schema.gvk import GVK
from tests.controller.rgd.helpers import cluster, condition, simple_rgd, wait_for

APP = GVK("kro.run", "v1alpha1", "AppConfig")


async def test_a_failing_status_expression_is_reported_not_dropped() -> None:
    rgd = simple_rgd()
    rgd["spec"]["schema"]["status"] = {"count": "${int(cm.data.value)}"}
    async with cluster() as env:
        await env.client.create(rgd)
        await env.wait_active("app-config", timeout=30)

        async def apply(value: str) -> None:
            await env.client.apply(
                {
                    "apiVersion": "kro.run/v1alpha1",
                    "kind": "AppConfig",
                    "metadata": {"name": "a"},
                    "spec": {"value": value},
                },
                field_manager="test",
                namespace="default",
            )

        async def instance_where(check: Any) -> dict[str, Any] | None:
            obj = await env.client.get(APP, "a", namespace="default")
            return obj if check(obj.get("status") or {}) else None

        await apply("5")
        await wait_for(
            lambda: instance_where(lambda s: s.get("count") == 5 and s.get("state") == "ACTIVE"),
            timeout=30,
            what="count 5, ACTIVE",
        )
        await apply("five")
        found = await wait_for(
            lambda: instance_where(lambda s: s.get("state") == "ERROR"), timeout=30, what="state ERROR"
        )
        ready = condition(found, "ResourcesReady")
        assert ready["status"] == "False" and ready["reason"] == "NotReady"
        assert ready["message"] == (
            "resource reconciliation failed: status.count: failed to evaluate expression "
            "'${int(cm.data.value)}': cannot convert string to int"
        )
        assert found["status"]["count"] == 5, "the field keeps its last value"
        await apply("7")  # and recovers
        await wait_for(
            lambda: instance_where(lambda s: s.get("count") == 7 and s.get("state") == "ACTIVE"),
            timeout=30,
            what="count 7, ACTIVE again",
        )
