"""kubectl as an unmodified client; every step checks the resulting state.

`kubectl` on PATH may be a dispatcher that runs the release matching the server's `/version`;
set PYKRO_KUBECTL (e.g. to a kubectl 1.32 binary) to pin one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykro.apiserver import EmbeddedAPIServer
from tests.apiserver.conftest import WIDGET_CRD

KUBECTL = os.environ.get("PYKRO_KUBECTL", "kubectl")
pytestmark = pytest.mark.skipif(shutil.which(KUBECTL) is None, reason=f"{KUBECTL} not found")


class Kubectl:
    def __init__(self, server: EmbeddedAPIServer) -> None:
        self.kubeconfig = str(server.kubeconfig_path)

    def run(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([KUBECTL, "--kubeconfig", self.kubeconfig, *args], input=stdin, text=True,
                              capture_output=True, timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {proc.stderr}")
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)


@pytest.fixture(scope="module")
def kubectl(shared_server: EmbeddedAPIServer) -> Kubectl:
    return Kubectl(shared_server)


def manifest(*docs: dict[str, Any]) -> str:
    return yaml.safe_dump_all(docs)


def test_api_resources_lists_builtins_with_scope(kubectl: Kubectl) -> None:
    out = kubectl.run("api-resources", "-o", "wide").stdout
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    for plural in ("deployments", "configmaps", "namespaces", "customresourcedefinitions", "leases"):
        assert plural in rows
    assert " false " in rows["namespaces"] and " true " in rows["configmaps"]


def test_apply_get_label_annotate_patch_delete(kubectl: Kubectl) -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kc-apply"}}
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "kc-apply"}, "data": {"a": "1"}}
    out = kubectl.run("apply", "-f", "-", stdin=manifest(ns, cm)).stdout
    assert "configmap/cfg created" in out
    got = kubectl.json("get", "cm", "cfg", "-n", "kc-apply")
    assert got["data"] == {"a": "1"} and "kubectl.kubernetes.io/last-applied-configuration" in got["metadata"]["annotations"]
    as_yaml = yaml.safe_load(kubectl.run("get", "cm", "cfg", "-n", "kc-apply", "-o", "yaml").stdout)
    assert as_yaml["metadata"]["uid"] == got["metadata"]["uid"]

    kubectl.run("label", "cm", "cfg", "-n", "kc-apply", "tier=web")
    kubectl.run("annotate", "cm", "cfg", "-n", "kc-apply", "note=hi")
    kubectl.run("patch", "cm", "cfg", "-n", "kc-apply", "--type=merge", "-p", '{"data":{"b":"2"}}')
    got = kubectl.json("get", "cm", "cfg", "-n", "kc-apply")
    assert got["metadata"]["labels"] == {"tier": "web"} and got["metadata"]["annotations"]["note"] == "hi"
    assert got["data"] == {"a": "1", "b": "2"}

    cm["data"] = {"a": "changed"}
    out = kubectl.run("apply", "-f", "-", stdin=manifest(cm)).stdout  # update path: strategic merge patch
    assert "configured" in out
    assert kubectl.json("get", "cm", "cfg", "-n", "kc-apply")["data"]["a"] == "changed"

    table = kubectl.run("get", "cm", "-n", "kc-apply").stdout.split()
    assert table[:3] == ["NAME", "DATA", "AGE"] and "cfg" in table

    kubectl.run("delete", "cm", "cfg", "-n", "kc-apply")
    assert kubectl.run("get", "cm", "cfg", "-n", "kc-apply", check=False).returncode != 0


def test_deployment_columns_describe_and_explain(kubectl: Kubectl) -> None:
    deploy = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
    }
    kubectl.run("apply", "-f", "-", stdin=manifest(deploy))
    header = kubectl.run("get", "deploy", "web").stdout.splitlines()[0].split()
    assert header == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    described = kubectl.run("describe", "deploy", "web").stdout
    assert "Name:" in described and "web" in described and "2 desired" in described
    explained = kubectl.run("explain", "deployment.spec").stdout
    assert "KIND:       Deployment" in explained and "replicas" in explained


def test_get_watch_streams_changes(kubectl: Kubectl, tmp_path: Path) -> None:
    kubectl.run("create", "-f", "-", stdin=manifest({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kc-watch"}}))
    out = tmp_path / "watch.txt"
    with out.open("w") as fh:
        proc = subprocess.Popen([KUBECTL, "--kubeconfig", kubectl.kubeconfig, "get", "cm", "-n", "kc-watch", "-w",
                                 "--output-watch-events"], stdout=fh, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(1.0)
            kubectl.run("create", "-f", "-", stdin=manifest(
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "seen", "namespace": "kc-watch"}}))
            deadline = time.time() + 10
            while time.time() < deadline and "seen" not in out.read_text():
                time.sleep(0.1)
        finally:
            proc.terminate()
            proc.wait(5)
    lines = out.read_text().splitlines()
    assert any(line.split()[:2] == ["ADDED", "seen"] for line in lines), lines


def test_crd_wait_custom_resources_columns_short_names(kubectl: Kubectl) -> None:
    kubectl.run("apply", "-f", "-", stdin=manifest(WIDGET_CRD))
    kubectl.run("wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=10s")
    w = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1", "namespace": "default"}, "spec": {"size": 4}}
    kubectl.run("apply", "-f", "-", stdin=manifest(w))
    lines = kubectl.run("get", "wd").stdout.splitlines()
    assert lines[0].split() == ["NAME", "SIZE", "READY", "AGE"]
    assert lines[1].split()[:3] == ["w1", "4", "<none>"]
    assert "widget.example.com/w1" in kubectl.run("get", "all").stdout
    w["spec"]["size"] = 6
    kubectl.run("apply", "-f", "-", stdin=manifest(w))  # custom resources update with a merge patch
    assert kubectl.json("get", "widget", "w1")["spec"]["size"] == 6
    kubectl.run("patch", "wd", "w1", "--type=merge", "-p", '{"spec":{"size":7}}')
    assert kubectl.json("get", "widgets.example.com", "w1")["spec"]["size"] == 7
    explained = kubectl.run("explain", "widget.spec").stdout
    assert "size" in explained and "How big." in explained
    kubectl.run("label", "wd", "w1", "team=a")
    kubectl.run("annotate", "wd", "w1", "note=x")
    got = yaml.safe_load(kubectl.run("get", "wd", "w1", "-o", "yaml").stdout)
    assert got["metadata"]["labels"] == {"team": "a"} and got["metadata"]["annotations"]["note"] == "x"
    described = kubectl.run("describe", "wd", "w1").stdout
    assert "Name:" in described and "w1" in described and "Size:" in described
    kubectl.run("delete", "wd", "w1")
    assert kubectl.json("get", "wd")["items"] == []


def test_server_side_apply(kubectl: Kubectl) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa", "namespace": "default"}, "data": {"a": "1"}}
    kubectl.run("apply", "--server-side", "-f", "-", stdin=manifest(cm))
    got = kubectl.json("get", "cm", "ssa", "--show-managed-fields")
    assert got["data"] == {"a": "1"}
    assert got["metadata"]["managedFields"][0]["manager"] == "kubectl" and got["metadata"]["managedFields"][0]["operation"] == "Apply"


def test_create_namespace(kubectl: Kubectl) -> None:
    kubectl.run("create", "namespace", "kc-created")
    got = kubectl.json("get", "ns", "kc-created")
    assert got["status"]["phase"] == "Active"
    kubectl.run("delete", "namespace", "kc-created")
    assert kubectl.run("get", "ns", "kc-created", check=False).returncode != 0


def test_typed_create_commands_send_protobuf(kubectl: Kubectl) -> None:
    kubectl.run("create", "namespace", "kc-typed")
    kubectl.run("create", "configmap", "c", "-n", "kc-typed", "--from-literal=a=b")
    kubectl.run("create", "secret", "generic", "s", "-n", "kc-typed", "--from-literal=p=q")
    kubectl.run("create", "serviceaccount", "robot", "-n", "kc-typed")
    assert kubectl.json("get", "cm", "c", "-n", "kc-typed")["data"] == {"a": "b"}
    secret = kubectl.json("get", "secret", "s", "-n", "kc-typed")
    assert secret["data"] == {"p": "cQ=="} and secret["type"] == "Opaque"
    assert kubectl.json("get", "sa", "robot", "-n", "kc-typed")["metadata"]["name"] == "robot"
    assert "generateName" not in kubectl.json("get", "ns", "kc-typed")["metadata"]


def test_scale(kubectl: Kubectl) -> None:
    deploy = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "scaled", "namespace": "default"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "s"}},
                 "template": {"metadata": {"labels": {"app": "s"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
    }
    kubectl.run("apply", "-f", "-", stdin=manifest(deploy))
    kubectl.run("scale", "deploy", "scaled", "--replicas=3")
    assert kubectl.json("get", "deploy", "scaled")["spec"]["replicas"] == 3


def test_auth_reviews(kubectl: Kubectl) -> None:
    assert kubectl.run("auth", "can-i", "create", "pods").stdout.strip() == "yes"
    assert "admin" in kubectl.run("auth", "whoami").stdout


GENERATORS = [
    ["run", "p1", "--image=nginx:1.25", "--port=8080", "--env=A=b", "--labels=x=y", "--restart=Never", "--", "sh", "-c", "true"],
    ["create", "deployment", "d1", "--image=nginx", "--replicas=3", "--port=80"],
    ["create", "service", "clusterip", "s1", "--tcp=80:8080", "--tcp=443:https"],
    ["create", "service", "nodeport", "s2", "--tcp=80:8080", "--node-port=30080"],
]


def _comparable(obj: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in obj["metadata"].items()
            if k not in ("uid", "resourceVersion", "creationTimestamp", "generation", "namespace", "managedFields")}
    return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": meta}


def _missing(meant: Any, stored: Any, path: str = "") -> list[str]:
    """Where `stored` lacks or changes something `meant` has (the server may only add defaults)."""
    if isinstance(meant, dict) and isinstance(stored, dict):
        return [m for k, v in meant.items() if v not in (None, {}) or k not in stored
                for m in _missing(v, stored.get(k), f"{path}.{k}")]
    if isinstance(meant, list) and isinstance(stored, list) and len(meant) == len(stored):
        return [m for i, (a, b) in enumerate(zip(meant, stored, strict=True)) for m in _missing(a, b, f"{path}[{i}]")]
    return [] if meant == stored else [f"{path}: {meant!r} != {stored!r}"]


@pytest.mark.parametrize("cmd", GENERATORS, ids=lambda c: " ".join(c[:3]))
def test_protobuf_generators_store_what_kubectl_meant(kubectl: Kubectl, cmd: list[str]) -> None:
    """Typed generator commands send protobuf; what is stored holds kubectl's own JSON rendering plus defaults."""
    kubectl.run("create", "namespace", "kc-gen", check=False)
    meant = json.loads(kubectl.run(*cmd[:3], "-n", "kc-gen", "--dry-run=client", "-o", "json", *cmd[3:]).stdout)
    stored = json.loads(kubectl.run(*cmd[:3], "-n", "kc-gen", "-o", "json", *cmd[3:]).stdout)
    assert _missing(_comparable(meant), _comparable(stored)) == []
