"""A ValidatingAdmissionPolicy that refuses a child pykro's controller applies: the instance reports
the policy's message in ResourcesReady, and recovers once the binding is deleted."""

from __future__ import annotations

from typing import Any

from pykro.schema.gvk import GVK
from tests.controller.rgd.helpers import cluster, condition, simple_rgd, wait_for

APP = GVK("kro.run", "v1alpha1", "AppConfig")
BINDING = GVK("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding")
POLICY = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "ValidatingAdmissionPolicy",
    "metadata": {"name": "no-forbidden-value"},
    "spec": {
        "matchConstraints": {
            "resourceRules": [
                {
                    "apiGroups": [""],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": ["configmaps"],
                }
            ]
        },
        "validations": [
            {
                "expression": "object.data.value != 'forbidden'",
                "messageExpression": "'value ' + object.data.value + ' is not allowed'",
                "reason": "Forbidden",
            }
        ],
    },
}
BOUND = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "ValidatingAdmissionPolicyBinding",
    "metadata": {"name": "no-forbidden-value-binding"},
    "spec": {"policyName": "no-forbidden-value", "validationActions": ["Deny"]},
}


async def test_a_policy_denial_shows_in_resources_ready_and_lifts_with_the_binding() -> None:
    async with cluster() as env:
        await env.client.create(simple_rgd())
        await env.wait_active("app-config", timeout=30)
        await env.client.create(POLICY)
        await env.client.create(BOUND)
        await env.client.create(
            {
                "apiVersion": "kro.run/v1alpha1",
                "kind": "AppConfig",
                "metadata": {"name": "a", "namespace": "default"},
                "spec": {"value": "forbidden"},
            },
            namespace="default",
        )

        async def instance_where(check: Any) -> dict[str, Any] | None:
            obj = await env.client.get(APP, "a", namespace="default")
            return obj if check(obj) else None

        refused = await wait_for(
            lambda: instance_where(
                lambda o: "denied request" in condition(o, "ResourcesReady").get("message", "")
            ),
            timeout=30,
            what="ResourcesReady naming the policy",
        )
        ready = condition(refused, "ResourcesReady")
        assert ready["status"] == "False"
        assert ready["message"] == (
            "resource error: resource 'cm': apply failed: 403 Forbidden: configmaps \"a-cm\" is forbidden: "
            "ValidatingAdmissionPolicy 'no-forbidden-value' with binding 'no-forbidden-value-binding' "
            "denied request: value forbidden is not allowed"
        )
        assert refused["status"]["state"] == "ERROR"
        await env.client.delete(BINDING, "no-forbidden-value-binding")
        await wait_for(
            lambda: instance_where(lambda o: (o.get("status") or {}).get("state") == "ACTIVE"),
            timeout=30,
            what="instance ACTIVE once the binding is gone",
        )
