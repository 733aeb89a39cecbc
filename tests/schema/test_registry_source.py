"""Schema sources: the registry consulting a live cluster's /openapi/v3 (here, a document built in-test)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from pykro.schema.gvk import GVK
from pykro.schema.registry import KindInfo, ResolvedKind, SchemaRegistry, builtin_definitions
from pykro.schema.registry_openapi import OpenAPIComponents

DEPLOYMENT = GVK("apps", "v1", "Deployment")
GADGET = GVK("example.com", "v1", "Gadget")
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def as_server_publishes(node: Any) -> Any:
    """Rewrite a normalized schema the way kube-apiserver's /openapi/v3 spells it."""
    if isinstance(node, list):
        return [as_server_publishes(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    if node.get("x-kubernetes-int-or-string"):
        described = {k: v for k, v in node.items() if k == "description"}
        return {"type": "string", "format": "int-or-string", **described}
    out = {key: as_server_publishes(value) for key, value in node.items()}
    if "$ref" in out and len(out) > 1:  # servers wrap a described reference in allOf
        out = {**{k: v for k, v in out.items() if k != "$ref"}, "allOf": [{"$ref": out["$ref"]}]}
    return out


def reachable(names: list[str], definitions: Mapping[str, dict[str, Any]]) -> set[str]:
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        text = json.dumps(definitions[name])
        todo.extend(part.split('"')[0].rpartition("/")[2] for part in text.split('"$ref": "')[1:])
    return seen


def gadget_definition() -> dict[str, Any]:
    return {
        "description": "A kind only the cluster knows.",
        "type": "object",
        "x-kubernetes-group-version-kind": [{"group": "example.com", "version": "v1", "kind": "Gadget"}],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"allOf": [{"$ref": f"#/components/schemas/{OBJECT_META}"}], "default": {}},
            "spec": {
                "type": "object",
                "properties": {
                    "power": {"type": "integer", "format": "int64"},
                    "port": {
                        "allOf": [
                            {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString"}
                        ]
                    },
                },
            },
        },
    }


def openapi_document(*, with_dependencies: bool = True) -> dict[str, Any]:
    """An /openapi/v3/apis/... document: apps/v1 Deployment and example.com/v1 Gadget with their closure."""
    definitions = builtin_definitions()
    schemas: dict[str, Any] = {"com.example.v1.Gadget": gadget_definition()}
    if with_dependencies:
        for name in reachable(["io.k8s.api.apps.v1.Deployment", OBJECT_META], definitions):
            schemas[name] = as_server_publishes(definitions[name])
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.1"},
        "paths": {},
        "components": {"schemas": schemas},
    }


class DocumentSource:
    """What a cluster-backed source does, minus HTTP: discovery facts + an /openapi/v3 document."""

    def __init__(self, components: OpenAPIComponents, discovery: dict[GVK, KindInfo]) -> None:
        self.components = components
        self.discovery = discovery
        self.lookups: list[GVK] = []

    def lookup(self, gvk: GVK) -> ResolvedKind | None:
        self.lookups.append(gvk)
        info = self.discovery.get(gvk)
        return None if info is None else self.components.kind(info)


def discovery() -> dict[GVK, KindInfo]:
    deployment = SchemaRegistry().resolve(DEPLOYMENT).info
    return {
        DEPLOYMENT: replace(deployment, short_names=("deploy", "from-cluster")),
        GADGET: KindInfo(
            GADGET,
            "gadgets",
            False,
            frozenset({"status"}),
            ("gd",),
            "gadget",
            "GadgetList",
            ("get", "list", "watch"),
        ),
    }


@pytest.fixture
def source() -> DocumentSource:
    return DocumentSource(OpenAPIComponents(openapi_document()), discovery())


def test_registry_resolves_cluster_only_kinds_through_the_source(source: DocumentSource) -> None:
    registry = SchemaRegistry()
    registry.add_source(source)
    gadget = registry.resolve(GADGET)
    assert source.lookups == [GADGET]
    assert gadget.info.plural == "gadgets" and gadget.info.namespaced is False
    spec = gadget.schema["properties"]["spec"]["properties"]
    assert spec["power"]["type"] == "integer"
    assert spec["port"]["x-kubernetes-int-or-string"] is True and "type" not in spec["port"]
    meta = gadget.schema["properties"]["metadata"]
    assert meta["properties"]["creationTimestamp"]["format"] == "date-time"
    assert meta["properties"]["generation"]["type"] == "integer"


def test_source_schemas_in_server_shape_normalize_like_builtins(source: DocumentSource) -> None:
    registry = SchemaRegistry()
    registry.add_source(source)
    from_cluster = registry.resolve(DEPLOYMENT)
    assert "from-cluster" in from_cluster.info.short_names  # the source answered, not the built-ins
    builtin = SchemaRegistry().resolve(DEPLOYMENT)
    for path in (
        ("spec", "strategy", "rollingUpdate", "maxSurge"),
        ("spec", "template", "spec", "containers"),
        ("metadata", "labels"),
    ):
        theirs, ours = from_cluster.schema, builtin.schema
        for name in path:
            theirs, ours = theirs["properties"][name], ours["properties"][name]
        assert theirs == ours, path
    limits = from_cluster.schema["properties"]["spec"]["properties"]["template"]["properties"]["spec"]
    limits = limits["properties"]["containers"]["items"]["properties"]["resources"]["properties"]["limits"]
    assert limits["additionalProperties"]["x-kubernetes-int-or-string"] is True  # Quantity


def test_builtins_answer_what_the_source_does_not_know(source: DocumentSource) -> None:
    registry = SchemaRegistry()
    registry.add_source(source)
    config_map = registry.resolve(GVK("", "v1", "ConfigMap"))
    assert GVK("", "v1", "ConfigMap") in source.lookups
    assert config_map.info.short_names == ("cm",)


def test_added_crds_win_over_sources(source: DocumentSource) -> None:
    registry = SchemaRegistry()
    registry.add_source(source)
    registry.add_crd(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "gadgets.example.com"},
            "spec": {
                "group": "example.com",
                "scope": "Namespaced",
                "names": {"kind": "Gadget", "plural": "gadgets"},
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "properties": {
                                    "spec": {"type": "object", "properties": {"colour": {"type": "string"}}}
                                },
                            }
                        },
                    }
                ],
            },
        }
    )
    gadget = registry.resolve(GADGET)
    assert gadget.info.namespaced is True
    assert set(gadget.schema["properties"]["spec"]["properties"]) == {"colour"}
    assert source.lookups == []


def test_documents_without_shared_definitions_fall_back_to_builtins() -> None:
    document = openapi_document(with_dependencies=False)
    with pytest.raises(Exception, match="points at no known definition"):
        dict(OpenAPIComponents(document).kind(discovery()[GADGET]).schema["properties"]["metadata"])  # type: ignore[union-attr]
    components = OpenAPIComponents(document, fallback=builtin_definitions())
    gadget = components.kind(discovery()[GADGET])
    assert gadget is not None
    assert gadget.schema["properties"]["metadata"]["properties"]["uid"]["type"] == "string"
    assert components.kind(discovery()[DEPLOYMENT]) is None  # not in this document
