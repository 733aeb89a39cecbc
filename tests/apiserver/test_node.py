"""Every embedded cluster has one Ready node; simulated workload pods are bound to it, and
`workloads=False` (`--simulate-workloads off`) writes no workload status at all, as envtest."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.apiserver.conftest import KUBECTL, KubectlIn, ThreadedServer

pytestmark = pytest.mark.skipif(shutil.which(KUBECTL) is None, reason="kubectl not found")


def _wait(probe, what: str, turns: int = 200):  # type: ignore[no-untyped-def]
    for _ in range(turns):
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"never saw {what}")


def test_one_ready_node_and_pods_bound_to_it(tmp_path: Path) -> None:
    with ThreadedServer(tmp_path / "data") as server:
        k = KubectlIn(server)
        lines = k.out("get", "nodes").splitlines()
        assert lines[0].split() == ["NAME", "STATUS", "ROLES", "VERSION", "AGE"]
        assert lines[1].split()[:3] == ["pykro-node", "Ready", "control-plane"] and len(lines) == 2
        node = k.get("node", "pykro-node")
        labels = node["metadata"]["labels"]
        assert labels["kubernetes.io/os"] == "linux" and labels["kubernetes.io/hostname"] == "pykro-node"
        assert node["status"]["nodeInfo"]["kubeletVersion"].startswith("v1.")
        k.run("create", "deployment", "web", "--image=nginx", "--replicas=2")
        pods = _wait(lambda: k.get("pods", "-l", "app=web")["items"], "pods")
        assert {p["spec"]["nodeName"] for p in pods} == {"pykro-node"}
    # A restart keeps the one node.
    with ThreadedServer(tmp_path / "data") as server:
        assert len(KubectlIn(server).get("nodes")["items"]) == 1


def test_without_workload_simulation_nothing_runs_but_the_node_is_listed() -> None:
    with ThreadedServer(workloads=False) as server:
        k = KubectlIn(server)
        assert [n["metadata"]["name"] for n in k.get("nodes")["items"]] == ["pykro-node"]
        k.run("create", "deployment", "web", "--image=nginx")
        time.sleep(1.0)  # long enough for the simulation to have acted, were it on
        deployment = k.get("deployment", "web")
        assert deployment.get("status", {}) == {}
        assert k.get("replicasets")["items"] == [] and k.get("pods")["items"] == []
        # The user drives readiness by hand, as with envtest.
        k.run(
            "patch",
            "deployment",
            "web",
            "--subresource=status",
            "--type=merge",
            "-p",
            '{"status": {"availableReplicas": 1, "readyReplicas": 1, "replicas": 1}}',
        )
        assert k.get("deployment", "web")["status"]["availableReplicas"] == 1
