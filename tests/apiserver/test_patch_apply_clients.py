"""Patches and apply through unmodified clients: kubectl (apply both ways, patch, edit), the official
client's server-side apply and lightkube's apply."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config, dynamic
from kubernetes.client.rest import ApiException
from lightkube import Client as LightClient
from lightkube import KubeConfig
from lightkube.core.exceptions import ApiError as LightApiError
from lightkube.resources.core_v1 import ConfigMap

from pykro.apiserver import EmbeddedAPIServer
from tests.apiserver.conftest import KubectlIn, kubectl_namespace


@pytest.fixture(scope="module")
def kubectl(shared_server: EmbeddedAPIServer) -> Iterator[KubectlIn]:
    with kubectl_namespace(shared_server, "pac") as k:
        yield k


def deployment(image: str, *, replicas: int = 1, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": labels or {"app": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "main", "image": image, "ports": [{"containerPort": 80}]},
                        {"name": "side", "image": "busybox"},
                    ]
                },
            },
        },
    }


def test_kubectl_client_side_apply_updates_and_removes(kubectl: KubectlIn) -> None:
    kubectl.apply(deployment("nginx:1.25", labels={"app": "web", "tier": "front"}))
    kubectl.apply(deployment("nginx:1.26", replicas=3))
    got = kubectl.get("deployment", "web")
    assert got["spec"]["replicas"] == 3
    assert [c["image"] for c in got["spec"]["template"]["spec"]["containers"]] == ["nginx:1.26", "busybox"]
    assert got["metadata"]["labels"] == {"app": "web"}, "a label dropped from the manifest is removed"
    last = json.loads(got["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["spec"]["replicas"] == 3
    assert got["metadata"]["generation"] == 2
    assert "unchanged" in kubectl.apply(deployment("nginx:1.26", replicas=3)).stdout


def test_kubectl_patch_three_types_and_edit(kubectl: KubectlIn, tmp_path: Path) -> None:
    kubectl.apply({**deployment("nginx:1.25"), "metadata": {"name": "patched", "labels": {"app": "web"}}})
    kubectl.run(
        "patch",
        "deployment",
        "patched",
        "--type=strategic",
        "-p",
        '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox:2"}]}}}}',
    )
    got = kubectl.get("deployment", "patched")
    assert [(c["name"], c["image"]) for c in got["spec"]["template"]["spec"]["containers"]] == [
        ("main", "nginx:1.25"),
        ("side", "busybox:2"),
    ], "strategic merge merges containers by name"
    kubectl.run(
        "patch", "deployment", "patched", "--type=merge", "-p", '{"metadata":{"labels":{"extra":"1"}}}'
    )
    kubectl.run(
        "patch",
        "deployment",
        "patched",
        "--type=json",
        "-p",
        '[{"op":"replace","path":"/spec/replicas","value":2},{"op":"remove","path":"/metadata/labels/app"}]',
    )
    got = kubectl.get("deployment", "patched")
    assert got["metadata"]["labels"] == {"extra": "1"} and got["spec"]["replicas"] == 2
    bad = kubectl.run(
        "patch",
        "deployment",
        "patched",
        "--type=json",
        "-p",
        '[{"op":"test","path":"/spec/replicas","value":9}]',
        check=False,
    )
    assert bad.returncode != 0 and "test failed" in bad.stderr
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/busybox:2/busybox:3/' \"$1\"\n")
    editor.chmod(0o755)
    kubectl.run("edit", "deployment", "patched", env={"KUBE_EDITOR": str(editor)})
    got = kubectl.get("deployment", "patched")
    assert got["spec"]["template"]["spec"]["containers"][1]["image"] == "busybox:3"
    assert got["metadata"]["generation"] == 4


def test_kubectl_server_side_apply_two_managers(kubectl: KubectlIn) -> None:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "owned"},
        "data": {"a": "1", "b": "2"},
    }
    kubectl.apply(cm, "--server-side", "--field-manager=alice")
    rv = kubectl.get("cm", "owned")["metadata"]["resourceVersion"]
    kubectl.apply(cm, "--server-side", "--field-manager=alice")
    assert kubectl.get("cm", "owned")["metadata"]["resourceVersion"] == rv, "identical apply changes nothing"
    clash = kubectl.apply(
        {**cm, "data": {"a": "9", "c": "3"}}, "--server-side", "--field-manager=bob", check=False
    )
    assert clash.returncode != 0 and 'conflict with "alice"' in clash.stderr and ".data.a" in clash.stderr
    assert kubectl.get("cm", "owned")["data"] == {"a": "1", "b": "2"}
    kubectl.apply(
        {**cm, "data": {"a": "9", "c": "3"}}, "--server-side", "--field-manager=bob", "--force-conflicts"
    )
    got = kubectl.get("cm", "owned", "--show-managed-fields")
    owners = {e["manager"]: set(e["fieldsV1"]["f:data"]) for e in got["metadata"]["managedFields"]}
    assert owners == {"alice": {"f:b"}, "bob": {"f:a", "f:c"}}
    # alice drops b: nobody else owns it, so it goes; bob's fields stay
    kubectl.apply({k: v for k, v in cm.items() if k != "data"}, "--server-side", "--field-manager=alice")
    assert kubectl.get("cm", "owned")["data"] == {"a": "9", "c": "3"}


def test_official_client_server_side_apply(shared_server: EmbeddedAPIServer) -> None:
    api_client = config.new_client_from_config(config_file=str(shared_server.kubeconfig_path))
    dyn = dynamic.DynamicClient(api_client)
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "pyssa", "namespace": "default"},
        "data": {"k": "v"},
    }
    created = dyn.server_side_apply(cms, body=body, field_manager="py-a")
    assert created.data.k == "v" and created.metadata.managedFields[0].manager == "py-a"
    with pytest.raises(ApiException) as err:
        dyn.server_side_apply(cms, body={**body, "data": {"k": "w"}}, field_manager="py-b")
    assert err.value.status == 409 and "conflict" in json.loads(err.value.body)["message"]
    forced = dyn.server_side_apply(
        cms, body={**body, "data": {"k": "w"}}, field_manager="py-b", force_conflicts=True
    )
    assert forced.data.k == "w"
    # a raw PATCH with the apply content type through the typed client
    typed = client.CoreV1Api(api_client)
    typed.patch_namespaced_config_map(
        "pyssa",
        "default",
        {**body, "data": {"k": "w", "extra": "1"}},
        field_manager="py-b",
        _content_type="application/apply-patch+yaml",
    )
    assert typed.read_namespaced_config_map("pyssa", "default").data == {"k": "w", "extra": "1"}
    typed.delete_namespaced_config_map("pyssa", "default")


def test_lightkube_apply_conflict_and_force(shared_server: EmbeddedAPIServer) -> None:
    lk = LightClient(KubeConfig.from_file(str(shared_server.kubeconfig_path)))
    cm = ConfigMap.from_dict({"metadata": {"name": "lkapply", "namespace": "default"}, "data": {"x": "1"}})
    first = lk.apply(cm, field_manager="lk-a")
    again = lk.apply(cm, field_manager="lk-a")
    assert again.metadata.resourceVersion == first.metadata.resourceVersion
    with pytest.raises(LightApiError) as err:
        lk.apply(
            ConfigMap.from_dict(
                {"metadata": {"name": "lkapply", "namespace": "default"}, "data": {"x": "2"}}
            ),
            field_manager="lk-b",
        )
    assert err.value.status.code == 409
    lk.apply(
        ConfigMap.from_dict({"metadata": {"name": "lkapply", "namespace": "default"}, "data": {"x": "2"}}),
        field_manager="lk-b",
        force=True,
    )
    assert lk.get(ConfigMap, "lkapply", namespace="default").data == {"x": "2"}
    lk.delete(ConfigMap, "lkapply", namespace="default")
