"""Every commonly used built-in kind is served with its real scope and plural, end to end."""

from __future__ import annotations

from typing import Any

import pytest

from tests.apiserver.conftest import WIDGET_CRD, Api

POD_SPEC = {"containers": [{"name": "c", "image": "nginx"}]}
TEMPLATE = {"metadata": {"labels": {"app": "x"}}, "spec": POD_SPEC}
SELECTOR = {"matchLabels": {"app": "x"}}

# (group/version, plural, namespaced, kind, extra body)
KINDS: list[tuple[str, str, bool, str, dict[str, Any]]] = [
    ("v1", "namespaces", False, "Namespace", {}),
    ("v1", "configmaps", True, "ConfigMap", {"data": {"a": "b"}}),
    ("v1", "secrets", True, "Secret", {"stringData": {"a": "b"}}),
    ("v1", "services", True, "Service", {"spec": {"ports": [{"port": 80}]}}),
    ("v1", "serviceaccounts", True, "ServiceAccount", {}),
    ("v1", "pods", True, "Pod", {"spec": POD_SPEC}),
    ("v1", "resourcequotas", True, "ResourceQuota", {"spec": {"hard": {"pods": "10"}}}),
    (
        "v1",
        "persistentvolumeclaims",
        True,
        "PersistentVolumeClaim",
        {"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}},
    ),
    ("v1", "events", True, "Event", {"involvedObject": {"kind": "Pod", "name": "p"}, "reason": "Test"}),
    ("apps/v1", "deployments", True, "Deployment", {"spec": {"selector": SELECTOR, "template": TEMPLATE}}),
    ("apps/v1", "replicasets", True, "ReplicaSet", {"spec": {"selector": SELECTOR, "template": TEMPLATE}}),
    (
        "apps/v1",
        "statefulsets",
        True,
        "StatefulSet",
        {"spec": {"selector": SELECTOR, "template": TEMPLATE, "serviceName": "s"}},
    ),
    ("apps/v1", "daemonsets", True, "DaemonSet", {"spec": {"selector": SELECTOR, "template": TEMPLATE}}),
    (
        "batch/v1",
        "jobs",
        True,
        "Job",
        {"spec": {"template": {"spec": {**POD_SPEC, "restartPolicy": "Never"}}}},
    ),
    (
        "batch/v1",
        "cronjobs",
        True,
        "CronJob",
        {
            "spec": {
                "schedule": "* * * * *",
                "jobTemplate": {"spec": {"template": {"spec": {**POD_SPEC, "restartPolicy": "Never"}}}},
            }
        },
    ),
    (
        "networking.k8s.io/v1",
        "ingresses",
        True,
        "Ingress",
        {"spec": {"defaultBackend": {"service": {"name": "s", "port": {"number": 80}}}}},
    ),
    ("networking.k8s.io/v1", "networkpolicies", True, "NetworkPolicy", {"spec": {"podSelector": {}}}),
    ("storage.k8s.io/v1", "storageclasses", False, "StorageClass", {"provisioner": "example.com/p"}),
    (
        "rbac.authorization.k8s.io/v1",
        "roles",
        True,
        "Role",
        {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
    ),
    ("rbac.authorization.k8s.io/v1", "clusterroles", False, "ClusterRole", {"rules": []}),
    (
        "rbac.authorization.k8s.io/v1",
        "rolebindings",
        True,
        "RoleBinding",
        {"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"}, "subjects": []},
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "clusterrolebindings",
        False,
        "ClusterRoleBinding",
        {"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "r"}},
    ),
    ("coordination.k8s.io/v1", "leases", True, "Lease", {"spec": {"holderIdentity": "me"}}),
    (
        "autoscaling/v2",
        "horizontalpodautoscalers",
        True,
        "HorizontalPodAutoscaler",
        {
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
                "maxReplicas": 3,
            }
        },
    ),
    ("apiextensions.k8s.io/v1", "customresourcedefinitions", False, "CustomResourceDefinition", {}),
]


def _base(gv: str) -> str:
    return f"/api/{gv}" if gv == "v1" else f"/apis/{gv}"


@pytest.mark.parametrize(("gv", "plural", "namespaced", "kind", "extra"), KINDS, ids=[k[1] for k in KINDS])
async def test_kind_end_to_end(
    api: Api, gv: str, plural: str, namespaced: bool, kind: str, extra: dict[str, Any]
) -> None:
    name = "rbac:name" if gv.startswith("rbac") else "thing"
    body: dict[str, Any] = {"apiVersion": gv, "kind": kind, "metadata": {"name": name}, **extra}
    if kind == "CustomResourceDefinition":
        body = WIDGET_CRD
        name = WIDGET_CRD["metadata"]["name"]
    coll = f"{_base(gv)}/namespaces/default/{plural}" if namespaced else f"{_base(gv)}/{plural}"
    status, created = await api.post(coll, body)
    assert status == 201, created
    assert created["kind"] == kind and created["apiVersion"] == gv
    assert ("namespace" in created["metadata"]) == namespaced
    _, rl = await api.get(_base(gv))
    entry = next(r for r in rl["resources"] if r["name"] == plural)
    assert entry["namespaced"] == namespaced and entry["kind"] == kind
    status, got = await api.get(f"{coll}/{name}")
    assert status == 200 and got["metadata"]["uid"] == created["metadata"]["uid"]
    status, patched = await api.patch(f"{coll}/{name}", {"metadata": {"labels": {"touched": "yes"}}})
    # A namespace also carries its name as a label, as with kube-apiserver.
    named = {"kubernetes.io/metadata.name": name} if kind == "Namespace" else {}
    assert status == 200 and patched["metadata"]["labels"] == {**named, "touched": "yes"}
    _, listed = await api.get(f"{_base(gv)}/{plural}")
    assert name in [i["metadata"]["name"] for i in listed["items"]]
    status, _ = await api.delete(f"{coll}/{name}")
    assert status == 200
    assert (await api.get(f"{coll}/{name}"))[0] == 404
