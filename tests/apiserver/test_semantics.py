"""Object semantics over raw HTTPS: concurrency, generation, status, selectors, paging, errors."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from tests.apiserver.conftest import WIDGET_CRD, Api, cm

# These tests pin API semantics; the simulated controllers would write statuses behind their back.
SERVER_OPTIONS = {"workloads": False}
CMS = "/api/v1/namespaces/default/configmaps"
DEPLOYS = "/apis/apps/v1/namespaces/default/deployments"


def deployment(name: str, replicas: int = 1) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }


async def test_stale_resource_version_conflicts(api: Api) -> None:
    _, first = await api.post(CMS, cm("c", {"v": "0"}))
    stale = dict(first, data={"v": "1"})
    status, _ = await api.put(f"{CMS}/c", stale)
    assert status == 200
    status, err = await api.put(f"{CMS}/c", dict(first, data={"v": "2"}))
    assert status == 409 and err["reason"] == "Conflict" and err["details"]["name"] == "c"
    _, now = await api.get(f"{CMS}/c")
    assert now["data"] == {"v": "1"}


async def test_concurrent_writers_lose_no_update(api: Api) -> None:
    await api.post(CMS, cm("counter", {"n": "0"}))

    async def bump() -> None:
        while True:
            _, cur = await api.get(f"{CMS}/counter")
            cur["data"]["n"] = str(int(cur["data"]["n"]) + 1)
            status, _ = await api.put(f"{CMS}/counter", cur)
            if status == 200:
                return
            assert status == 409

    await asyncio.gather(*(bump() for _ in range(30)))
    _, final = await api.get(f"{CMS}/counter")
    assert final["data"]["n"] == "30"


async def test_generation_and_status_subresource(api: Api) -> None:
    _, d = await api.post(DEPLOYS, deployment("web"))
    assert d["metadata"]["generation"] == 1
    d["metadata"].setdefault("labels", {})["x"] = "y"
    d["status"] = {"replicas": 99}
    _, d2 = await api.put(f"{DEPLOYS}/web", d)
    assert d2["metadata"]["generation"] == 1, "metadata-only change keeps generation"
    assert d2.get("status", {}).get("replicas") is None, "main endpoint ignores status"
    d2["spec"]["replicas"] = 3
    _, d3 = await api.put(f"{DEPLOYS}/web", d2)
    assert d3["metadata"]["generation"] == 2
    status, s = await api.put(
        f"{DEPLOYS}/web/status", dict(d3, status={"replicas": 3, "readyReplicas": 3}, spec={"replicas": 7})
    )
    assert status == 200 and s["status"]["readyReplicas"] == 3 and s["spec"]["replicas"] == 3
    assert s["metadata"]["generation"] == 2
    status, p = await api.patch(f"{DEPLOYS}/web/status", {"status": {"observedGeneration": 2}})
    assert status == 200 and p["status"]["observedGeneration"] == 2 and p["status"]["readyReplicas"] == 3


async def test_noop_update_keeps_resource_version_and_emits_nothing(api: Api) -> None:
    _, c = await api.post(CMS, cm("same", {"a": "1"}))
    status, again = await api.put(f"{CMS}/same", c)
    assert status == 200 and again["metadata"]["resourceVersion"] == c["metadata"]["resourceVersion"]
    status, patched = await api.patch(f"{CMS}/same", {"data": {"a": "1"}})
    assert patched["metadata"]["resourceVersion"] == c["metadata"]["resourceVersion"]
    # A real change follows; had the no-ops emitted anything, it would come first in the replay.
    await api.patch(f"{CMS}/same", {"data": {"a": "2"}})
    events = await api.watch(f"{CMS}?watch=1&resourceVersion={c['metadata']['resourceVersion']}", until=1)
    assert [(e["type"], e["object"]["data"]) for e in events] == [("MODIFIED", {"a": "2"})]


async def test_generate_name_uid_timestamps(api: Api) -> None:
    status, a = await api.post(CMS, {"metadata": {"generateName": "gen-"}, "data": {}})
    _, b = await api.post(CMS, {"metadata": {"generateName": "gen-"}, "data": {}})
    assert status == 201
    assert a["metadata"]["name"].startswith("gen-") and len(a["metadata"]["name"]) == 9
    assert a["metadata"]["name"] != b["metadata"]["name"] and a["metadata"]["uid"] != b["metadata"]["uid"]
    assert a["metadata"]["creationTimestamp"].endswith("Z")


async def test_secret_string_data_merges_into_data(api: Api) -> None:
    body = {
        "metadata": {"name": "s"},
        "data": {"a": base64.b64encode(b"1").decode()},
        "stringData": {"b": "two"},
    }
    status, s = await api.post("/api/v1/namespaces/default/secrets", body)
    assert status == 201 and "stringData" not in s and s["type"] == "Opaque"
    assert {k: base64.b64decode(v).decode() for k, v in s["data"].items()} == {"a": "1", "b": "two"}


async def test_label_and_field_selectors(api: Api) -> None:
    for name, labels in [("a", {"env": "prod", "tier": "web"}), ("b", {"env": "dev"}), ("c", {})]:
        await api.post(CMS, cm(name, labels=labels))

    async def names(query: str) -> list[str]:
        status, body = await api.get(f"{CMS}?{query}")
        assert status == 200, body
        return [i["metadata"]["name"] for i in body["items"]]

    assert await names("labelSelector=env%3Dprod") == ["a"]
    assert await names("labelSelector=env!%3Dprod") == ["b", "c"]
    assert await names("labelSelector=env+in+(prod,dev)") == ["a", "b"]
    assert await names("labelSelector=env+notin+(prod)") == ["b", "c"]
    assert await names("labelSelector=tier") == ["a"]
    assert await names("labelSelector=!tier") == ["b", "c"]
    assert await names("fieldSelector=metadata.name%3Db") == ["b"]
    assert await names("fieldSelector=metadata.namespace%3Ddefault,metadata.name!%3Db") == ["a", "c"]
    status, err = await api.get(f"{CMS}?labelSelector=env+in+prod")
    assert status == 400 and err["reason"] == "BadRequest"


async def test_limit_and_continue(api: Api) -> None:
    for i in range(7):
        await api.post(CMS, cm(f"p{i}"))
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        _, page = await api.get(f"{CMS}?limit=3" + (f"&continue={token}" if token else ""))
        seen += [i["metadata"]["name"] for i in page["items"]]
        pages += 1
        token = page["metadata"].get("continue", "")
        if not token:
            break
        assert page["metadata"]["remainingItemCount"] == 7 - len(seen)
    assert pages == 3 and seen == [f"p{i}" for i in range(7)]


async def test_json_patch_and_merge_patch(api: Api) -> None:
    await api.post(CMS, cm("jp", {"a": "1", "b": "2"}))
    status, p = await api.patch(
        f"{CMS}/jp",
        [
            {"op": "replace", "path": "/data/a", "value": "x"},
            {"op": "remove", "path": "/data/b"},
            {"op": "add", "path": "/metadata/labels", "value": {"k": "v"}},
        ],
        content_type="application/json-patch+json",
    )
    assert status == 200 and p["data"] == {"a": "x"} and p["metadata"]["labels"] == {"k": "v"}
    status, p = await api.patch(f"{CMS}/jp", {"data": {"a": None, "c": "3"}})
    assert status == 200 and p["data"] == {"c": "3"}
    status, err = await api.patch(
        f"{CMS}/jp",
        [{"op": "test", "path": "/data/c", "value": "nope"}],
        content_type="application/json-patch+json",
    )
    assert status == 422 and err["kind"] == "Status"
    status, err = await api.patch(
        f"{CMS}/jp", [{"op": "remove", "path": "/data/missing"}], content_type="application/json-patch+json"
    )
    assert status == 422
    _, final = await api.get(f"{CMS}/jp")
    assert final["data"] == {"c": "3"}


async def test_strategic_merge_patch_on_builtin_and_415_on_custom(api: Api) -> None:
    await api.post(DEPLOYS, deployment("smp"))
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "busybox"}]}}}}
    status, d = await api.patch(
        f"{DEPLOYS}/smp", patch, content_type="application/strategic-merge-patch+json"
    )
    assert status == 200
    assert sorted(c["name"] for c in d["spec"]["template"]["spec"]["containers"]) == ["c", "side"]
    await api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", WIDGET_CRD)
    await api.post(
        "/apis/example.com/v1/namespaces/default/widgets",
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}},
    )
    status, err = await api.patch(
        "/apis/example.com/v1/namespaces/default/widgets/w",
        {"spec": {}},
        content_type="application/strategic-merge-patch+json",
    )
    assert status == 415 and err["reason"] == "UnsupportedMediaType"


async def test_finalizers_hold_deletion_until_removed(api: Api) -> None:
    await api.post(CMS, cm("fin", finalizers=["example.com/hold"]))
    status, d = await api.delete(f"{CMS}/fin")
    assert status == 200 and d["metadata"]["deletionTimestamp"]
    _, held = await api.get(f"{CMS}/fin")
    assert held["metadata"]["deletionTimestamp"] and held["metadata"]["finalizers"] == ["example.com/hold"]
    status, err = await api.patch(f"{CMS}/fin", {"metadata": {"finalizers": ["example.com/hold", "new"]}})
    assert status == 403, err
    status, _ = await api.patch(f"{CMS}/fin", {"metadata": {"finalizers": None}})
    assert status == 200
    status, _ = await api.get(f"{CMS}/fin")
    assert status == 404


async def test_delete_collection_with_selector(api: Api) -> None:
    await api.post(CMS, cm("d1", labels={"k": "x"}))
    await api.post(CMS, cm("d2", labels={"k": "x"}))
    await api.post(CMS, cm("d3"))
    status, body = await api.delete(f"{CMS}?labelSelector=k%3Dx")
    assert status == 200 and sorted(i["metadata"]["name"] for i in body["items"]) == ["d1", "d2"]
    _, rest = await api.get(CMS)
    assert [i["metadata"]["name"] for i in rest["items"]] == ["d3"]


async def test_namespace_deletion_removes_contents(api: Api) -> None:
    await api.post("/api/v1/namespaces", {"metadata": {"name": "tmp"}})
    await api.post("/api/v1/namespaces/tmp/configmaps", cm("x"))
    status, _ = await api.delete("/api/v1/namespaces/tmp")
    assert status == 200
    assert (await api.get("/api/v1/namespaces/tmp"))[0] == 404
    assert (await api.get("/api/v1/namespaces/tmp/configmaps/x"))[0] == 404


async def test_table_and_partial_metadata(api: Api) -> None:
    await api.post(DEPLOYS, deployment("tbl", 2))
    status, t = await api.get(
        DEPLOYS, headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}
    )
    assert status == 200 and t["kind"] == "Table"
    names = [c["name"] for c in t["columnDefinitions"]]
    assert names[0] == "Name" and names[-1] == "Age" and "Ready" in names
    assert t["rows"][0]["cells"][0] == "tbl" and t["rows"][0]["cells"][1] == "0/2"
    assert t["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    status, p = await api.get(
        DEPLOYS, headers={"Accept": "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"}
    )
    assert p["kind"] == "PartialObjectMetadataList" and p["items"][0]["metadata"]["name"] == "tbl"
    assert "spec" not in p["items"][0]
    status, one = await api.get(
        f"{DEPLOYS}/tbl", headers={"Accept": "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"}
    )
    assert one["kind"] == "PartialObjectMetadata" and "spec" not in one


async def test_dry_run_stores_nothing(api: Api) -> None:
    status, obj = await api.post(f"{CMS}?dryRun=All", cm("dry"))
    assert status == 201 and obj["metadata"]["name"] == "dry"
    assert (await api.get(f"{CMS}/dry"))[0] == 404


# bad input -----------------------------------------------------------------------------------------


async def test_malformed_bodies_are_400(api: Api) -> None:
    status, err = await api.post(CMS, None, raw=b"{not json")
    assert status == 400 and err["reason"] == "BadRequest" and "JSON" in err["message"]
    status, err = await api.post(CMS, None, raw=b"a: [unclosed", content_type="application/yaml")
    assert status == 400 and "YAML" in err["message"]
    status, err = await api.post(CMS, None, raw=b"[1, 2]")
    assert status == 400
    status, err = await api.post(
        CMS, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "m"}}
    )
    assert status == 400
    status, ok = await api.post(
        CMS, None, raw=b"metadata: {name: fromyaml}\ndata: {a: b}\n", content_type="application/yaml"
    )
    assert status == 201 and ok["data"] == {"a": "b"}
    _, listed = await api.get(CMS)
    assert [i["metadata"]["name"] for i in listed["items"]] == ["fromyaml"]


async def test_invalid_names_are_422_with_causes(api: Api) -> None:
    status, err = await api.post(CMS, cm("Bad_Name"))
    assert status == 422 and err["reason"] == "Invalid"
    assert err["details"]["causes"][0]["field"] == "metadata.name"
    status, err = await api.post("/api/v1/namespaces", {"metadata": {"name": "has.dot"}})
    assert status == 422, "namespaces use DNS labels"
    status, err = await api.post(
        "/api/v1/namespaces/default/services", {"metadata": {"name": "1svc"}, "spec": {}}
    )
    assert status == 422, "services use DNS-1035 labels"
    status, _ = await api.post(CMS, cm("has.dot"))
    assert status == 201, "configmaps use DNS subdomains"
    status, err = await api.post(CMS, {"metadata": {}})
    assert status == 422 and err["details"]["causes"][0]["reason"] == "FieldValueRequired"
    status, err = await api.post(CMS, cm("lbl", labels={"bad key!": "v"}))
    assert status == 422


async def test_unknown_resources_namespaces_and_verbs(api: Api) -> None:
    assert (await api.get("/apis/nope.example.com/v1/things"))[0] == 404
    assert (await api.get("/api/v1/namespaces/default/nothings"))[0] == 404
    status, err = await api.post("/api/v1/namespaces/missing/configmaps", cm("x"))
    assert status == 404 and err["details"]["kind"] == "namespaces"
    status, err = await api.request("POST", f"{CMS}/named", cm("named"))
    assert status == 405 and err["reason"] == "MethodNotAllowed"
    status, err = await api.request("PATCH", f"{CMS}/x", {"data": {}}, content_type="application/bogus")
    assert status == 415


async def test_body_over_limit_is_413(api: Api) -> None:
    big = cm("big", {"k": "x" * (3 * 1024 * 1024 + 10)})
    status, err = await api.post(CMS, big)
    assert status == 413 and err["kind"] == "Status"
    assert (await api.get(f"{CMS}/big"))[0] == 404


async def test_scale_subresource(api: Api) -> None:
    await api.post(DEPLOYS, deployment("sc", 1))
    status, scale = await api.get(f"{DEPLOYS}/sc/scale")
    assert status == 200 and scale["kind"] == "Scale" and scale["spec"]["replicas"] == 1
    assert scale["status"]["selector"] == "app=sc"
    status, scale = await api.patch(f"{DEPLOYS}/sc/scale", {"spec": {"replicas": 4}})
    assert status == 200 and scale["spec"]["replicas"] == 4
    _, d = await api.get(f"{DEPLOYS}/sc")
    assert d["spec"]["replicas"] == 4 and d["metadata"]["generation"] == 2
    status, _ = await api.patch(f"{DEPLOYS}/sc/scale", {"spec": {"replicas": -1}})
    assert status == 422
    status, scale = await api.patch(
        f"{DEPLOYS}/sc/scale",
        [{"op": "replace", "path": "/spec/replicas", "value": 2}],
        content_type="application/json-patch+json",
    )
    assert status == 200 and scale["spec"]["replicas"] == 2
    status, _ = await api.patch(
        f"{DEPLOYS}/sc/scale",
        [{"op": "remove", "path": "/spec/nope"}],
        content_type="application/json-patch+json",
    )
    assert status == 422


async def test_verbs_a_kind_lacks_are_405(api: Api) -> None:
    status, err = await api.delete("/api/v1/namespaces")
    assert status == 405 and err["reason"] == "MethodNotAllowed", "namespaces have no deletecollection"
    status, _ = await api.post("/api/v1/configmaps", cm("cluster-wide"))
    assert status == 405, "namespaced kinds are created under a namespace"
    _, listed = await api.get("/api/v1/configmaps")
    assert listed["items"] == []


async def test_protobuf_bodies(api: Api) -> None:
    status, err = await api.post(
        CMS, None, raw=b"k8s\x00\x0a\xff", content_type="application/vnd.kubernetes.protobuf"
    )
    assert status == 400 and "protobuf" in err["message"]
    status, err = await api.post(
        CMS, None, raw=b"not-k8s", content_type="application/vnd.kubernetes.protobuf"
    )
    assert status == 400
    _, listed = await api.get(CMS)
    assert listed["items"] == []


async def test_token_review_is_answered_not_stored(api: Api) -> None:
    path = "/apis/authentication.k8s.io/v1/tokenreviews"
    status, good = await api.post(
        path,
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenReview",
            "spec": {"token": api.server.token},
        },
    )
    assert (
        status == 201
        and good["status"]["authenticated"] is True
        and good["status"]["user"]["username"] == "admin"
    )
    _, bad = await api.post(path, {"spec": {"token": "nope"}})
    assert bad["status"]["authenticated"] is False
    assert api.server.store.items(("authentication.k8s.io", "tokenreviews")) == []


async def test_server_side_apply_ownership_and_conflicts(api: Api) -> None:
    yaml_ct = "application/apply-patch+yaml"
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"a": "1"}}
    status, c = await api.patch(f"{CMS}/ssa?fieldManager=alice", body, content_type=yaml_ct)
    assert status == 201 and c["data"] == {"a": "1"}
    assert [(m["manager"], m["operation"]) for m in c["metadata"]["managedFields"]] == [("alice", "Apply")]
    status, err = await api.patch(
        f"{CMS}/ssa?fieldManager=bob", {**body, "data": {"a": "2"}}, content_type=yaml_ct
    )
    assert status == 409 and err["reason"] == "Conflict" and err["details"]["causes"][0]["field"] == ".data.a"
    status, c = await api.patch(
        f"{CMS}/ssa?fieldManager=bob&force=true", {**body, "data": {"a": "2"}}, content_type=yaml_ct
    )
    assert status == 200 and c["data"] == {"a": "2"}
    rv = c["metadata"]["resourceVersion"]
    status, same = await api.patch(
        f"{CMS}/ssa?fieldManager=bob", {**body, "data": {"a": "2"}}, content_type=yaml_ct
    )
    assert status == 200 and same["metadata"]["resourceVersion"] == rv, (
        "re-applying the same config is a no-op"
    )
    status, err = await api.patch(f"{CMS}/ssa", body, content_type=yaml_ct)
    assert status == 422, "apply needs a fieldManager"


async def test_terminating_namespace_waits_for_finalized_contents(api: Api) -> None:
    await api.post("/api/v1/namespaces", {"metadata": {"name": "slow"}})
    await api.post("/api/v1/namespaces/slow/configmaps", cm("held", finalizers=["x/y"]))
    await api.post("/api/v1/namespaces/slow/configmaps", cm("free"))
    await api.delete("/api/v1/namespaces/slow")
    _, ns = await api.get("/api/v1/namespaces/slow")
    assert ns["status"]["phase"] == "Terminating" and ns["metadata"]["deletionTimestamp"]
    assert (await api.get("/api/v1/namespaces/slow/configmaps/free"))[0] == 404
    status, err = await api.post("/api/v1/namespaces/slow/configmaps", cm("new"))
    assert status == 403 and err["reason"] == "Forbidden"
    await api.patch("/api/v1/namespaces/slow/configmaps/held", {"metadata": {"finalizers": []}})
    assert (await api.get("/api/v1/namespaces/slow"))[0] == 404


async def test_default_columns_for_common_kinds(api: Api) -> None:
    table = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}
    await api.post(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
        {
            "metadata": {"name": "rb"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
        },
    )
    _, t = await api.get("/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", headers=table)
    assert [c["name"] for c in t["columnDefinitions"]] == ["Name", "Role", "Age"]
    assert t["rows"][0]["cells"][:2] == ["rb", "Role/r"]
    await api.post(
        "/apis/batch/v1/namespaces/default/jobs",
        {
            "metadata": {"name": "j"},
            "spec": {
                "template": {
                    "spec": {"containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "Never"}
                }
            },
        },
    )
    _, t = await api.get("/apis/batch/v1/namespaces/default/jobs", headers=table)
    assert t["rows"][0]["cells"][:3] == ["j", "Running", "0/1"]
