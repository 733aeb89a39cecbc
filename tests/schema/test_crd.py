"""§2.8 instance CRD synthesis."""

from __future__ import annotations

from typing import Any

import pytest

from pykro import __version__
from pykro.api.rgd import parse_rgd
from pykro.schema.crd import DEFAULT_STATUS_PROPERTIES, instance_crd, plural_of, rgd_instance_crd


def rgd(schema: dict[str, Any], name: str = "my-rgd", uid: str = "uid-1") -> Any:
    return parse_rgd(
        {
            "apiVersion": "kro.run/v1alpha1",
            "kind": "ResourceGraphDefinition",
            "metadata": {"name": name, "uid": uid},
            "spec": {"schema": {"apiVersion": "v1alpha1", **schema}},
        }
    )


@pytest.mark.parametrize(
    ("kind", "plural"),
    [
        ("WebApp", "webapps"),
        ("Policy", "policies"),
        ("Database", "databases"),
        ("Proxy", "proxies"),
        ("Ingress", "ingresses"),
        ("Class", "classes"),
        ("EKSCluster", "eksclusters"),
        ("Redis", "redis"),  # flect: a word ending in "s" is already plural
        ("Status", "statuses"),
    ],
)
def test_plural(kind: str, plural: str) -> None:
    assert plural_of(kind) == plural


def test_names_scope_version_and_defaults() -> None:
    crd = rgd_instance_crd(rgd({"kind": "WebApp", "spec": {"name": "string | required=true"}}))
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1" and crd["kind"] == "CustomResourceDefinition"
    assert crd["metadata"]["name"] == "webapps.kro.run"
    assert crd["metadata"]["labels"] == {
        "kro.run/owned": "true",
        "kro.run/kro-version": __version__,
        "kro.run/resource-graph-definition-id": "uid-1",
        "kro.run/resource-graph-definition-name": "my-rgd",
    }
    spec = crd["spec"]
    assert spec["group"] == "kro.run" and spec["scope"] == "Namespaced"
    assert spec["names"] == {
        "kind": "WebApp",
        "listKind": "WebAppList",
        "plural": "webapps",
        "singular": "webapp",
    }
    (version,) = spec["versions"]
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)
    assert version["subresources"] == {"status": {}}
    assert [c["name"] for c in version["additionalPrinterColumns"]] == ["State", "Ready", "Age"]
    assert version["additionalPrinterColumns"][2] == {
        "name": "Age",
        "type": "date",
        "jsonPath": ".metadata.creationTimestamp",
        "description": "Age of the resource",
    }
    root = version["schema"]["openAPIV3Schema"]
    assert root["type"] == "object"
    assert {k: root["properties"][k] for k in ("apiVersion", "kind", "metadata")} == {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
    }
    assert root["properties"]["spec"]["required"] == ["name"]
    assert root["properties"]["status"] == {"type": "object", "properties": DEFAULT_STATUS_PROPERTIES}
    conditions = root["properties"]["status"]["properties"]["conditions"]["items"]["properties"]
    assert conditions["observedGeneration"] == {"type": "integer"} and conditions["lastTransitionTime"] == {
        "type": "string"
    }


def test_custom_group_scope_columns_names_and_metadata() -> None:
    column = {"name": "Image", "type": "string", "jsonPath": ".spec.image"}
    crd = rgd_instance_crd(
        rgd(
            {
                "kind": "Tenant",
                "group": "platform.example.com",
                "scope": "Cluster",
                "shortNames": ["tn"],
                "categories": ["platform"],
                "additionalPrinterColumns": [column],
                "metadata": {
                    "labels": {"team": "infra", "kro.run/owned": "false"},
                    "annotations": {"note": "x"},
                },
                "spec": {"image": "string"},
            }
        )
    )
    assert crd["metadata"]["name"] == "tenants.platform.example.com"
    assert crd["metadata"]["labels"]["team"] == "infra"
    assert crd["metadata"]["labels"]["kro.run/owned"] == "true"  # ownership label cannot be overridden
    assert crd["metadata"]["annotations"] == {"note": "x"}
    assert crd["spec"]["scope"] == "Cluster" and crd["spec"]["group"] == "platform.example.com"
    assert crd["spec"]["names"]["shortNames"] == ["tn"] and crd["spec"]["names"]["categories"] == ["platform"]
    assert crd["spec"]["versions"][0]["additionalPrinterColumns"] == [column]


def test_inferred_status_keeps_its_fields_and_gains_defaults() -> None:
    schema = rgd({"kind": "App"}).spec.schema
    inferred = {"type": "object", "properties": {"url": {"type": "string"}, "state": {"type": "integer"}}}
    crd = instance_crd(schema, spec_schema={"type": "object", "properties": {}}, status_schema=inferred)
    status = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]
    assert status["properties"]["url"] == {"type": "string"}
    assert status["properties"]["state"] == {"type": "integer"}  # already present: not replaced
    assert status["properties"]["conditions"] == DEFAULT_STATUS_PROPERTIES["conditions"]
    assert "conditions" not in inferred["properties"]  # input not mutated


def test_without_rgd_identity_only_ownership_labels() -> None:
    schema = rgd({"kind": "App"}).spec.schema
    crd = instance_crd(schema, spec_schema={"type": "object"}, status_schema=None)
    assert set(crd["metadata"]["labels"]) == {"kro.run/owned", "kro.run/kro-version"}
    assert "annotations" not in crd["metadata"]
