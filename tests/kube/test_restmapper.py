"""The REST mapper over canned discovery documents."""

from __future__ import annotations

from typing import Any

import pytest

from pykro.kube.errors import NotFound, ServerError, error_from_status
from pykro.kube.restmapper import GVR, RESTMapper, UnknownKind, parse_resource_list
from pykro.schema.gvk import GVK

from . import discovery_docs as docs


class Discovery:
    """Serves the canned documents by path and records what was asked (a fetch function, not a server)."""

    def __init__(self) -> None:
        self.docs: dict[str, Any] = {
            "/api": docs.CORE_VERSIONS,
            "/apis": docs.GROUPS,
            "/api/v1": docs.CORE_V1,
            "/apis/apps/v1": docs.APPS_V1,
            "/apis/kro.run/v1alpha1": docs.KRO_V1ALPHA1,
            "/apis/metrics.k8s.io/v1beta1": docs.SERVICE_UNAVAILABLE,
        }
        self.calls: list[str] = []

    async def __call__(self, path: str) -> Any:
        self.calls.append(path)
        doc = self.docs.get(path)
        if doc is None:
            raise error_from_status({"kind": "Status", "code": 404, "reason": "NotFound", "message": path})
        if doc.get("kind") == "Status":
            raise error_from_status(doc)
        return doc


def test_resource_list_folds_subresources_into_their_kind() -> None:
    by_kind = {r.gvk.kind: r for r in parse_resource_list(docs.CORE_V1)}
    assert set(by_kind) == {"ConfigMap", "Namespace", "Pod"}
    pod = by_kind["Pod"]
    assert pod.subresources == {"log", "status"}
    assert pod.namespaced and pod.plural == "pods" and pod.short_names == ("po",)
    assert by_kind["Namespace"].namespaced is False
    assert by_kind["Namespace"].subresources == {"finalize", "status"}


def test_paths_follow_scope() -> None:
    by_kind = {r.gvk.kind: r for r in parse_resource_list(docs.APPS_V1) + parse_resource_list(docs.CORE_V1)}
    deploy, ns = by_kind["Deployment"], by_kind["Namespace"]
    assert deploy.path("team-a", "web", "status") == "/apis/apps/v1/namespaces/team-a/deployments/web/status"
    assert deploy.path(None) == "/apis/apps/v1/deployments"
    assert ns.path("ignored", "kube-system") == "/api/v1/namespaces/kube-system"
    assert deploy.gvr == GVR("apps", "v1", "deployments")


async def test_full_refresh_survives_a_broken_group() -> None:
    fetch = Discovery()
    mapper = RESTMapper(fetch)
    await mapper.refresh()
    assert (await mapper.resource_for(GVK("apps", "v1", "Deployment"))).plural == "deployments"
    assert (
        await mapper.resource_for(GVK("kro.run", "v1alpha1", "ResourceGraphDefinition"))
    ).namespaced is False
    assert "metrics.k8s.io/v1beta1" in mapper.errors
    assert "unable to handle" in mapper.errors["metrics.k8s.io/v1beta1"]


async def test_lookups_hit_the_cache() -> None:
    fetch = Discovery()
    mapper = RESTMapper(fetch)
    await mapper.refresh()
    before = len(fetch.calls)
    for _ in range(5):
        await mapper.resource_for(GVK("", "v1", "ConfigMap"))
    assert len(fetch.calls) == before


async def test_new_crd_kind_is_discovered_on_first_use() -> None:
    fetch = Discovery()
    mapper = RESTMapper(fetch)
    await mapper.refresh()
    webapp = GVK("kro.run", "v1", "WebApp")
    with pytest.raises(UnknownKind):
        await mapper.resource_for(webapp)
    fetch.docs["/apis/kro.run/v1"] = docs.WEBAPP_V1  # the CRD was just created
    res = await mapper.resource_for(webapp)
    assert res.plural == "webapps" and res.subresources == {"status"}
    assert fetch.calls[-1] == "/apis/kro.run/v1", "only the missing group-version is re-discovered"


async def test_unknown_kind_is_a_not_found_naming_the_kind() -> None:
    mapper = RESTMapper(Discovery())
    with pytest.raises(NotFound, match="'Gadget' in 'example.com/v1'"):
        await mapper.resource_for(GVK("example.com", "v1", "Gadget"))


async def test_broken_group_lookup_reports_its_error() -> None:
    mapper = RESTMapper(Discovery())
    with pytest.raises(UnknownKind, match="unable to handle"):
        await mapper.resource_for(GVK("metrics.k8s.io", "v1beta1", "PodMetrics"))


async def test_concurrent_misses_share_one_request() -> None:
    import asyncio

    fetch = Discovery()
    mapper = RESTMapper(fetch)
    await asyncio.gather(*(mapper.resource_for(GVK("apps", "v1", "Deployment")) for _ in range(10)))
    assert fetch.calls.count("/apis/apps/v1") == 1


async def test_invalidate_forgets_a_deleted_crd() -> None:
    fetch = Discovery()
    mapper = RESTMapper(fetch)
    fetch.docs["/apis/kro.run/v1"] = docs.WEBAPP_V1
    webapp = GVK("kro.run", "v1", "WebApp")
    await mapper.resource_for(webapp)
    del fetch.docs["/apis/kro.run/v1"]
    mapper.invalidate("kro.run/v1")
    with pytest.raises(UnknownKind):
        await mapper.resource_for(webapp)


async def test_find_by_short_name_and_plural() -> None:
    mapper = RESTMapper(Discovery())
    await mapper.refresh()
    assert [r.gvk.kind for r in mapper.find("deploy")] == ["Deployment"]
    assert [r.gvk.kind for r in mapper.find("rgd")] == ["ResourceGraphDefinition"]
    assert [r.gvk.kind for r in mapper.find("configmaps")] == ["ConfigMap"]
    assert [r.gvk.kind for r in mapper.find("deployments.apps")] == ["Deployment"]
    assert mapper.find("pods.apps") == []


def test_status_mapping_picks_the_specific_error() -> None:
    assert isinstance(error_from_status(docs.SERVICE_UNAVAILABLE), ServerError)
