"""Built-in kinds are decoded against their Go types, as kube-apiserver's decoder does: a value that
does not fit is refused with Go's message naming the field, and nothing is stored."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from pykro.apiserver import EmbeddedAPIServer
from tests.apiserver.conftest import WIDGET_CRD, Api, cm, kubectl_namespace

SERVER_OPTIONS = {"workloads": False}
DEPLOYS = "/apis/apps/v1/namespaces/default/deployments"
CMS = "/api/v1/namespaces/default/configmaps"


def deployment(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "nginx"}]},
            },
            **spec,
        },
    }


def cannot_unmarshal(kind: str, what: str, where: str, go_type: str, version: str = "v1") -> str:
    return (
        f'{kind} in version "{version}" cannot be handled as a {kind}: json: cannot unmarshal {what} '
        f"into Go struct field {where} of type {go_type}"
    )


@pytest.mark.parametrize(
    ("replicas", "what"),
    [("3", "string"), (2147483648, "number 2147483648"), (1e29, "number 1e29"), (3.5, "number 3.5"),
     (3.0, "number 3.0"), (True, "bool")],
)  # fmt: skip
async def test_replicas_of_the_wrong_type_are_refused(api: Api, replicas: Any, what: str) -> None:
    status, resp = await api.post(DEPLOYS, deployment("web", replicas=replicas))
    assert (status, resp["reason"]) == (400, "BadRequest"), resp
    assert resp["message"] == cannot_unmarshal("Deployment", what, "DeploymentSpec.spec.replicas", "int32")
    assert (await api.get(f"{DEPLOYS}/web"))[0] == 404


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (
            cm("a", {"k": 1}),  # type: ignore[dict-item]
            cannot_unmarshal("ConfigMap", "number", "ConfigMap.data", "string"),
        ),
        (
            {**cm("a"), "metadata": {"name": "a", "labels": ["x"]}},
            cannot_unmarshal("ConfigMap", "array", "ObjectMeta.metadata.labels", "map[string]string"),
        ),
        (
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "not base64!"}},
            'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3',
        ),
    ],
)
async def test_core_kinds_get_go_messages(api: Api, obj: dict[str, Any], message: str) -> None:
    plural = obj["kind"].lower() + "s"
    status, resp = await api.post(f"/api/v1/namespaces/default/{plural}", obj)
    assert (status, resp["message"]) == (400, message)


async def test_nan_and_infinity_are_not_json(api: Api) -> None:
    for literal in ("NaN", "Infinity", "-Infinity"):
        raw = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"n"},"data":{"a":' + literal.encode()
        status, resp = await api.post(CMS, None, raw=raw + b"}}")
        assert status == 400 and "invalid character" in resp["message"], resp
    # YAML has them (.nan, .inf): refused before anything is stored, wherever they sit
    for body in ("spec:\n  replicas: .nan\n", "spec:\n  x-unknown: .inf\n"):
        doc = yaml.safe_dump(deployment("nan")) + body.replace("spec:\n", "", 1)
        status, resp = await api.post(DEPLOYS, None, raw=doc.encode(), content_type="application/yaml")
        assert status == 400, resp
    assert (await api.get(CMS + "/n"))[0] == 404 and (await api.get(DEPLOYS + "/nan"))[0] == 404


async def test_values_kube_accepts_are_stored(api: Api) -> None:
    body = deployment("ok", strategy={"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}})
    container = body["spec"]["template"]["spec"]["containers"][0]
    container["resources"] = {"limits": {"cpu": 0.5, "memory": "64Mi"}, "requests": {"cpu": "100m"}}
    container["ports"] = [{"containerPort": 80}]
    assert (await api.post(DEPLOYS, body))[0] == 201
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "ok"},
        "spec": {
            "ports": [
                {"name": "a", "port": 80, "targetPort": "http"},
                {"name": "b", "port": 81, "targetPort": 8081},
            ]
        },
    }
    assert (await api.post("/api/v1/namespaces/default/services", svc))[0] == 201


async def test_quantities_and_int_or_strings_are_checked(api: Api) -> None:
    body = deployment("q")
    body["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "one"}}
    status, resp = await api.post(DEPLOYS, body)
    assert status == 400 and resp["message"].endswith(
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )
    status, resp = await api.post(DEPLOYS, deployment("q", strategy={"rollingUpdate": {"maxSurge": 1.5}}))
    assert resp["message"] == cannot_unmarshal(
        "Deployment", "number 1.5", "RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge", "int32"
    )


async def test_updates_patches_and_applies_are_decoded(api: Api) -> None:
    assert (await api.post(DEPLOYS, deployment("web")))[0] == 201
    _, before = await api.get(f"{DEPLOYS}/web")
    bad = copy.deepcopy(before)
    bad["spec"]["replicas"] = "3"
    status, resp = await api.put(f"{DEPLOYS}/web", bad)
    assert (status, resp["message"]) == (
        400,
        cannot_unmarshal("Deployment", "string", "DeploymentSpec.spec.replicas", "int32"),
    )
    for ctype, patch in [
        ("application/merge-patch+json", {"spec": {"replicas": "3"}}),
        ("application/strategic-merge-patch+json", {"spec": {"replicas": "3"}}),
        ("application/json-patch+json", [{"op": "replace", "path": "/spec/replicas", "value": "3"}]),
    ]:
        status, resp = await api.patch(f"{DEPLOYS}/web", patch, content_type=ctype)
        assert (status, resp["reason"]) == (422, "Invalid"), resp
        assert resp["details"]["causes"][0]["field"] == "patch"
        assert resp["message"].endswith(
            "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"
        )
    applied = deployment("web", replicas=2147483648)
    status, resp = await api.patch(
        f"{DEPLOYS}/web?fieldManager=me&force=true", applied, content_type="application/apply-patch+yaml"
    )
    assert status == 400 and "of type int32" in resp["message"], resp
    status, resp = await api.patch(
        f"{DEPLOYS}/web/status", {"status": {"replicas": "x"}}, content_type="application/merge-patch+json"
    )
    assert status == 422 and "DeploymentStatus.status.replicas of type int32" in resp["message"], resp
    assert (await api.get(f"{DEPLOYS}/web"))[1] == before


async def test_scale_bodies_are_decoded(api: Api) -> None:
    assert (await api.post(DEPLOYS, deployment("web")))[0] == 201
    _, scale = await api.get(f"{DEPLOYS}/web/scale")
    scale["spec"]["replicas"] = "3"
    status, resp = await api.put(f"{DEPLOYS}/web/scale", scale)
    assert (status, resp["message"]) == (
        400,
        cannot_unmarshal("Scale", "string", "ScaleSpec.spec.replicas", "int32"),
    )
    status, resp = await api.patch(f"{DEPLOYS}/web/scale", {"spec": {"replicas": 2**40}})
    assert status == 422 and "number 1099511627776" in resp["message"], resp


async def test_custom_resources_keep_their_structural_validation(api: Api) -> None:
    crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    assert (await api.post(crds, WIDGET_CRD))[0] == 201
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": "x"},
    }
    status, resp = await api.post("/apis/example.com/v1/namespaces/default/widgets", widget)
    assert status == 422 and resp["details"]["causes"][0]["field"] == "spec.size", resp


def test_kubectl_create_with_a_string_replicas_fails(shared_server: EmbeddedAPIServer) -> None:
    with kubectl_namespace(shared_server, "decoding") as k:
        manifest = yaml.safe_dump(deployment("web", replicas="3"))
        proc = k.run("create", "-f", "-", stdin=manifest, check=False)
        assert proc.returncode == 1
        assert (
            cannot_unmarshal("Deployment", "string", "DeploymentSpec.spec.replicas", "int32") in proc.stderr
        )
        assert json.loads(k.out("get", "deployments", "-o", "json"))["items"] == []


async def test_custom_resources_hold_no_nan(api: Api) -> None:
    crd = copy.deepcopy(WIDGET_CRD)
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["free"] = {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
    }
    assert (await api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd))[0] == 201
    doc = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  free:\n    x: .nan\n"
    widgets = "/apis/example.com/v1/namespaces/default/widgets"
    status, resp = await api.post(widgets, None, raw=doc.encode(), content_type="application/yaml")
    assert (status, resp["message"]) == (
        400,
        'Widget in version "v1" cannot be handled as a Widget: json: unsupported value: NaN',
    )
    assert (await api.get(f"{widgets}/w"))[0] == 404
