"""kubectl as an unmodified client; every step checks the resulting state.

`kubectl` on PATH may be a dispatcher that runs the release matching the server's `/version`;
set PYKRO_KUBECTL (e.g. to a kubectl 1.32 binary) to pin one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykro.apiserver import EmbeddedAPIServer
from tests.apiserver.conftest import KUBECTL, WIDGET_CRD, KubectlIn

pytestmark = pytest.mark.skipif(shutil.which(KUBECTL) is None, reason=f"{KUBECTL} not found")


@pytest.fixture(scope="module")
def kubectl(shared_server: EmbeddedAPIServer) -> KubectlIn:
    return KubectlIn(shared_server)


def manifest(*docs: dict[str, Any]) -> str:
    return yaml.safe_dump_all(docs)


def deployment(name: str, *, replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }


def test_api_resources_lists_builtins_with_scope(kubectl: KubectlIn) -> None:
    out = kubectl.run("api-resources", "-o", "wide").stdout
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    for plural in ("deployments", "configmaps", "namespaces", "customresourcedefinitions", "leases"):
        assert plural in rows
    assert " false " in rows["namespaces"] and " true " in rows["configmaps"]


def test_apply_get_label_annotate_patch_delete(kubectl: KubectlIn) -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kc-apply"}}
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "namespace": "kc-apply"},
        "data": {"a": "1"},
    }
    out = kubectl.run("apply", "-f", "-", stdin=manifest(ns, cm)).stdout
    assert "configmap/cfg created" in out
    got = kubectl.get("cm", "cfg", "-n", "kc-apply")
    assert (
        got["data"] == {"a": "1"}
        and "kubectl.kubernetes.io/last-applied-configuration" in got["metadata"]["annotations"]
    )
    as_yaml = yaml.safe_load(kubectl.run("get", "cm", "cfg", "-n", "kc-apply", "-o", "yaml").stdout)
    assert as_yaml["metadata"]["uid"] == got["metadata"]["uid"]

    kubectl.run("label", "cm", "cfg", "-n", "kc-apply", "tier=web")
    kubectl.run("annotate", "cm", "cfg", "-n", "kc-apply", "note=hi")
    kubectl.run("patch", "cm", "cfg", "-n", "kc-apply", "--type=merge", "-p", '{"data":{"b":"2"}}')
    got = kubectl.get("cm", "cfg", "-n", "kc-apply")
    assert got["metadata"]["labels"] == {"tier": "web"} and got["metadata"]["annotations"]["note"] == "hi"
    assert got["data"] == {"a": "1", "b": "2"}

    cm["data"] = {"a": "changed"}
    out = kubectl.run("apply", "-f", "-", stdin=manifest(cm)).stdout  # update path: strategic merge patch
    assert "configured" in out
    assert kubectl.get("cm", "cfg", "-n", "kc-apply")["data"]["a"] == "changed"

    table = kubectl.run("get", "cm", "-n", "kc-apply").stdout.split()
    assert table[:3] == ["NAME", "DATA", "AGE"] and "cfg" in table

    kubectl.run("delete", "cm", "cfg", "-n", "kc-apply")
    assert kubectl.run("get", "cm", "cfg", "-n", "kc-apply", check=False).returncode != 0


def test_deployment_columns_describe_and_explain(kubectl: KubectlIn) -> None:
    kubectl.run("apply", "-f", "-", stdin=manifest(deployment("web", replicas=2)))
    header = kubectl.run("get", "deploy", "web").stdout.splitlines()[0].split()
    assert header == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    described = kubectl.run("describe", "deploy", "web").stdout
    assert "Name:" in described and "web" in described and "2 desired" in described
    explained = kubectl.run("explain", "deployment.spec").stdout
    assert "KIND:       Deployment" in explained and "replicas" in explained


def test_get_watch_streams_changes(kubectl: KubectlIn, tmp_path: Path) -> None:
    kubectl.run(
        "create",
        "-f",
        "-",
        stdin=manifest({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kc-watch"}}),
    )
    out = tmp_path / "watch.txt"
    with out.open("w") as fh:
        proc = subprocess.Popen(
            [
                KUBECTL,
                "--kubeconfig",
                kubectl.kubeconfig,
                "get",
                "cm",
                "-n",
                "kc-watch",
                "-w",
                "--output-watch-events",
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
            text=True,
        )

        def create_and_wait(name: str) -> None:
            kubectl.run(
                "create",
                "-f",
                "-",
                stdin=manifest(
                    {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": {"name": name, "namespace": "kc-watch"},
                    }
                ),
            )
            deadline = time.monotonic() + 10  # hang guard
            while time.monotonic() < deadline and name not in out.read_text():
                time.sleep(0.1)

        try:
            # Once "first" is printed kubectl's initial LIST is behind it, so "seen" can only come
            # through the watch stream (no sleep needed to let the watch start).
            create_and_wait("first")
            create_and_wait("seen")
        finally:
            proc.terminate()
            proc.wait(5)
    lines = out.read_text().splitlines()
    assert any(line.split()[:2] == ["ADDED", "seen"] for line in lines), lines


def test_crd_wait_custom_resources_columns_short_names(kubectl: KubectlIn) -> None:
    kubectl.run("apply", "-f", "-", stdin=manifest(WIDGET_CRD))
    kubectl.run("wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=10s")
    w = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w1", "namespace": "default"},
        "spec": {"size": 4},
    }
    kubectl.run("apply", "-f", "-", stdin=manifest(w))
    lines = kubectl.run("get", "wd").stdout.splitlines()
    assert lines[0].split() == ["NAME", "SIZE", "READY", "AGE"]
    assert lines[1].split()[:3] == ["w1", "4", "<none>"]
    assert "widget.example.com/w1" in kubectl.run("get", "all").stdout
    w["spec"]["size"] = 6
    kubectl.run("apply", "-f", "-", stdin=manifest(w))  # custom resources update with a merge patch
    assert kubectl.get("widget", "w1")["spec"]["size"] == 6
    kubectl.run("patch", "wd", "w1", "--type=merge", "-p", '{"spec":{"size":7}}')
    assert kubectl.get("widgets.example.com", "w1")["spec"]["size"] == 7
    explained = kubectl.run("explain", "widget.spec").stdout
    assert "size" in explained and "How big." in explained
    kubectl.run("label", "wd", "w1", "team=a")
    kubectl.run("annotate", "wd", "w1", "note=x")
    got = yaml.safe_load(kubectl.run("get", "wd", "w1", "-o", "yaml").stdout)
    assert got["metadata"]["labels"] == {"team": "a"} and got["metadata"]["annotations"]["note"] == "x"
    described = kubectl.run("describe", "wd", "w1").stdout
    assert "Name:" in described and "w1" in described and "Size:" in described
    kubectl.run("delete", "wd", "w1")
    assert kubectl.get("wd")["items"] == []


def test_server_side_apply(kubectl: KubectlIn) -> None:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ssa", "namespace": "default"},
        "data": {"a": "1"},
    }
    kubectl.run("apply", "--server-side", "-f", "-", stdin=manifest(cm))
    got = kubectl.get("cm", "ssa", "--show-managed-fields")
    assert got["data"] == {"a": "1"}
    assert (
        got["metadata"]["managedFields"][0]["manager"] == "kubectl"
        and got["metadata"]["managedFields"][0]["operation"] == "Apply"
    )


def test_create_namespace(kubectl: KubectlIn) -> None:
    kubectl.run("create", "namespace", "kc-created")
    got = kubectl.get("ns", "kc-created")
    assert got["status"]["phase"] == "Active"
    kubectl.run("delete", "namespace", "kc-created")
    assert kubectl.run("get", "ns", "kc-created", check=False).returncode != 0


def test_namespaces_carry_their_name_as_a_label(kubectl: KubectlIn) -> None:
    """As kube-apiserver's defaulting does: `kubernetes.io/metadata.name`, owned by the creator, and back
    after a write that removes it; so a namespaceSelector can pick namespaces by name."""
    kubectl.run("create", "namespace", "kc-labelled")
    got = kubectl.get("ns", "kc-labelled", "--show-managed-fields")
    assert got["metadata"]["labels"] == {"kubernetes.io/metadata.name": "kc-labelled"}
    owned = got["metadata"]["managedFields"][0]
    assert owned["manager"] == "kubectl-create"
    assert "f:kubernetes.io/metadata.name" in owned["fieldsV1"]["f:metadata"]["f:labels"]
    kubectl.run("label", "namespace", "kc-labelled", "kubernetes.io/metadata.name-")
    assert kubectl.get("ns", "kc-labelled")["metadata"]["labels"] == {
        "kubernetes.io/metadata.name": "kc-labelled"
    }
    picked = kubectl.out(
        "get", "ns", "-l", "kubernetes.io/metadata.name in (default,kc-labelled)", "-o", "name"
    )
    assert picked.split() == ["namespace/default", "namespace/kc-labelled"]
    made = kubectl.out(
        "create",
        "-o",
        "name",
        "-f",
        "-",
        stdin="apiVersion: v1\nkind: Namespace\nmetadata:\n  generateName: kc-gen-\n",
    )
    name = made.strip().removeprefix("namespace/")
    assert kubectl.get("ns", name)["metadata"]["labels"] == {"kubernetes.io/metadata.name": name}


def test_events_of_either_api_print_with_the_event_columns(kubectl: KubectlIn) -> None:
    """kube prints events.k8s.io/v1 Events with the same printer as core ones (one internal type)."""
    event = """apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: seen-twice, namespace: default}
regarding: {apiVersion: v1, kind: ConfigMap, name: settings, namespace: default}
reason: Synced
note: settings synced
type: Normal
action: Sync
eventTime: "2026-01-02T03:04:05.000000Z"
reportingController: example.com/syncer
reportingInstance: syncer-1
"""
    kubectl.run("create", "-f", "-", stdin=event)
    header, row = kubectl.out("get", "events.v1.events.k8s.io", "seen-twice").splitlines()
    assert header.split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert row.split()[1:] == ["Normal", "Synced", "configmap/settings", "settings", "synced"]
    wide = kubectl.out("get", "events.v1.events.k8s.io", "seen-twice", "-o", "wide").splitlines()[1]
    assert "example.com/syncer, syncer-1" in wide


def test_typed_create_commands_send_protobuf(kubectl: KubectlIn) -> None:
    kubectl.run("create", "namespace", "kc-typed")
    kubectl.run("create", "configmap", "c", "-n", "kc-typed", "--from-literal=a=b")
    kubectl.run("create", "secret", "generic", "s", "-n", "kc-typed", "--from-literal=p=q")
    kubectl.run("create", "serviceaccount", "robot", "-n", "kc-typed")
    assert kubectl.get("cm", "c", "-n", "kc-typed")["data"] == {"a": "b"}
    secret = kubectl.get("secret", "s", "-n", "kc-typed")
    assert secret["data"] == {"p": "cQ=="} and secret["type"] == "Opaque"
    assert kubectl.get("sa", "robot", "-n", "kc-typed")["metadata"]["name"] == "robot"
    assert "generateName" not in kubectl.get("ns", "kc-typed")["metadata"]


def test_scale(kubectl: KubectlIn) -> None:
    kubectl.run("apply", "-f", "-", stdin=manifest(deployment("scaled", replicas=1)))
    kubectl.run("scale", "deploy", "scaled", "--replicas=3")
    assert kubectl.get("deploy", "scaled")["spec"]["replicas"] == 3


def test_auth_reviews(kubectl: KubectlIn) -> None:
    assert kubectl.run("auth", "can-i", "create", "pods").stdout.strip() == "yes"
    assert "admin" in kubectl.run("auth", "whoami").stdout


GENERATORS = [
    [
        "run",
        "p1",
        "--image=nginx:1.25",
        "--port=8080",
        "--env=A=b",
        "--labels=x=y",
        "--restart=Never",
        "--",
        "sh",
        "-c",
        "true",
    ],
    ["create", "deployment", "d1", "--image=nginx", "--replicas=3", "--port=80"],
    ["create", "service", "clusterip", "s1", "--tcp=80:8080", "--tcp=443:https"],
    ["create", "service", "nodeport", "s2", "--tcp=80:8080", "--node-port=30080"],
]


def _comparable(obj: dict[str, Any]) -> dict[str, Any]:
    meta = {
        k: v
        for k, v in obj["metadata"].items()
        if k
        not in ("uid", "resourceVersion", "creationTimestamp", "generation", "namespace", "managedFields")
    }
    return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": meta}


def _missing(meant: Any, stored: Any, path: str = "") -> list[str]:
    """Where `stored` lacks or changes something `meant` has (the server may only add defaults)."""
    if isinstance(meant, dict) and isinstance(stored, dict):
        return [
            m
            for k, v in meant.items()
            if v not in (None, {}) or k not in stored
            for m in _missing(v, stored.get(k), f"{path}.{k}")
        ]
    if isinstance(meant, list) and isinstance(stored, list) and len(meant) == len(stored):
        return [
            m
            for i, (a, b) in enumerate(zip(meant, stored, strict=True))
            for m in _missing(a, b, f"{path}[{i}]")
        ]
    return [] if meant == stored else [f"{path}: {meant!r} != {stored!r}"]


@pytest.mark.parametrize("cmd", GENERATORS, ids=lambda c: " ".join(c[:3]))
def test_protobuf_generators_store_what_kubectl_meant(kubectl: KubectlIn, cmd: list[str]) -> None:
    """Typed generator commands send protobuf; what is stored holds kubectl's own JSON rendering plus
    defaults."""
    kubectl.run("create", "namespace", "kc-gen", check=False)
    meant = json.loads(
        kubectl.run(*cmd[:3], "-n", "kc-gen", "--dry-run=client", "-o", "json", *cmd[3:]).stdout
    )
    stored = json.loads(kubectl.run(*cmd[:3], "-n", "kc-gen", "-o", "json", *cmd[3:]).stdout)
    assert _missing(_comparable(meant), _comparable(stored)) == []
