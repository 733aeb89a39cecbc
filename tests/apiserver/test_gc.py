"""Garbage collection and propagationPolicy, over raw HTTPS and through `kubectl delete --cascade`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from pykro.apiserver import EmbeddedAPIServer
from tests.apiserver.conftest import Api, KubectlIn, cm, kubectl_namespace

CMS = "/api/v1/namespaces/default/configmaps"


def ref(owner: dict[str, Any], *, block: bool = False) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "blockOwnerDeletion": block,
    }


async def names(api: Api) -> set[str]:
    _, listed = await api.get(CMS)
    return {o["metadata"]["name"] for o in listed["items"] if o["metadata"]["name"] != "kube-root-ca.crt"}


async def test_background_collects_dependents_but_not_ones_with_a_live_owner(api: Api) -> None:
    _, a = await api.post(CMS, cm("a"))
    _, b = await api.post(CMS, cm("b"))
    await api.post(CMS, cm("only-a", ownerReferences=[ref(a)]))
    await api.post(CMS, cm("a-and-b", ownerReferences=[ref(a), ref(b)]))
    _, child = await api.post(CMS, cm("child-of-a", ownerReferences=[ref(a)]))
    await api.post(CMS, cm("grandchild", ownerReferences=[ref(child)]))
    await api.delete(f"{CMS}/a", {"propagationPolicy": "Background"})
    await api.server.settle()
    assert await names(api) == {"b", "a-and-b"}
    await api.delete(f"{CMS}/b")
    await api.server.settle()
    assert await names(api) == set()


async def test_dangling_owner_collected_unknown_kind_kept(api: Api) -> None:
    gone = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "never",
        "uid": "00000000-0000-0000-0000-000000000000",
    }
    unknown = {**gone, "apiVersion": "example.com/v1", "kind": "Unserved"}
    await api.post(CMS, cm("dangling", ownerReferences=[gone]))
    await api.post(CMS, cm("unjudged", ownerReferences=[unknown]))
    await api.server.settle()
    assert await names(api) == {"unjudged"}


async def test_foreground_waits_for_blocking_dependents(api: Api) -> None:
    _, owner = await api.post(CMS, cm("owner"))
    await api.post(CMS, cm("held", finalizers=["example.com/hold"], ownerReferences=[ref(owner, block=True)]))
    await api.post(CMS, cm("free", ownerReferences=[ref(owner, block=True)]))
    status, deleting = await api.delete(f"{CMS}/owner", {"propagationPolicy": "Foreground"})
    assert status == 200 and deleting["metadata"]["deletionTimestamp"]
    await api.server.settle()
    _, owner_now = await api.get(f"{CMS}/owner")
    assert owner_now["metadata"]["finalizers"] == ["foregroundDeletion"]
    _, held = await api.get(f"{CMS}/held")
    assert held["metadata"]["deletionTimestamp"] and await names(api) == {"owner", "held"}
    await api.patch(f"{CMS}/held", {"metadata": {"finalizers": None}})
    await api.server.settle()
    assert await names(api) == set()


async def test_orphan_removes_owner_references(api: Api) -> None:
    _, owner = await api.post(CMS, cm("owner"))
    _, other = await api.post(CMS, cm("other"))
    await api.post(CMS, cm("dep", ownerReferences=[ref(owner), ref(other)]))
    await api.delete(f"{CMS}/owner?propagationPolicy=Orphan")
    await api.server.settle()
    _, dep = await api.get(f"{CMS}/dep")
    assert [r["name"] for r in dep["metadata"]["ownerReferences"]] == ["other"]
    assert await names(api) == {"other", "dep"}
    status, err = await api.delete(f"{CMS}/other", {"propagationPolicy": "Sideways"})
    assert status == 400 and "Sideways" in err["message"]


async def test_dry_run_delete_with_propagation_changes_nothing(api: Api) -> None:
    _, owner = await api.post(CMS, cm("owner"))
    await api.post(CMS, cm("dep", ownerReferences=[ref(owner)]))
    status, out = await api.delete(f"{CMS}/owner?dryRun=All", {"propagationPolicy": "Foreground"})
    assert status in (200, 202)
    await api.server.settle()
    _, still = await api.get(f"{CMS}/owner")
    assert "deletionTimestamp" not in still["metadata"] and await names(api) == {"owner", "dep"}


async def test_namespace_deletion_goes_through_terminating(api: Api) -> None:
    _, ns = await api.post("/api/v1/namespaces", {"metadata": {"name": "doomed"}})
    assert ns["spec"]["finalizers"] == ["kubernetes"]
    await api.post(
        "/apis/apps/v1/namespaces/doomed/deployments",
        {
            "metadata": {"name": "d"},
            "spec": {
                "selector": {"matchLabels": {"a": "b"}},
                "template": {
                    "metadata": {"labels": {"a": "b"}},
                    "spec": {"containers": [{"name": "c", "image": "i"}]},
                },
            },
        },
    )
    await api.post("/api/v1/namespaces/doomed/configmaps", cm("held", finalizers=["example.com/hold"]))
    await api.server.settle()
    await api.delete("/api/v1/namespaces/doomed")
    await api.server.settle()
    _, ns = await api.get("/api/v1/namespaces/doomed")
    assert ns["status"]["phase"] == "Terminating" and ns["spec"]["finalizers"] == ["kubernetes"]
    _, pods = await api.get("/api/v1/namespaces/doomed/pods")
    assert pods["items"] == []
    status, _ = await api.post("/api/v1/namespaces/doomed/configmaps", cm("late"))
    assert status == 403
    await api.patch("/api/v1/namespaces/doomed/configmaps/held", {"metadata": {"finalizers": None}})
    await api.server.settle()
    assert (await api.get("/api/v1/namespaces/doomed"))[0] == 404


@pytest.fixture(scope="module")
def kubectl(shared_server: EmbeddedAPIServer) -> Iterator[KubectlIn]:
    with kubectl_namespace(shared_server, "gc") as k:
        yield k


def deploy(k: KubectlIn, name: str) -> None:
    doc = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }
    k.out("apply", "-f", "-", stdin=yaml.safe_dump(doc))
    k.out("rollout", "status", f"deployment/{name}", "--timeout=30s")


def listed(k: KubectlIn, what: str, selector: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(k.out("get", what, "-l", selector, "-o", "json"))["items"]
    return items


@pytest.mark.parametrize("cascade", ["background", "foreground"])
def test_kubectl_delete_cascades(kubectl: KubectlIn, cascade: str) -> None:
    name = f"casc-{cascade}"
    deploy(kubectl, name)
    assert len(listed(kubectl, "pods", f"app={name}")) == 2
    kubectl.out("delete", "deployment", name, f"--cascade={cascade}", "--wait=true", "--timeout=30s")
    kubectl.out("wait", "--for=delete", "pods", "-l", f"app={name}", "--timeout=30s")
    assert listed(kubectl, "replicasets", f"app={name}") == []


def test_kubectl_delete_orphan_keeps_replicasets(kubectl: KubectlIn) -> None:
    deploy(kubectl, "orph")
    kubectl.out("delete", "deployment", "orph", "--cascade=orphan", "--wait=true", "--timeout=30s")
    [rs] = listed(kubectl, "replicasets", "app=orph")
    assert rs["metadata"].get("ownerReferences", []) == []
    assert len(listed(kubectl, "pods", "app=orph")) == 2
