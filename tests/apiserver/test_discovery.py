"""Discovery and OpenAPI documents for built-in kinds."""

from __future__ import annotations

from tests.apiserver.conftest import Api

AGG = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"


async def test_version_and_legacy_discovery(api: Api) -> None:
    _, v = await api.get("/version")
    assert v["major"] == "1" and v["gitVersion"].startswith("v1.")
    _, core = await api.get("/api")
    assert core["kind"] == "APIVersions" and core["versions"] == ["v1"]
    _, v1 = await api.get("/api/v1")
    res = {r["name"]: r for r in v1["resources"]}
    assert res["pods"]["namespaced"] and not res["namespaces"]["namespaced"] and "pods/status" in res
    assert res["configmaps"]["shortNames"] == ["cm"] and "watch" in res["configmaps"]["verbs"]
    _, groups = await api.get("/apis")
    names = {g["name"] for g in groups["groups"]}
    assert {
        "apps",
        "batch",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "apiextensions.k8s.io",
    } <= names
    _, apps = await api.get("/apis/apps")
    assert apps["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}


async def test_aggregated_discovery(api: Api) -> None:
    async with api.session.get(
        api.server.url + "/apis", headers=api.headers({"Accept": AGG}), ssl=api.ssl
    ) as resp:
        assert resp.headers["Content-Type"].startswith("application/json;g=apidiscovery.k8s.io;v=v2")
        doc = await resp.json(content_type=None)
    assert doc["kind"] == "APIGroupDiscoveryList"
    apps = next(i for i in doc["items"] if i["metadata"]["name"] == "apps")
    deploy = next(r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments")
    assert deploy["scope"] == "Namespaced" and deploy["shortNames"] == ["deploy"]
    assert {s["subresource"] for s in deploy["subresources"]} >= {"status", "scale"}
    _, core = await api.get("/api", headers={"Accept": AGG})
    assert [i["metadata"]["name"] for i in core["items"]] == [""]


async def test_openapi_v3_index_and_documents(api: Api) -> None:
    _, index = await api.get("/openapi/v3")
    assert "apis/apps/v1" in index["paths"] and "api/v1" in index["paths"]
    url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
    assert "?hash=" in url
    _, doc = await api.get(url)
    schemas = doc["components"]["schemas"]
    deploy = schemas["io.k8s.api.apps.v1.Deployment"]
    assert deploy["x-kubernetes-group-version-kind"][0]["kind"] == "Deployment"
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in schemas, "references are closed over"
    refs = {v["$ref"].rsplit("/", 1)[1] for v in _refs(doc)}
    assert refs <= set(schemas)


def _refs(node: object) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            if isinstance(cur.get("$ref"), str):
                out.append(cur)
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)
    return out
