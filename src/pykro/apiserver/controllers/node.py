"""The one simulated Node every embedded cluster has (`kubectl get nodes`), Ready, with the usual
labels and `status.nodeInfo`; the workload simulation binds the pods it creates to it."""

from __future__ import annotations

import platform
from typing import Any

from pykro.apiserver.registry.kinds import Catalog
from pykro.apiserver.registry.pipeline import WriteOptions
from pykro.apiserver.registry.resources import Resources
from pykro.apiserver.storage.watch import GroupResource
from pykro.timestamps import now_rfc3339

NODE_NAME = "pykro-node"
NODE_IP = "10.0.0.1"
NODES: GroupResource = ("", "nodes")
_KUBELET = WriteOptions(field_manager="kubelet")
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine().lower(), "amd64")


def node_object(kubernetes_version: str) -> dict[str, Any]:
    """The Node as a kubelet would register it (labels, addresses, capacity, nodeInfo, conditions)."""
    now = now_rfc3339()
    conditions = [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]
    resources = {"cpu": "8", "memory": "32Gi", "pods": "1000", "ephemeral-storage": "100Gi"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": NODE_NAME,
            "labels": {
                "kubernetes.io/hostname": NODE_NAME,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": _ARCH,
                "beta.kubernetes.io/os": "linux",
                "beta.kubernetes.io/arch": _ARCH,
                "node-role.kubernetes.io/control-plane": "",
            },
        },
        "spec": {},
        "status": {
            "conditions": [
                {
                    "type": kind,
                    "status": status,
                    "reason": reason,
                    "message": message,
                    "lastHeartbeatTime": now,
                    "lastTransitionTime": now,
                }
                for kind, status, reason, message in conditions
            ],
            "addresses": [
                {"type": "InternalIP", "address": NODE_IP},
                {"type": "Hostname", "address": NODE_NAME},
            ],
            "capacity": dict(resources),
            "allocatable": dict(resources),
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": "pykro",
                "systemUUID": "pykro",
                "bootID": "pykro",
                "kernelVersion": platform.release(),
                "osImage": "pykro embedded cluster",
                "containerRuntimeVersion": "pykro://simulated",
                "kubeletVersion": f"v{kubernetes_version}.0-pykro",
                "kubeProxyVersion": f"v{kubernetes_version}.0-pykro",
                "operatingSystem": "linux",
                "architecture": _ARCH,
            },
        },
    }


async def ensure_node(resources: Resources, catalog: Catalog) -> None:
    """Register the node once (a restart finds it in storage)."""
    kind = catalog.preferred(*NODES)
    if kind is None or resources.store.get(NODES, "", NODE_NAME) is not None:
        return
    node = node_object(catalog.schemas.kubernetes_version)
    created, _ = await resources.create(kind, None, node, _KUBELET)
    await resources.update(
        kind, "", NODE_NAME, {**created, "status": node["status"]}, subresource="status", options=_KUBELET
    )
