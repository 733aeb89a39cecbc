"""CRDs: conditions, serving, discovery, OpenAPI, schema updates, deletion of their objects."""

from __future__ import annotations

import copy

from tests.apiserver.conftest import WIDGET_CRD, Api

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
WIDGETS = "/apis/example.com/v1/namespaces/default/widgets"


def widget(name: str, size: int = 1) -> dict[str, object]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": name},
        "spec": {"size": size},
    }


async def test_crd_is_established_and_served_at_once(api: Api) -> None:
    status, crd = await api.post(CRDS, WIDGET_CRD)
    assert status == 201
    conds = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
    assert conds == {"NamesAccepted": "True", "Established": "True"}
    assert crd["status"]["acceptedNames"]["kind"] == "Widget" and crd["status"]["storedVersions"] == ["v1"]
    status, w = await api.post(WIDGETS, widget("w1", 3))
    assert status == 201 and w["metadata"]["generation"] == 1 and w["spec"]["size"] == 3
    _, listed = await api.get("/apis/example.com/v1/widgets")
    assert [i["metadata"]["name"] for i in listed["items"]] == ["w1"] and listed["kind"] == "WidgetList"


async def test_custom_resource_status_and_generation(api: Api) -> None:
    await api.post(CRDS, WIDGET_CRD)
    await api.post(WIDGETS, {**widget("g"), "status": {"ignored": True}})
    _, w = await api.get(f"{WIDGETS}/g")
    assert "status" not in w, "status is dropped on create when the status subresource is on"
    status, w = await api.patch(
        f"{WIDGETS}/g/status", {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    )
    assert status == 200 and w["metadata"]["generation"] == 1
    _, w = await api.patch(f"{WIDGETS}/g", {"spec": {"size": 9}})
    assert w["metadata"]["generation"] == 2 and w["status"]["conditions"][0]["status"] == "True"
    _, t = await api.get(WIDGETS, headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
    assert [c["name"] for c in t["columnDefinitions"]] == ["Name", "Size", "Ready", "Age"]
    assert t["rows"][0]["cells"][:3] == ["g", 9, "True"]


async def test_crd_in_discovery_and_openapi(api: Api) -> None:
    await api.post(CRDS, WIDGET_CRD)
    _, group = await api.get("/apis/example.com")
    assert group["preferredVersion"]["groupVersion"] == "example.com/v1"
    _, rl = await api.get("/apis/example.com/v1")
    by_name = {r["name"]: r for r in rl["resources"]}
    assert by_name["widgets"]["shortNames"] == ["wd"] and by_name["widgets"]["categories"] == ["all"]
    assert "widgets/status" in by_name
    _, agg = await api.get(
        "/apis", headers={"Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"}
    )
    groups = {i["metadata"]["name"]: i for i in agg["items"]}
    res = groups["example.com"]["versions"][0]["resources"][0]
    assert (
        res["resource"] == "widgets"
        and res["scope"] == "Namespaced"
        and res["subresources"][0]["subresource"] == "status"
    )
    _, index = await api.get("/openapi/v3")
    url = index["paths"]["apis/example.com/v1"]["serverRelativeURL"]
    _, doc = await api.get(url)
    schema = doc["components"]["schemas"]["com.example.v1.Widget"]
    assert schema["properties"]["spec"]["properties"]["size"]["type"] == "integer"
    assert schema["x-kubernetes-group-version-kind"] == [
        {"group": "example.com", "version": "v1", "kind": "Widget"}
    ]


async def test_schema_update_is_accepted_and_published(api: Api) -> None:
    _, crd = await api.post(CRDS, WIDGET_CRD)
    _, before = await api.get("/openapi/v3")
    updated = copy.deepcopy(crd)
    props = updated["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    props["color"] = {"type": "string"}
    status, after_crd = await api.put(f"{CRDS}/widgets.example.com", updated)
    assert status == 200 and after_crd["metadata"]["generation"] == 2
    _, after = await api.get("/openapi/v3")
    url = after["paths"]["apis/example.com/v1"]["serverRelativeURL"]
    assert url != before["paths"]["apis/example.com/v1"]["serverRelativeURL"]
    _, doc = await api.get(url)
    assert (
        "color" in doc["components"]["schemas"]["com.example.v1.Widget"]["properties"]["spec"]["properties"]
    )


async def test_deleting_crd_removes_objects_and_endpoints(api: Api) -> None:
    await api.post(CRDS, WIDGET_CRD)
    await api.post(WIDGETS, widget("a"))
    await api.post(WIDGETS, widget("b"))
    status, _ = await api.delete(f"{CRDS}/widgets.example.com")
    assert status == 200
    assert (await api.get(f"{CRDS}/widgets.example.com"))[0] == 404
    assert (await api.get(WIDGETS))[0] == 404
    await api.post(CRDS, WIDGET_CRD)
    _, listed = await api.get(WIDGETS)
    assert listed["items"] == [], "objects of a deleted CRD do not come back"


async def test_crd_with_finalized_objects_waits_for_them(api: Api) -> None:
    await api.post(CRDS, WIDGET_CRD)
    await api.post(WIDGETS, {**widget("held"), "metadata": {"name": "held", "finalizers": ["x/y"]}})
    await api.delete(f"{CRDS}/widgets.example.com")
    _, crd = await api.get(f"{CRDS}/widgets.example.com")
    assert crd["metadata"]["deletionTimestamp"]
    assert any(c["type"] == "Terminating" for c in crd["status"]["conditions"])
    _, held = await api.get(f"{WIDGETS}/held")
    assert held["metadata"]["deletionTimestamp"]
    await api.patch(f"{WIDGETS}/held", {"metadata": {"finalizers": None}})
    assert (await api.get(f"{CRDS}/widgets.example.com"))[0] == 404


async def test_invalid_crd_is_rejected(api: Api) -> None:
    bad = copy.deepcopy(WIDGET_CRD)
    bad["metadata"]["name"] = "wrong.example.com"
    status, err = await api.post(CRDS, bad)
    assert status == 422 and any(c["field"] == "metadata.name" for c in err["details"]["causes"])
    assert (await api.get("/apis/example.com/v1"))[0] == 404


async def test_cluster_scoped_crd(api: Api) -> None:
    crd = copy.deepcopy(WIDGET_CRD)
    crd["metadata"]["name"] = "gadgets.example.com"
    crd["spec"]["scope"] = "Cluster"
    crd["spec"]["names"] = {"plural": "gadgets", "kind": "Gadget"}
    await api.post(CRDS, crd)
    status, g = await api.post(
        "/apis/example.com/v1/gadgets",
        {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}},
    )
    assert status == 201 and "namespace" not in g["metadata"]
    assert (await api.get("/apis/example.com/v1/namespaces/default/gadgets"))[0] == 404


async def test_crd_defaults_as_kube_apiserver_fills_them(api: Api) -> None:
    crd = copy.deepcopy(WIDGET_CRD)
    del crd["spec"]["names"]["singular"]
    status, created = await api.post(CRDS, crd)
    assert status == 201
    assert created["spec"]["conversion"] == {"strategy": "None"}
    assert (
        created["spec"]["names"]["singular"] == "widget"
        and created["spec"]["names"]["listKind"] == "WidgetList"
    )
    # a client re-sending the definition without the defaults changes nothing: same generation
    crd["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
    status, updated = await api.put(f"{CRDS}/widgets.example.com", crd)
    assert status == 200 and updated["metadata"]["generation"] == 1
    assert updated["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    # a given conversion is kept; a webhook's service port defaults to 443
    webhook = copy.deepcopy(WIDGET_CRD)
    webhook["metadata"]["name"] = "gadgets.example.com"
    webhook["spec"]["names"] = {"plural": "gadgets", "kind": "Gadget"}
    webhook["spec"]["conversion"] = {
        "strategy": "Webhook",
        "webhook": {
            "conversionReviewVersions": ["v1"],
            "clientConfig": {"service": {"namespace": "default", "name": "conv"}},
        },
    }
    status, created = await api.post(CRDS, webhook)
    assert (
        status == 201 and created["spec"]["conversion"]["webhook"]["clientConfig"]["service"]["port"] == 443
    )


async def test_crd_conversion_is_validated(api: Api) -> None:
    bad = copy.deepcopy(WIDGET_CRD)
    bad["spec"]["conversion"] = {"strategy": "Magic"}
    status, body = await api.post(CRDS, bad)
    assert status == 422 and body["details"]["causes"][0]["field"] == "spec.conversion.strategy"
    bad["spec"]["conversion"] = {"strategy": "Webhook"}
    status, body = await api.post(CRDS, bad)
    assert status == 422 and body["details"]["causes"][0]["field"] == "spec.conversion.webhook"
