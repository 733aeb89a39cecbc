"""API discovery documents: legacy (`/api`, `/apis`, per group-version) and aggregated v2."""

from __future__ import annotations

from typing import Any

from pykro.apiserver.registry.kinds import Catalog, ServedKind

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"

_SUB_VERBS = {"status": ["get", "patch", "update"], "scale": ["get", "patch", "update"]}


def _gv(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def api_group(catalog: Catalog, group: str) -> dict[str, Any] | None:
    for g, versions in catalog.groups():
        if g == group and g:
            gvs = [{"groupVersion": _gv(g, v), "version": v} for v in versions]
            return {
                "kind": "APIGroup",
                "apiVersion": "v1",
                "name": g,
                "versions": gvs,
                "preferredVersion": gvs[0],
            }
    return None


def api_group_list(catalog: Catalog) -> dict[str, Any]:
    groups = []
    for g, _ in catalog.groups():
        if g:
            doc = api_group(catalog, g)
            assert doc is not None
            doc.pop("kind")
            doc.pop("apiVersion")
            groups.append(doc)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


# The scale subresource always speaks autoscaling/v1 Scale.
_SCALE = ("autoscaling", "v1", "Scale")


def resource_list(catalog: Catalog, group: str, version: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for k in catalog.kinds(group, version):
        entry: dict[str, Any] = {
            "name": k.plural,
            "singularName": k.singular,
            "namespaced": k.namespaced,
            "kind": k.kind,
            "verbs": list(k.verbs),
        }
        if k.short_names:
            entry["shortNames"] = list(k.short_names)
        if k.categories:
            entry["categories"] = list(k.categories)
        resources.append(entry)
        for sub in sorted(k.subresources):
            sub_entry: dict[str, Any] = {
                "name": f"{k.plural}/{sub}",
                "singularName": "",
                "namespaced": k.namespaced,
                "kind": k.kind,
                "verbs": _SUB_VERBS.get(sub, ["get"]),
            }
            if sub == "scale":
                g, v, kind = _SCALE
                sub_entry.update({"group": g, "version": v, "kind": kind})
            resources.append(sub_entry)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": _gv(group, version),
        "resources": resources,
    }


def _aggregated_resource(k: ServedKind) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": k.plural,
        "responseKind": {"group": k.group, "version": k.version, "kind": k.kind},
        "scope": "Namespaced" if k.namespaced else "Cluster",
        "singularResource": k.singular,
        "verbs": list(k.verbs),
    }
    if k.short_names:
        entry["shortNames"] = list(k.short_names)
    if k.categories:
        entry["categories"] = list(k.categories)
    subs = []
    for sub in sorted(k.subresources):
        if sub == "scale":
            g, v, kind = _SCALE
            rk = {"group": g, "version": v, "kind": kind}
        else:
            rk = {"group": k.group, "version": k.version, "kind": k.kind}
        subs.append({"subresource": sub, "responseKind": rk, "verbs": _SUB_VERBS.get(sub, ["get"])})
    if subs:
        entry["subresources"] = subs
    return entry


def aggregated(
    catalog: Catalog, *, core: bool, api_version: str = "apidiscovery.k8s.io/v2"
) -> dict[str, Any]:
    """`/api` (core only) or `/apis` (every other group) as an APIGroupDiscoveryList."""
    items = []
    for g, versions in catalog.groups():
        if (g == "") != core:
            continue
        items.append(
            {
                "metadata": {"name": g, "creationTimestamp": None},
                "versions": [
                    {
                        "version": v,
                        "resources": [_aggregated_resource(k) for k in catalog.kinds(g, v)],
                        "freshness": "Current",
                    }
                    for v in versions
                ],
            }
        )
    return {"kind": "APIGroupDiscoveryList", "apiVersion": api_version, "metadata": {}, "items": items}
