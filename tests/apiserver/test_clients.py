"""The official `kubernetes` client (typed, dynamic, watch) and lightkube, unmodified."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client, config, dynamic, watch
from kubernetes.client.rest import ApiException
from lightkube import Client as LightClient
from lightkube import KubeConfig
from lightkube.core.exceptions import ApiError as LightApiError
from lightkube.models.apps_v1 import DeploymentSpec
from lightkube.models.core_v1 import Container, PodSpec, PodTemplateSpec
from lightkube.models.meta_v1 import LabelSelector, ObjectMeta
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import ConfigMap, Namespace

from pykro.apiserver import EmbeddedAPIServer
from tests.apiserver.conftest import WIDGET_CRD


@pytest.fixture(scope="module")
def k8s(shared_server: EmbeddedAPIServer) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(shared_server.kubeconfig_path))
    client.CoreV1Api(api_client).create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py")))
    yield api_client
    client.CoreV1Api(api_client).delete_namespace("py")


def test_typed_crud_and_conflict(k8s: client.ApiClient) -> None:
    v1 = client.CoreV1Api(k8s)
    created = v1.create_namespaced_config_map(
        "py", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="t"), data={"a": "1"})
    )
    patched = v1.patch_namespaced_config_map("t", "py", {"data": {"b": "2"}})  # strategic merge by default
    assert patched.data == {"a": "1", "b": "2"}
    created.data = {"stale": "1"}
    with pytest.raises(ApiException) as err:
        v1.replace_namespaced_config_map("t", "py", created)
    assert err.value.status == 409
    assert [c.metadata.name for c in v1.list_namespaced_config_map("py").items] == ["t"]
    with pytest.raises(ApiException) as err:
        v1.read_namespaced_config_map("nope", "py")
    assert err.value.status == 404
    v1.delete_namespaced_config_map("t", "py")
    assert v1.list_namespaced_config_map("py").items == []


def test_typed_apps_and_status(k8s: client.ApiClient) -> None:
    apps = client.AppsV1Api(k8s)
    body = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="d"),
        spec=client.V1DeploymentSpec(
            replicas=1,
            selector=client.V1LabelSelector(match_labels={"app": "d"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "d"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx")]),
            ),
        ),
    )
    apps.create_namespaced_deployment("py", body)
    apps.patch_namespaced_deployment_status("d", "py", {"status": {"readyReplicas": 1, "replicas": 1}})
    got = apps.read_namespaced_deployment("d", "py")
    assert got.status.ready_replicas == 1 and got.metadata.generation == 1


def test_watch_stream(k8s: client.ApiClient) -> None:
    v1 = client.CoreV1Api(k8s)
    rv = v1.list_namespaced_config_map("py").metadata.resource_version
    seen: list[tuple[str, str]] = []

    def consume() -> None:
        w = watch.Watch()
        for ev in w.stream(v1.list_namespaced_config_map, "py", resource_version=rv, timeout_seconds=5):
            seen.append((ev["type"], ev["object"].metadata.name))
            if len(seen) == 2:
                w.stop()

    t = threading.Thread(target=consume)
    t.start()  # the watch replays from `rv`, so it needn't be open before the writes
    v1.create_namespaced_config_map("py", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="w")))
    v1.delete_namespaced_config_map("w", "py")
    t.join(10)
    assert seen == [("ADDED", "w"), ("DELETED", "w")]


def test_dynamic_client_with_crd(k8s: client.ApiClient) -> None:
    dyn = dynamic.DynamicClient(k8s)
    crds = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    crd = copy.deepcopy(WIDGET_CRD)
    crd["metadata"]["name"] = "widgets.clients.example.com"
    crd["spec"]["group"] = "clients.example.com"
    crds.create(body=crd)
    dyn.resources.invalidate_cache()
    widgets = dyn.resources.get(api_version="clients.example.com/v1", kind="Widget")
    widgets.create(
        body={
            "apiVersion": "clients.example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "dw"},
            "spec": {"size": 2},
        },
        namespace="py",
    )
    widgets.patch(
        name="dw", namespace="py", body={"spec": {"size": 5}}, content_type="application/merge-patch+json"
    )
    got: Any = widgets.get(name="dw", namespace="py")
    assert got.spec.size == 5 and got.metadata.generation == 2
    names = [i.metadata.name for i in widgets.get(namespace="py").items]
    assert names == ["dw"]
    crds.delete(name="widgets.clients.example.com")
    with pytest.raises(ApiException):
        client.CustomObjectsApi(k8s).get_namespaced_custom_object(
            "clients.example.com", "v1", "py", "widgets", "dw"
        )


def test_lightkube(shared_server: EmbeddedAPIServer) -> None:
    lk = LightClient(KubeConfig.from_file(str(shared_server.kubeconfig_path)))
    lk.create(Namespace(metadata=ObjectMeta(name="lk")))
    lk.create(ConfigMap(metadata=ObjectMeta(name="c", labels={"x": "1"}), data={"a": "b"}), namespace="lk")
    assert lk.get(ConfigMap, "c", namespace="lk").data == {"a": "b"}
    assert [c.metadata.name for c in lk.list(ConfigMap, namespace="lk", labels={"x": "1"})] == ["c"]
    dep = Deployment(
        metadata=ObjectMeta(name="d"),
        spec=DeploymentSpec(
            selector=LabelSelector(matchLabels={"a": "b"}),
            template=PodTemplateSpec(
                metadata=ObjectMeta(labels={"a": "b"}),
                spec=PodSpec(containers=[Container(name="c", image="i")]),
            ),
        ),
    )
    lk.apply(dep, namespace="lk", field_manager="lk-test")  # server-side apply
    assert lk.get(Deployment, "d", namespace="lk").metadata.managedFields[0].manager == "lk-test"
    seen = []
    for kind, obj in lk.watch(ConfigMap, namespace="lk"):
        seen.append((kind, obj.metadata.name))
        break
    assert seen == [("ADDED", "c")]
    lk.delete(ConfigMap, "c", namespace="lk")
    with pytest.raises(LightApiError) as err:
        lk.get(ConfigMap, "c", namespace="lk")
    assert err.value.status.code == 404
