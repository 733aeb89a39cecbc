"""The exact patch `kubectl apply` (client-side, v1.32) sent for a Deployment update, captured from a fake
server.

Changes applied by the user: replicas 2->3, strategy RollingUpdate->Recreate, container `side` removed,
port 80->8080, volume `v` switched from emptyDir to configMap.
"""

from __future__ import annotations

import json
from typing import Any

from pykro.apiserver.machinery.strategicmerge import apply_strategic_merge_patch
from pykro.schema.gvk import GVK
from pykro.schema.registry import SchemaRegistry
from tests.apiserver.test_strategicmerge import DEPLOYMENT

LAST_APPLIED_V2 = json.dumps(
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"annotations": {}, "name": "web", "namespace": "default"},
        "spec": {"replicas": 3},
    }
)
KUBECTL_PATCH: dict[str, Any] = {
    "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": LAST_APPLIED_V2}},
    "spec": {
        "replicas": 3,
        "strategy": {"$retainKeys": ["type"], "type": "Recreate"},
        "template": {
            "spec": {
                "$setElementOrder/containers": [{"name": "main"}],
                "$setElementOrder/volumes": [{"name": "v"}],
                "containers": [
                    {
                        "$setElementOrder/ports": [{"containerPort": 8080}],
                        "image": "nginx:1.26",
                        "name": "main",
                        "ports": [{"containerPort": 8080}, {"$patch": "delete", "containerPort": 80}],
                    },
                    {"$patch": "delete", "name": "side"},
                ],
                "volumes": [
                    {
                        "$retainKeys": ["configMap", "name"],
                        "configMap": {"name": "cm"},
                        "emptyDir": None,
                        "name": "v",
                    }
                ],
            }
        },
    },
}
LIVE: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "web",
        "namespace": "default",
        "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
    },
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "image": "nginx:1.25",
                        "name": "main",
                        "imagePullPolicy": "IfNotPresent",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    },
                    {"image": "busybox", "name": "side", "imagePullPolicy": "Always"},
                ],
                "volumes": [{"emptyDir": {}, "name": "v"}],
            },
        },
    },
}


def check(result: dict[str, Any]) -> None:
    spec = result["spec"]
    assert spec["replicas"] == 3
    assert spec["strategy"] == {"type": "Recreate"}
    assert spec["template"]["spec"]["containers"] == [
        {
            "image": "nginx:1.26",
            "name": "main",
            "imagePullPolicy": "IfNotPresent",
            "ports": [{"containerPort": 8080}],
        }
    ]
    assert spec["template"]["spec"]["volumes"] == [{"name": "v", "configMap": {"name": "cm"}}]
    assert (
        result["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
        == LAST_APPLIED_V2
    )


def test_kubectl_patch_with_hand_schema() -> None:
    check(apply_strategic_merge_patch(LIVE, KUBECTL_PATCH, DEPLOYMENT))


def test_kubectl_patch_with_registry_schema() -> None:
    schema = SchemaRegistry().resolve(GVK("apps", "v1", "Deployment")).schema
    check(apply_strategic_merge_patch(LIVE, KUBECTL_PATCH, schema))
