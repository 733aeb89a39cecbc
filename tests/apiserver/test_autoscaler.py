"""The simulated HorizontalPodAutoscaler (no metrics API): targets are held within
[minReplicas, maxReplicas] through their scale subresource; status and conditions read as the
real controller's do when metrics are missing. Driven over HTTPS and kubectl."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from pykro.apiserver import EmbeddedAPIServer
from tests.apiserver.conftest import WIDGET_CRD, Api, KubectlIn, kubectl_namespace

APPS = "/apis/apps/v1/namespaces/default"
HPA2 = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers"
HPA1 = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers"
CPU = {
    "type": "Resource",
    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}},
}


def deployment(name: str, replicas: int | None = 1) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]},
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": spec}


def hpa(
    name: str,
    target: str,
    low: int | None,
    high: int,
    *,
    metrics: list[dict[str, Any]] | None = None,
    kind: str = "Deployment",
    api_version: str = "apps/v1",
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "scaleTargetRef": {"apiVersion": api_version, "kind": kind, "name": target},
        "maxReplicas": high,
        "metrics": metrics if metrics is not None else [CPU],
    }
    if low is not None:
        spec["minReplicas"] = low
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": spec,
    }


def conditions(obj: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in obj["status"].get("conditions", [])}


async def converge(api: Api, *paths: str) -> list[dict[str, Any]]:
    await api.server.settle()
    out = []
    for path in paths:
        status, obj = await api.get(path)
        assert status == 200, obj
        out.append(obj)
    return out


async def test_below_min_scales_up_through_the_scale_subresource(api: Api) -> None:
    await api.post(f"{APPS}/deployments", deployment("web", None))  # replicas defaulted to 1
    status, _ = await api.post(HPA2, hpa("web", "web", 3, 5))
    assert status == 201
    d, h = await converge(api, f"{APPS}/deployments/web", f"{HPA2}/web")
    assert d["spec"]["replicas"] == 3 and d["metadata"]["generation"] == 2
    assert d["status"]["readyReplicas"] == 3  # the Deployment controller rolled the new size out
    [entry] = [e for e in d["metadata"]["managedFields"] if e.get("subresource") == "scale"]
    assert entry["manager"] == "kube-controller-manager" and entry["fieldsV1"] == {
        "f:spec": {"f:replicas": {}}
    }
    assert (
        h["status"]["currentReplicas"] == 3
        and h["status"]["desiredReplicas"] == 3
        and h["status"]["lastScaleTime"]
    )
    assert conditions(h) == {
        "AbleToScale": ("True", "SucceededGetScale"),
        "ScalingActive": ("False", "FailedGetResourceMetric"),
    }
    message = next(c["message"] for c in h["status"]["conditions"] if c["type"] == "ScalingActive")
    assert message.startswith(
        "the HPA was unable to compute the replica count: failed to get cpu utilization"
    )


async def test_above_max_scales_down_and_in_range_is_left_alone(api: Api) -> None:
    await api.post(f"{APPS}/deployments", deployment("big", 6))
    await api.post(f"{APPS}/deployments", deployment("mid", 2))
    await api.post(HPA2, hpa("big", "big", 1, 4))
    await api.post(HPA2, hpa("mid", "mid", 1, 4))
    big, mid, mid_hpa = await converge(
        api, f"{APPS}/deployments/big", f"{APPS}/deployments/mid", f"{HPA2}/mid"
    )
    assert big["spec"]["replicas"] == 4 and big["metadata"]["generation"] == 2
    assert (
        mid["spec"]["replicas"] == 2 and mid["metadata"]["generation"] == 1
    )  # no metrics: nothing to decide
    # as the real controller: currentReplicas refreshed, desiredReplicas untouched by a failed metrics round
    assert mid_hpa["status"] == {**mid_hpa["status"], "currentReplicas": 2, "desiredReplicas": 0}
    assert "lastScaleTime" not in mid_hpa["status"]
    assert conditions(mid_hpa)["ScalingActive"] == ("False", "FailedGetResourceMetric")


async def test_bounds_changes_and_target_changes_are_followed(api: Api) -> None:
    await api.post(f"{APPS}/deployments", deployment("app", 1))
    _, h = await api.post(HPA2, hpa("app", "app", 1, 5))
    (d,) = await converge(api, f"{APPS}/deployments/app")
    assert d["spec"]["replicas"] == 1 and d["metadata"]["generation"] == 1
    await api.patch(f"{HPA2}/app", {"spec": {"minReplicas": 2}})  # what kro's instance update does
    d, h = await converge(api, f"{APPS}/deployments/app", f"{HPA2}/app")
    assert d["spec"]["replicas"] == 2 and d["metadata"]["generation"] == 2
    assert h["status"]["desiredReplicas"] == 2
    await api.patch(f"{APPS}/deployments/app/scale", {"spec": {"replicas": 9}})  # a manual scale past the max
    (d,) = await converge(api, f"{APPS}/deployments/app")
    assert d["spec"]["replicas"] == 5
    # a quiet HPA keeps its status (and condition times) as they are: no write loop
    _, before = await api.get(f"{HPA2}/app")
    (after,) = await converge(api, f"{HPA2}/app")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


async def test_missing_target_then_created(api: Api) -> None:
    await api.post(HPA2, hpa("later", "later", 2, 3))
    (h,) = await converge(api, f"{HPA2}/later")
    assert conditions(h) == {"AbleToScale": ("False", "FailedGetScale")}
    assert 'deployments.apps "later" not found' in h["status"]["conditions"][0]["message"]
    await api.post(f"{APPS}/deployments", deployment("later", 1))
    d, h = await converge(api, f"{APPS}/deployments/later", f"{HPA2}/later")
    assert d["spec"]["replicas"] == 2 and conditions(h)["AbleToScale"] == ("True", "SucceededGetScale")


async def test_unscalable_and_unknown_targets(api: Api) -> None:
    await api.post("/api/v1/namespaces/default/configmaps", {"metadata": {"name": "cfg"}, "data": {}})
    await api.post(HPA2, hpa("cm", "cfg", 1, 2, kind="ConfigMap", api_version="v1"))
    await api.post(HPA2, hpa("nope", "x", 1, 2, kind="Gizmo", api_version="example.com/v1"))
    cm_hpa, nope = await converge(api, f"{HPA2}/cm", f"{HPA2}/nope")
    assert conditions(cm_hpa) == conditions(nope) == {"AbleToScale": ("False", "FailedGetScale")}
    assert 'no matches for kind "Gizmo" in group "example.com"' in nope["status"]["conditions"][0]["message"]


async def test_zero_replicas_disable_autoscaling(api: Api) -> None:
    await api.post(f"{APPS}/deployments", deployment("off", 0))
    await api.post(HPA2, hpa("off", "off", 2, 3))
    d, h = await converge(api, f"{APPS}/deployments/off", f"{HPA2}/off")
    assert d["spec"]["replicas"] == 0
    assert (
        conditions(h)["ScalingActive"] == ("False", "ScalingDisabled") and h["status"]["desiredReplicas"] == 0
    )


@pytest.mark.parametrize(
    ("metric", "reason"),
    [
        (
            {
                "type": "Pods",
                "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}},
            },
            "FailedGetPodsMetric",
        ),
        (
            {
                "type": "External",
                "external": {"metric": {"name": "queue"}, "target": {"type": "Value", "value": "5"}},
            },
            "FailedGetExternalMetric",
        ),
        (
            {
                "type": "Resource",
                "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "1Gi"}},
            },
            "FailedGetResourceMetric",
        ),
    ],
)
async def test_metric_failure_reason_follows_the_first_metric(
    api: Api, metric: dict[str, Any], reason: str
) -> None:
    await api.post(f"{APPS}/deployments", deployment("m", 1))
    await api.post(HPA2, hpa("m", "m", 1, 3, metrics=[metric, CPU]))
    (h,) = await converge(api, f"{HPA2}/m")
    assert conditions(h)["ScalingActive"] == ("False", reason)


async def test_autoscaling_v1_object(api: Api) -> None:
    await api.post(f"{APPS}/deployments", deployment("old", 1))
    body = {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "old"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "old"},
            "minReplicas": 2,
            "maxReplicas": 4,
            "targetCPUUtilizationPercentage": 60,
        },
    }
    status, created = await api.post(HPA1, body)
    assert status == 201 and "metrics" not in created["spec"]  # v1 has no metrics list to default
    d, h = await converge(api, f"{APPS}/deployments/old", f"{HPA1}/old")
    assert d["spec"]["replicas"] == 2
    assert h["spec"]["targetCPUUtilizationPercentage"] == 60  # status writes never touch the spec
    assert h["status"]["currentReplicas"] == 2 and h["status"]["desiredReplicas"] == 2
    assert conditions(h)["ScalingActive"] == ("False", "FailedGetResourceMetric")


async def test_custom_resource_with_scale_paths(api: Api) -> None:
    crd = copy.deepcopy(WIDGET_CRD)
    version = crd["spec"]["versions"][0]
    version["subresources"]["scale"] = {
        "specReplicasPath": ".spec.size",
        "statusReplicasPath": ".status.count",
        "labelSelectorPath": ".status.selector",
    }
    await api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    widgets = "/apis/example.com/v1/namespaces/default/widgets"
    await api.post(
        widgets,
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1}},
    )
    await api.put(
        f"{widgets}/w/status",
        {
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w"},
            "status": {"count": 1, "selector": "app=w"},
        },
    )
    await api.post(HPA2, hpa("w", "w", 3, 6, kind="Widget", api_version="example.com/v1"))
    w, scale = await converge(api, f"{widgets}/w", f"{widgets}/w/scale")
    assert w["spec"]["size"] == 3 and w["metadata"]["generation"] == 2
    assert scale["spec"]["replicas"] == 3 and scale["status"] == {"replicas": 1, "selector": "app=w"}


async def test_workloads_off_means_no_autoscaler() -> None:
    async with EmbeddedAPIServer(workloads=False) as server, aiohttp.ClientSession() as session:
        api = Api(server, session)
        await api.post(f"{APPS}/deployments", deployment("still", 1))
        await api.post(HPA2, hpa("still", "still", 3, 4))
        d, h = await converge(api, f"{APPS}/deployments/still", f"{HPA2}/still")
        assert d["spec"]["replicas"] == 1 and "conditions" not in h["status"]


@pytest.fixture
def kubectl(shared_server: EmbeddedAPIServer) -> Iterator[KubectlIn]:
    with kubectl_namespace(shared_server, "hpa") as k:
        yield k


def test_kubectl_autoscale(kubectl: KubectlIn) -> None:
    kubectl.apply({**deployment("site", None), "metadata": {"name": "site", "namespace": "hpa"}})
    kubectl.run("autoscale", "deployment", "site", "--min=2", "--max=4", "--cpu-percent=70")
    kubectl.run("wait", "deployment/site", "--for=jsonpath={.spec.replicas}=2", "--timeout=10s")
    kubectl.run("wait", "hpa/site", "--for=condition=ScalingActive=False", "--timeout=10s")
    header, row = kubectl.out("get", "hpa", "site").splitlines()
    assert header.split() == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert row.split()[:7] == ["site", "Deployment/site", "cpu:", "<unknown>/70%", "2", "4", "2"]
    described = kubectl.out("describe", "hpa", "site")
    assert "FailedGetResourceMetric" in described and "SucceededGetScale" in described
