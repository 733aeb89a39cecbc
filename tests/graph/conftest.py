from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from pykro.api.rgd import parse_rgd
from pykro.graph import CompiledGraph, build_graph
from pykro.schema.registry import SchemaRegistry

BASE: dict[str, Any] = {
    "apiVersion": "kro.run/v1alpha1",
    "kind": "ResourceGraphDefinition",
    "metadata": {"name": "test"},
    "spec": {
        "schema": {
            "apiVersion": "v1alpha1",
            "kind": "Test",
            "spec": {"name": "string | default=app", "replicas": "integer | default=1", "enabled": "boolean"},
        },
        "resources": [],
    },
}


def rgd_doc(
    resources: list[dict[str, Any]], status: dict[str, Any] | None = None, **schema: Any
) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc["spec"]["resources"] = resources
    if status is not None:
        doc["spec"]["schema"]["status"] = status
    doc["spec"]["schema"].update(schema)
    return doc


def configmap(rid: str, data: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    template: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"{rid}-${{schema.spec.name}}"},
    }
    if data is not None:
        template["data"] = data
    return {"id": rid, "template": template, **extra}


@pytest.fixture(scope="session")
def registry() -> SchemaRegistry:
    return SchemaRegistry()


@pytest.fixture
def build(registry: SchemaRegistry) -> Callable[..., CompiledGraph]:
    def _build(doc: dict[str, Any], **kwargs: Any) -> CompiledGraph:
        return build_graph(parse_rgd(doc), registry, **kwargs)

    return _build
