"""Defaulting, pruning, validation and managedFields on the write path, over HTTPS."""

from __future__ import annotations

import copy
import ipaddress
from pathlib import Path
from typing import Any

import pytest

from pykro.apiserver import EmbeddedAPIServer
from tests.apiserver.conftest import Api, cm

CMS = "/api/v1/namespaces/default/configmaps"
SVCS = "/api/v1/namespaces/default/services"
DEPLOYS = "/apis/apps/v1/namespaces/default/deployments"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
APPS = "/apis/example.com/v1/namespaces/default/apps"


def app_crd(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "apps.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "apps", "singular": "app", "kind": "App"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }


SPEC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["name"],
            "x-kubernetes-validations": [
                {"rule": "self.replicas >= oldSelf.replicas", "message": "no scaling down"}
            ],
            "properties": {
                "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 8},
                "replicas": {"type": "integer", "minimum": 1, "maximum": 10, "default": 2},
                "mode": {"type": "string", "enum": ["fast", "slow"]},
                "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
                "nested": {
                    "type": "object",
                    "default": {},
                    "properties": {"level": {"type": "string", "default": "info"}},
                },
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        },
        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    },
}


def app(obj_name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "App", "metadata": {"name": obj_name}, "spec": spec}


async def test_builtin_validation_rejects_with_causes_and_stores_nothing(api: Api) -> None:
    status, err = await api.post(CMS, cm("x", {"bad key!": "v"}))
    assert status == 422 and err["reason"] == "Invalid"
    assert err["details"]["causes"][0]["field"] == "data[bad key!]"
    assert 'data[bad key!]: Invalid value: "bad key!"' in err["message"]
    assert (await api.get(f"{CMS}/x"))[0] == 404
    bad = {
        "metadata": {"name": "d"},
        "spec": {
            "selector": {"matchLabels": {"app": "a"}},
            "template": {
                "metadata": {"labels": {"app": "b"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }
    status, err = await api.post(DEPLOYS, bad)
    assert status == 422 and "spec.template.metadata.labels" in [c["field"] for c in err["details"]["causes"]]


async def test_builtin_unknown_fields_pruned_warned_or_refused(api: Api) -> None:
    status, got = await api.post(CMS, {**cm("p", {"a": "1"}), "bogus": 1})
    assert status == 201 and "bogus" not in got
    status, err = await api.post(f"{CMS}?fieldValidation=Strict", {**cm("s"), "bogus": 1})
    assert status == 400 and 'unknown field "bogus"' in err["message"]
    for query in ("?fieldValidation=Warn", ""):  # Warn is also the default
        async with api.session.post(
            api.server.url + f"{CMS}{query}",
            json={**cm(f"w{len(query)}"), "bogus": 1},
            headers=api.headers(),
            ssl=api.ssl,
        ) as resp:
            assert resp.status == 201 and 'unknown field \\"bogus\\"' in resp.headers["Warning"], resp.headers
    status, _ = await api.post(f"{CMS}?fieldValidation=Ignore", {**cm("i"), "bogus": 1})
    assert status == 201


async def test_builtin_defaults_and_service_ips(api: Api) -> None:
    dep = {
        "metadata": {"name": "d"},
        "spec": {
            "selector": {"matchLabels": {"app": "d"}},
            "template": {
                "metadata": {"labels": {"app": "d"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }
    status, d = await api.post(DEPLOYS, dep)
    assert status == 201
    assert d["spec"]["replicas"] == 1 and d["spec"]["strategy"]["rollingUpdate"] == {
        "maxSurge": "25%",
        "maxUnavailable": "25%",
    }
    assert d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"
    ips = []
    for name in ("a", "b", "c"):
        status, svc = await api.post(
            SVCS, {"metadata": {"name": name}, "spec": {"ports": [{"port": 80}], "selector": {"app": "d"}}}
        )
        assert status == 201 and svc["spec"]["type"] == "ClusterIP"
        assert svc["spec"]["ports"][0] == {"port": 80, "protocol": "TCP", "targetPort": 80}
        ips.append(svc["spec"]["clusterIP"])
    assert len(set(ips)) == 3 and all(
        ipaddress.ip_address(ip) in ipaddress.ip_network("10.96.0.0/12") for ip in ips
    )
    # an update that leaves the IP out keeps it; changing it is refused
    _, b = await api.get(f"{SVCS}/b")
    b["spec"].pop("clusterIP")
    b["spec"].pop("clusterIPs")
    status, b2 = await api.put(f"{SVCS}/b", b)
    assert status == 200 and b2["spec"]["clusterIP"] == ips[1]
    b2["spec"]["clusterIP"] = "10.96.9.9"
    b2["spec"]["clusterIPs"] = ["10.96.9.9"]
    assert (await api.put(f"{SVCS}/b", b2))[0] == 422
    # a deleted Service's IP is free again and goes to the next one
    await api.delete(f"{SVCS}/a")
    _, d2 = await api.post(SVCS, {"metadata": {"name": "d"}, "spec": {"ports": [{"port": 80}]}})
    assert d2["spec"]["clusterIP"] == ips[0]
    _, np = await api.post(
        SVCS, {"metadata": {"name": "np"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}}
    )
    assert 30000 <= np["spec"]["ports"][0]["nodePort"] <= 32767
    _, ns = await api.post("/api/v1/namespaces", {"metadata": {"name": "fresh"}})
    assert ns["spec"] == {"finalizers": ["kubernetes"]}


async def test_managed_fields_on_ordinary_writes(api: Api) -> None:
    _, c = await api.post(f"{CMS}?fieldManager=maker", cm("m", {"a": "1"}))
    assert [(e["manager"], e["operation"]) for e in c["metadata"]["managedFields"]] == [("maker", "Update")]
    assert "f:a" in c["metadata"]["managedFields"][0]["fieldsV1"]["f:data"]
    _, c = await api.patch(f"{CMS}/m?fieldManager=patcher", {"data": {"b": "2"}})
    owners = {e["manager"]: e["fieldsV1"] for e in c["metadata"]["managedFields"]}
    assert set(owners) == {"maker", "patcher"} and "f:b" in owners["patcher"]["f:data"]
    # without fieldManager the User-Agent names the manager
    _, c = await api.patch(f"{CMS}/m", {"data": {"c": "3"}}, headers={"User-Agent": "tool/1.0 (linux)"})
    assert "tool" in {e["manager"] for e in c["metadata"]["managedFields"]}


async def test_custom_resource_default_prune_validate(api: Api) -> None:
    assert (await api.post(CRDS, app_crd(SPEC_SCHEMA)))[0] == 201
    status, a = await api.post(APPS, {**app("a", name="abc", bogus=1, free={"any": {"thing": 1}})})
    assert status == 201, a
    assert a["spec"] == {
        "name": "abc",
        "replicas": 2,
        "nested": {"level": "info"},
        "free": {"any": {"thing": 1}},
    }
    status, err = await api.post(APPS, app("b", name="ABC", replicas=20, mode="x", tags=["t", "t"]))
    assert status == 422
    fields = sorted(c["field"] for c in err["details"]["causes"])
    assert fields == ["spec.mode", "spec.name", "spec.replicas", "spec.tags[1]"]
    assert {c["reason"] for c in err["details"]["causes"]} == {
        "FieldValueNotSupported",
        "FieldValueInvalid",
        "FieldValueDuplicate",
    }
    status, err = await api.post(APPS, app("c", replicas=3))
    assert status == 422 and err["details"]["causes"][0] == {
        "reason": "FieldValueRequired",
        "message": "Required value",
        "field": "spec.name",
    }
    # transition rule: scaling down is refused on update only
    a["spec"]["replicas"] = 1
    status, err = await api.put(f"{APPS}/a", a)
    assert status == 422 and "no scaling down" in err["message"]
    _, stored = await api.get(f"{APPS}/a")
    assert stored["spec"]["replicas"] == 2


async def test_crd_defaults_must_satisfy_their_own_schema(api: Api) -> None:
    """As kube-apiserver's ValidateDefaults: a default is validated against the schema it sits in
    (`default: {}` on an object with a required field included)."""
    bad = copy.deepcopy(SPEC_SCHEMA)
    spec = bad["properties"]["spec"]
    spec["default"] = {}
    spec["properties"]["replicas"]["default"] = 20
    status, err = await api.post(CRDS, app_crd(bad))
    assert status == 422, err
    causes = {c["field"]: c["message"] for c in err["details"]["causes"]}
    root = "spec.versions[0].schema.openAPIV3Schema.properties[spec]"
    assert causes[f"{root}.default.name"] == "Required value"
    assert causes[f"{root}.properties[replicas].default"].startswith("Invalid value: 20: ")
    assert "should be less than or equal to 10" in causes[f"{root}.properties[replicas].default"]


async def test_crd_schema_change_applies_to_later_writes(api: Api) -> None:
    _, crd = await api.post(CRDS, app_crd(SPEC_SCHEMA))
    assert (await api.post(APPS, app("a", name="abc", replicas=9)))[0] == 201
    tighter = copy.deepcopy(crd)
    tighter["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"][
        "replicas"
    ]["maximum"] = 5
    assert (await api.put(f"{CRDS}/apps.example.com", tighter))[0] == 200
    status, err = await api.post(APPS, app("b", name="abc", replicas=9))
    assert status == 422 and err["details"]["causes"][0]["field"] == "spec.replicas"


@pytest.mark.parametrize("verb", ["create", "update", "merge", "json", "strategic", "apply", "delete"])
async def test_dry_run_on_every_verb_stores_nothing(api: Api, verb: str) -> None:
    _, base = await api.post(CMS, cm("dr", {"a": "1"}))
    rv = base["metadata"]["resourceVersion"]
    q = "?dryRun=All&fieldManager=dr"
    if verb == "create":
        status, out = await api.post(f"{CMS}{q}", cm("dr2", {"a": "1"}))
        assert status == 201 and out["metadata"]["name"] == "dr2"
        assert (await api.get(f"{CMS}/dr2"))[0] == 404
        status, err = await api.post(f"{CMS}{q}", cm("dr3", {"bad key!": "1"}))
        assert status == 422, "dry run validates"
        return
    path = f"{CMS}/dr{q}"
    if verb == "update":
        status, out = await api.put(path, {**base, "data": {"a": "2"}})
    elif verb == "merge":
        status, out = await api.patch(path, {"data": {"a": "2"}})
    elif verb == "json":
        status, out = await api.patch(
            path,
            [{"op": "replace", "path": "/data/a", "value": "2"}],
            content_type="application/json-patch+json",
        )
    elif verb == "strategic":
        status, out = await api.patch(
            path, {"data": {"a": "2"}}, content_type="application/strategic-merge-patch+json"
        )
    elif verb == "apply":
        status, out = await api.patch(
            f"{path}&force=true", cm("dr", {"a": "2"}), content_type="application/apply-patch+yaml"
        )
    else:
        status, out = await api.delete(path)
    assert status == 200, out
    if verb != "delete":
        assert out["data"] == {"a": "2"}
    _, now = await api.get(f"{CMS}/dr")
    assert now["data"] == {"a": "1"} and now["metadata"]["resourceVersion"] == rv


async def test_more_builtin_defaults_and_checks_through_the_server(api: Api) -> None:
    ns = "/apis/batch/v1/namespaces/default"
    pod = {"containers": [{"name": "c", "image": "busybox:1"}], "restartPolicy": "Never"}
    _, job = await api.post(f"{ns}/jobs", {"metadata": {"name": "j"}, "spec": {"template": {"spec": pod}}})
    assert (job["spec"]["backoffLimit"], job["spec"]["completions"], job["spec"]["parallelism"]) == (6, 1, 1)
    uid = job["metadata"]["uid"]
    assert job["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    assert job["spec"]["template"]["metadata"]["labels"]["job-name"] == "j"
    _, cron = await api.post(
        f"{ns}/cronjobs",
        {
            "metadata": {"name": "c"},
            "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": pod}}}},
        },
    )
    assert (cron["spec"]["concurrencyPolicy"], cron["spec"]["successfulJobsHistoryLimit"]) == ("Allow", 3)
    _, pvc = await api.post(
        "/api/v1/namespaces/default/persistentvolumeclaims",
        {
            "metadata": {"name": "p"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        },
    )
    assert pvc["spec"]["volumeMode"] == "Filesystem"
    _, sts = await api.post(
        "/apis/apps/v1/namespaces/default/statefulsets",
        {
            "metadata": {"name": "s"},
            "spec": {
                "serviceName": "s",
                "selector": {"matchLabels": {"a": "b"}},
                "template": {
                    "metadata": {"labels": {"a": "b"}},
                    "spec": {"containers": [{"name": "c", "image": "i"}]},
                },
            },
        },
    )
    assert sts["spec"]["podManagementPolicy"] == "OrderedReady"
    assert sts["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    ingress = {
        "metadata": {"name": "i"},
        "spec": {
            "rules": [
                {
                    "http": {
                        "paths": [
                            {"path": "/", "backend": {"service": {"name": "s", "port": {"number": 80}}}}
                        ]
                    }
                }
            ]
        },
    }
    status, err = await api.post("/apis/networking.k8s.io/v1/namespaces/default/ingresses", ingress)
    assert status == 422 and err["details"]["causes"][0]["field"] == "spec.rules[0].http.paths[0].pathType"
    ingress["spec"]["rules"][0]["http"]["paths"][0]["pathType"] = "Prefix"
    assert (await api.post("/apis/networking.k8s.io/v1/namespaces/default/ingresses", ingress))[0] == 201
    status, err = await api.post(
        f"{ns}/jobs",
        {"metadata": {"name": "bad"}, "spec": {"template": {"spec": {**pod, "restartPolicy": "Always"}}}},
    )
    assert status == 422 and "spec.template.spec.restartPolicy" in err["message"]


async def test_apply_to_status_subresource_and_nullable_fields(api: Api) -> None:
    schema = copy.deepcopy(SPEC_SCHEMA)
    schema["properties"]["spec"]["properties"]["note"] = {"type": "string", "nullable": True}
    await api.post(CRDS, app_crd(schema))
    _, a = await api.post(APPS, app("a", name="abc", note=None, replicas=None))
    assert a["spec"]["note"] is None and a["spec"]["replicas"] == 2, (
        "nullable keeps null; a null with a default defaults"
    )
    ct = "application/apply-patch+yaml"
    status, s = await api.patch(
        f"{APPS}/a/status?fieldManager=ctrl",
        {
            "apiVersion": "example.com/v1",
            "kind": "App",
            "metadata": {"name": "a"},
            "status": {"ready": True},
            "spec": {"name": "ignored"},
        },
        content_type=ct,
    )
    assert status == 200 and s["status"] == {"ready": True} and s["spec"]["name"] == "abc"
    entry = next(e for e in s["metadata"]["managedFields"] if e["manager"] == "ctrl")
    assert entry["subresource"] == "status" and entry["operation"] == "Apply"


async def test_cluster_ips_stay_allocated_across_restarts(tmp_path: Path) -> None:
    body = {"metadata": {"name": "a"}, "spec": {"ports": [{"port": 80}]}}
    async with EmbeddedAPIServer(tmp_path) as first:
        kind = first.catalog.lookup("", "v1", "services")
        assert kind is not None
        a, _ = await first.handler.resources.create(kind, "default", body)
    async with EmbeddedAPIServer(tmp_path) as second:
        b, _ = await second.handler.resources.create(kind, "default", {**body, "metadata": {"name": "b"}})
        assert (
            second.store.get(("", "services"), "default", "a")["spec"]["clusterIP"] == a["spec"]["clusterIP"]
        )  # type: ignore[index]
        assert b["spec"]["clusterIP"] != a["spec"]["clusterIP"]
