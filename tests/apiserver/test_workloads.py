"""The simulated workload controllers: Deployments roll, Pods get Ready, Jobs complete, Services get
endpoints, PVCs bind; through raw HTTPS, kubectl (`rollout status`, `wait`) and the e2e asserts."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from pykro.apiserver import EmbeddedAPIServer
from pykro.schema.gvk import GVK
from pykro.testing.assertion import match
from tests.apiserver.conftest import Api, KubectlIn, kubectl_namespace
from tests.apiserver.test_builtin_defaults import E2E, cases, resolve

NS = "/api/v1/namespaces/default"
APPS = "/apis/apps/v1/namespaces/default"


def deployment(name: str, image: str = "nginx:1.25", replicas: int = 3) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {"name": "main", "image": image, "ports": [{"name": "http", "containerPort": 8080}]}
                    ]
                },
            },
        },
    }


async def owned(api: Api, path: str, owner_uid: str) -> list[dict[str, Any]]:
    _, listed = await api.get(path)
    return [
        o
        for o in listed["items"]
        if any(r["uid"] == owner_uid for r in o["metadata"].get("ownerReferences", []))
    ]


async def test_deployment_rolls_through_replicasets_and_pods(api: Api) -> None:
    _, d = await api.post(f"{APPS}/deployments", deployment("web"))
    await api.server.settle()
    _, d = await api.get(f"{APPS}/deployments/web")
    status = d["status"]
    assert {
        k: status[k]
        for k in ("observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
    } == {
        "observedGeneration": 1,
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
    }
    assert [(c["type"], c["status"], c["reason"]) for c in status["conditions"]] == [
        ("Available", "True", "MinimumReplicasAvailable"),
        ("Progressing", "True", "NewReplicaSetAvailable"),
    ]
    [rs1] = await owned(api, f"{APPS}/replicasets", d["metadata"]["uid"])
    hash1 = rs1["metadata"]["labels"]["pod-template-hash"]
    assert rs1["metadata"]["name"] == f"web-{hash1}" and rs1["spec"]["selector"]["matchLabels"] == {
        "app": "web",
        "pod-template-hash": hash1,
    }
    assert rs1["status"]["readyReplicas"] == 3 and rs1["metadata"]["ownerReferences"][0]["controller"] is True
    pods = await owned(api, f"{NS}/pods", rs1["metadata"]["uid"])
    assert len(pods) == 3 and all(p["status"]["phase"] == "Running" for p in pods)
    assert all(
        {"type": "Ready", "status": "True"}.items() <= p["status"]["conditions"][2].items() for p in pods
    )
    assert len({p["status"]["podIP"] for p in pods}) == 3

    # a template change makes a new ReplicaSet and scales the old one to 0
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    _, d = await api.put(f"{APPS}/deployments/web", d)
    await api.server.settle()
    _, d = await api.get(f"{APPS}/deployments/web")
    assert (
        d["status"]["observedGeneration"] == 2
        and d["status"]["updatedReplicas"] == 3
        and d["status"]["replicas"] == 3
    )
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    sets = {
        rs["metadata"]["name"]: rs for rs in await owned(api, f"{APPS}/replicasets", d["metadata"]["uid"])
    }
    assert len(sets) == 2 and sets[rs1["metadata"]["name"]]["spec"]["replicas"] == 0
    [rs2] = [rs for name, rs in sets.items() if name != rs1["metadata"]["name"]]
    assert len(await owned(api, f"{NS}/pods", rs1["metadata"]["uid"])) == 0
    assert [
        p["spec"]["containers"][0]["image"] for p in await owned(api, f"{NS}/pods", rs2["metadata"]["uid"])
    ] == ["nginx:1.26"] * 3

    # the same template hashes the same: rolling back reuses the first ReplicaSet
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.25"
    await api.put(f"{APPS}/deployments/web", d)
    await api.server.settle()
    sets = {
        rs["metadata"]["name"]: rs for rs in await owned(api, f"{APPS}/replicasets", d["metadata"]["uid"])
    }
    assert len(sets) == 2 and sets[rs1["metadata"]["name"]]["spec"]["replicas"] == 3

    # scaling down removes pods; the Service in front of them tracks the ready ones
    await api.post(
        f"{NS}/services",
        {
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]},
        },
    )
    await api.patch(f"{APPS}/deployments/web", {"spec": {"replicas": 1}})
    await api.server.settle()
    _, ep = await api.get(f"{NS}/endpoints/web")
    assert len(ep["subsets"][0]["addresses"]) == 1 and ep["subsets"][0]["ports"] == [
        {"port": 8080, "protocol": "TCP"}
    ]
    _, slices = await api.get(
        "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name=web"
    )
    [eps] = slices["items"]
    assert len(eps["endpoints"]) == 1 and eps["endpoints"][0]["conditions"]["ready"] is True


async def test_other_workloads_report_ready(api: Api) -> None:
    template = {
        "metadata": {"labels": {"app": "x"}},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    }
    await api.post(
        f"{APPS}/statefulsets",
        {
            "metadata": {"name": "db"},
            "spec": {
                "replicas": 2,
                "serviceName": "db",
                "selector": {"matchLabels": {"app": "x"}},
                "template": template,
            },
        },
    )
    await api.post(
        f"{APPS}/daemonsets",
        {
            "metadata": {"name": "agent"},
            "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": template},
        },
    )
    job_template = copy.deepcopy(template)
    job_template["spec"]["restartPolicy"] = "Never"
    await api.post(
        "/apis/batch/v1/namespaces/default/jobs",
        {"metadata": {"name": "once"}, "spec": {"completions": 2, "template": job_template}},
    )
    await api.post(
        f"{NS}/persistentvolumeclaims",
        {
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        },
    )
    await api.post(f"{NS}/pods", {"metadata": {"name": "solo"}, "spec": template["spec"]})
    await api.server.settle()
    _, sts = await api.get(f"{APPS}/statefulsets/db")
    assert sts["status"]["readyReplicas"] == 2 and sts["status"]["observedGeneration"] == 1
    _, ds = await api.get(f"{APPS}/daemonsets/agent")
    assert ds["status"]["numberReady"] == ds["status"]["desiredNumberScheduled"] == 1
    _, job = await api.get("/apis/batch/v1/namespaces/default/jobs/once")
    assert job["status"]["succeeded"] == 2 and job["status"]["completionTime"]
    assert {"type": "Complete", "status": "True"}.items() <= job["status"]["conditions"][-1].items()
    _, pvc = await api.get(f"{NS}/persistentvolumeclaims/data")
    assert pvc["status"] == {
        "phase": "Bound",
        "accessModes": ["ReadWriteOnce"],
        "capacity": {"storage": "1Gi"},
    }
    _, pod = await api.get(f"{NS}/pods/solo")
    assert pod["status"]["phase"] == "Running"


async def test_controllers_settle_and_write_nothing_more(api: Api) -> None:
    await api.post(f"{APPS}/deployments", deployment("still", replicas=2))
    await api.server.settle()
    rv = api.server.store.rv
    await asyncio.sleep(0.05)
    await api.server.settle()
    assert api.server.store.rv == rv, "converged controllers make no further writes"


async def test_workloads_off_and_delay() -> None:
    async with EmbeddedAPIServer(workloads=False) as off:
        kind = off.catalog.lookup("apps", "v1", "deployments")
        assert kind is not None
        await off.handler.resources.create(kind, "default", deployment("idle"))
        await off.settle()
        assert off.store.items(("apps", "replicasets")) == []
    async with EmbeddedAPIServer(workload_delay=0.5) as slow:
        kind = slow.catalog.lookup("apps", "v1", "deployments")
        assert kind is not None
        await slow.handler.resources.create(kind, "default", deployment("later", replicas=1))
        await asyncio.sleep(0.02)  # 25x margin: only a stalled loop could let the delay pass first
        assert slow.store.items(("apps", "replicasets")) == [], "nothing happens before the delay"
        await slow.settle()
        status = slow.store.get(("apps", "deployments"), "default", "later")["status"]  # type: ignore[index]
        assert status["availableReplicas"] == 1


@pytest.mark.parametrize(("scenario", "instance_file", "assert_file"), cases())
async def test_e2e_asserts_hold_through_the_server(
    api: Api, scenario: str, instance_file: str, assert_file: str
) -> None:
    from pykro.apiserver.admission.structural import default_and_prune
    from pykro.schema.simpleschema import to_openapi

    folder = E2E / scenario
    rgd = yaml.safe_load((folder / "rgd.yaml").read_text())
    expected = yaml.safe_load((folder / assert_file).read_text())
    instance = yaml.safe_load((folder / instance_file).read_text())
    instance = default_and_prune(
        instance, {"type": "object", "properties": {"spec": to_openapi(rgd["spec"]["schema"]["spec"])}}
    )
    template = next(
        r["template"]
        for r in rgd["spec"]["resources"]
        if r.get("template", {}).get("kind") == expected["kind"]
    )
    obj = resolve(template, {"schema": instance})
    obj["metadata"].pop("namespace", None)
    gvk = GVK.from_api_version(obj["apiVersion"], obj["kind"])
    kind = api.server.catalog.find_kind(gvk.group, gvk.version, gvk.kind)
    assert kind is not None
    prefix = f"/apis/{kind.group}/{kind.version}" if kind.group else f"/api/{kind.version}"
    status, created = await api.post(f"{prefix}/namespaces/default/{kind.plural}", obj)
    assert status == 201, created
    await api.server.settle()
    _, stored = await api.get(f"{prefix}/namespaces/default/{kind.plural}/{obj['metadata']['name']}")
    expected["metadata"] = {k: v for k, v in expected["metadata"].items() if k == "name"}
    if expected.get("spec", {}).get("replicas") not in (None, obj["spec"].get("replicas", 1)):
        pytest.skip("replicas changed by an HPA in this scenario")
    assert match(expected, stored) == []  # chainsaw partial match


@pytest.fixture(scope="module")
def kubectl(shared_server: EmbeddedAPIServer) -> Iterator[KubectlIn]:
    with kubectl_namespace(shared_server, "wl") as k:
        yield k


def test_kubectl_rollout_status_and_wait(kubectl: KubectlIn) -> None:
    kubectl.out("apply", "-f", "-", stdin=yaml.safe_dump(deployment("roll")))
    assert 'deployment "roll" successfully rolled out' in kubectl.out(
        "rollout", "status", "deployment/roll", "--timeout=30s"
    )
    kubectl.out("set", "image", "deployment/roll", "main=nginx:1.27")
    assert "successfully rolled out" in kubectl.out("rollout", "status", "deployment/roll", "--timeout=30s")
    assert "2" in kubectl.out(
        "get",
        "deployment",
        "roll",
        "-o",
        "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}",
    )
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j"},
        "spec": {
            "template": {
                "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}
            }
        },
    }
    kubectl.out("apply", "-f", "-", stdin=yaml.safe_dump(job))
    kubectl.out("wait", "--for=condition=complete", "job/j", "--timeout=30s")


async def test_deleting_a_huge_deployment_stops_the_simulated_pod_creation(api: Api) -> None:
    deploys, pods = "/apis/apps/v1/namespaces/default/deployments", "/api/v1/namespaces/default/pods"
    status, _ = await api.post(deploys, deployment("huge", replicas=100_000))
    assert status == 201

    async def pod_count() -> int:
        status, listed = await api.get(f"{pods}?labelSelector=app%3Dhuge")
        assert status == 200
        return len(listed["items"])

    for _ in range(600):  # the ReplicaSet starts creating Pods in slow-start batches
        if await pod_count() >= 7:
            break
        await asyncio.sleep(0.05)
    status, _ = await api.delete(f"{deploys}/huge")
    assert status == 200
    for _ in range(1200):  # the garbage collector removes the ReplicaSet, then its Pods: none come back
        if await pod_count() == 0:
            break
        await asyncio.sleep(0.1)
    await api.server.settle()
    assert await pod_count() == 0
    assert (await api.get("/apis/apps/v1/namespaces/default/replicasets"))[1]["items"] == []
