"""Built-in kinds of the schema registry: schemas, REST facts, errors, versions, laziness."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from pykro.errors import PykroError
from pykro.schema.gvk import GVK
from pykro.schema.registry import (
    DEFAULT_KUBERNETES_VERSION,
    SchemaRegistry,
    UnknownKindError,
    builtin_definitions,
    materialize,
    object_meta_schema,
)

DEPLOYMENT = GVK("apps", "v1", "Deployment")

# Every field of ObjectMeta in Kubernetes 1.33 (k8s.io/apimachinery/pkg/apis/meta/v1/types.go).
OBJECT_META_FIELDS = {
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
}


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry()


def props(schema: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """Walk `a.b[].c` through properties (`[]` steps into items)."""
    node = schema
    for part in path.split("."):
        is_list = part.endswith("[]")
        node = node["properties"][part.removesuffix("[]")]
        if is_list:
            node = node["items"]
    return node


def walk(node: Mapping[str, Any], depth: int, path: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every schema node down to `depth` levels of nesting (bounded: schemas may be recursive)."""
    yield path, node
    if depth == 0:
        return
    for name, sub in node.get("properties", {}).items():
        yield from walk(sub, depth - 1, f"{path}.{name}")
    if isinstance(node.get("items"), Mapping):
        yield from walk(node["items"], depth - 1, f"{path}[]")
    if isinstance(node.get("additionalProperties"), Mapping):
        yield from walk(node["additionalProperties"], depth - 1, f"{path}{{}}")


def test_deployment_containers_are_a_list_map_keyed_by_name(registry: SchemaRegistry) -> None:
    schema = registry.resolve(DEPLOYMENT).schema
    containers = props(schema, "spec.template.spec.containers")
    assert containers["type"] == "array"
    assert containers["x-kubernetes-list-type"] == "map"
    assert containers["x-kubernetes-list-map-keys"] == ("name",)
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    container = containers["items"]
    assert container["type"] == "object"
    assert "name" in container["required"]
    assert container["properties"]["image"]["type"] == "string"
    port = props(container, "ports[].containerPort")
    assert (port["type"], port["format"]) == ("integer", "int32")


def test_metadata_is_full_object_meta(registry: SchemaRegistry) -> None:
    meta = registry.resolve(DEPLOYMENT).schema["properties"]["metadata"]
    assert meta["type"] == "object"
    assert set(meta["properties"]) == OBJECT_META_FIELDS
    fields = meta["properties"]
    assert fields["resourceVersion"]["type"] == "string"
    assert fields["generation"]["type"] == "integer"
    for stamp in ("creationTimestamp", "deletionTimestamp"):
        assert (fields[stamp]["type"], fields[stamp]["format"]) == ("string", "date-time")
    assert fields["labels"]["additionalProperties"]["type"] == "string"
    owner = fields["ownerReferences"]["items"]
    assert {"apiVersion", "kind", "name", "uid"} <= set(owner["required"])
    assert owner["properties"]["controller"]["type"] == "boolean"
    # managedFields.fieldsV1 holds arbitrary JSON: it must not be pruned.
    fields_v1 = fields["managedFields"]["items"]["properties"]["fieldsV1"]
    assert fields_v1["x-kubernetes-preserve-unknown-fields"] is True


def test_service_target_port_and_resource_quantities_are_int_or_string(registry: SchemaRegistry) -> None:
    service = registry.resolve(GVK("", "v1", "Service")).schema
    target_port = props(service, "spec.ports[].targetPort")
    assert target_port["x-kubernetes-int-or-string"] is True
    assert "type" not in target_port and "oneOf" not in target_port
    pod = registry.resolve(GVK("", "v1", "Pod")).schema
    limit = props(pod, "spec.containers[].resources.limits")["additionalProperties"]
    assert limit["x-kubernetes-int-or-string"] is True


def test_secret_data_keeps_byte_format(registry: SchemaRegistry) -> None:
    data = props(registry.resolve(GVK("", "v1", "Secret")).schema, "data")
    assert data["additionalProperties"] == {"type": "string", "format": "byte"}


def test_normalized_schemas_are_structural(registry: SchemaRegistry) -> None:
    for gvk in (DEPLOYMENT, GVK("", "v1", "Pod"), GVK("batch", "v1", "CronJob")):
        schema = registry.resolve(gvk).schema
        assert "enum" not in schema["properties"]["apiVersion"]  # servers publish no enum here
        for path, node in walk(schema, depth=12):
            assert "$ref" not in node, path
            kind = node.get("type")
            assert kind is None or isinstance(kind, str), path
            assert (
                kind is not None
                or node.get("x-kubernetes-int-or-string")
                or node.get("x-kubernetes-preserve-unknown-fields")
            ), f"{gvk.kind}{path} has no type"


def test_schema_is_a_read_only_view(registry: SchemaRegistry) -> None:
    schema = registry.resolve(DEPLOYMENT).schema
    with pytest.raises(TypeError):
        schema["type"] = "string"  # type: ignore[index]
    assert isinstance(schema["properties"]["spec"]["required"], tuple)


def test_recursive_types_resolve_lazily_and_materialize_bounded(registry: SchemaRegistry) -> None:
    crd = registry.resolve(GVK("apiextensions.k8s.io", "v1", "CustomResourceDefinition")).schema
    node = props(crd, "spec.versions[].schema.openAPIV3Schema")
    for _ in range(20):  # JSONSchemaProps.not is a JSONSchemaProps, forever
        assert node["properties"]["type"]["type"] == "string"
        assert node["properties"]["additionalProperties"]["x-kubernetes-preserve-unknown-fields"] is True
        node = node["properties"]["not"]
    plain = materialize(crd, max_depth=30)
    text = json.dumps(plain)  # finite and JSON-able, references inlined
    assert "#/components/schemas/" not in text
    cut = props(plain, "spec.versions[].schema.openAPIV3Schema.not")
    assert cut["x-kubernetes-preserve-unknown-fields"] is True
    assert plain["properties"]["spec"]["properties"]["group"]["type"] == "string"


@pytest.mark.parametrize(
    ("gvk", "namespaced"),
    [
        (GVK("", "v1", "Namespace"), False),
        (GVK("rbac.authorization.k8s.io", "v1", "ClusterRole"), False),
        (GVK("storage.k8s.io", "v1", "StorageClass"), False),
        (GVK("", "v1", "Node"), False),
        (GVK("apiextensions.k8s.io", "v1", "CustomResourceDefinition"), False),
        (GVK("", "v1", "ConfigMap"), True),
        (DEPLOYMENT, True),
        (GVK("rbac.authorization.k8s.io", "v1", "Role"), True),
    ],
)
def test_scope(registry: SchemaRegistry, gvk: GVK, namespaced: bool) -> None:
    assert registry.resolve(gvk).info.namespaced is namespaced


@pytest.mark.parametrize(
    ("gvk", "plural"),
    [
        (GVK("networking.k8s.io", "v1", "NetworkPolicy"), "networkpolicies"),
        (GVK("networking.k8s.io", "v1", "Ingress"), "ingresses"),
        (GVK("", "v1", "Endpoints"), "endpoints"),
        (GVK("storage.k8s.io", "v1", "StorageClass"), "storageclasses"),
        (GVK("", "v1", "Pod"), "pods"),
    ],
)
def test_plural(registry: SchemaRegistry, gvk: GVK, plural: str) -> None:
    info = registry.resolve(gvk).info
    assert info.plural == plural
    assert info.singular == gvk.kind.lower()
    assert info.list_kind == gvk.kind + "List"


@pytest.mark.parametrize(
    ("gvk", "short"),
    [
        (DEPLOYMENT, "deploy"),
        (GVK("", "v1", "Service"), "svc"),
        (GVK("", "v1", "ConfigMap"), "cm"),
        (GVK("", "v1", "Namespace"), "ns"),
        (GVK("", "v1", "Pod"), "po"),
        (GVK("apps", "v1", "ReplicaSet"), "rs"),
        (GVK("apps", "v1", "StatefulSet"), "sts"),
        (GVK("apps", "v1", "DaemonSet"), "ds"),
        (GVK("", "v1", "PersistentVolumeClaim"), "pvc"),
        (GVK("", "v1", "ServiceAccount"), "sa"),
        (GVK("networking.k8s.io", "v1", "Ingress"), "ing"),
        (GVK("networking.k8s.io", "v1", "NetworkPolicy"), "netpol"),
        (GVK("", "v1", "ResourceQuota"), "quota"),
        (GVK("autoscaling", "v2", "HorizontalPodAutoscaler"), "hpa"),
        (GVK("apiextensions.k8s.io", "v1", "CustomResourceDefinition"), "crd"),
        (GVK("batch", "v1", "CronJob"), "cj"),
    ],
)
def test_short_names(registry: SchemaRegistry, gvk: GVK, short: str) -> None:
    assert short in registry.resolve(gvk).info.short_names


def test_category_all_and_subresources(registry: SchemaRegistry) -> None:
    in_all = {
        info.gvk.kind
        for info in registry.builtin_kinds()
        if "all" in info.categories and info.gvk.version == "v1"
    }
    assert in_all == {
        "Pod",
        "Service",
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "ReplicationController",
        "HorizontalPodAutoscaler",
    }
    assert registry.resolve(DEPLOYMENT).info.subresources == {"status", "scale"}
    assert registry.resolve(GVK("", "v1", "ConfigMap")).info.subresources == frozenset()
    assert {"log", "status", "eviction"} <= registry.resolve(GVK("", "v1", "Pod")).info.subresources
    assert {"get", "list", "watch", "create", "update", "patch", "delete"} <= set(
        registry.resolve(DEPLOYMENT).info.verbs
    )


def test_builtin_kinds_cover_the_release(registry: SchemaRegistry) -> None:
    kinds = registry.builtin_kinds()
    assert kinds == sorted(kinds, key=lambda info: info.gvk)
    gvks = {info.gvk for info in kinds}
    assert {DEPLOYMENT, GVK("", "v1", "Secret"), GVK("batch", "v1", "Job")} <= gvks
    assert not any(gvk.kind.endswith("List") or gvk.kind in ("Status", "Scale", "Eviction") for gvk in gvks)
    for info in kinds:  # every listed kind resolves, with a typed whole-object schema
        assert registry.resolve(info.gvk).schema["type"] == "object"


def test_unknown_kind_error_suggests_close_kinds(registry: SchemaRegistry) -> None:
    with pytest.raises(UnknownKindError) as typo:
        registry.resolve(GVK("apps", "v1", "Deploymnet"))
    assert isinstance(typo.value, PykroError)
    assert typo.value.suggestions[0] == DEPLOYMENT
    assert "did you mean Deployment (apps/v1)" in str(typo.value)

    with pytest.raises(UnknownKindError) as wrong_group:
        registry.resolve(GVK("", "v1", "Deployment"))
    assert wrong_group.value.suggestions == (DEPLOYMENT,)

    with pytest.raises(UnknownKindError) as no_crd:
        registry.resolve(GVK("example.com", "v1", "Widget"))
    assert 'no CRD of group "example.com"' in str(no_crd.value)
    assert registry.find(GVK("example.com", "v1", "Widget")) is None


def test_kubernetes_version_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    hpa_beta = GVK("autoscaling", "v2beta2", "HorizontalPodAutoscaler")
    old = SchemaRegistry("1.25")
    assert old.kubernetes_version == "1.25"
    assert old.resolve(hpa_beta).info.plural == "horizontalpodautoscalers"
    new = SchemaRegistry("v1.33.2")
    assert new.kubernetes_version == "1.33"
    with pytest.raises(UnknownKindError, match="Kubernetes 1.33 no longer or not yet serves it"):
        new.resolve(hpa_beta)
    # Fields added in later releases appear only there (Pod.spec.resourceClaims arrived in 1.26).
    pod = GVK("", "v1", "Pod")
    assert "resourceClaims" not in old.resolve(pod).schema["properties"]["spec"]["properties"]
    assert "resourceClaims" in new.resolve(pod).schema["properties"]["spec"]["properties"]

    monkeypatch.setenv("PYKRO_KUBERNETES_VERSION", "1.30")
    assert SchemaRegistry().kubernetes_version == "1.30"
    monkeypatch.delenv("PYKRO_KUBERNETES_VERSION")
    assert SchemaRegistry().kubernetes_version == DEFAULT_KUBERNETES_VERSION
    with pytest.raises(PykroError, match="unsupported Kubernetes version '1.7'.*1.33"):
        SchemaRegistry("1.7")


def test_builtin_definitions_are_servable_openapi() -> None:
    definitions = builtin_definitions()
    deployment = definitions["io.k8s.api.apps.v1.Deployment"]
    assert deployment["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}
    ]
    assert deployment["description"]
    assert (
        deployment["properties"]["spec"]["$ref"] == "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"
    )
    assert (
        definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["x-kubernetes-int-or-string"] is True
    )
    time = definitions["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]
    assert (time["type"], time["format"]) == ("string", "date-time")

    dangling = []
    for name in definitions:
        text = json.dumps(definitions[name])
        for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
            if not ref.startswith("#/components/schemas/") or ref.rpartition("/")[2] not in definitions:
                dangling.append((name, ref))
        assert '"null"' not in text, name
    assert dangling == []


def test_object_meta_schema_is_a_fresh_plain_copy() -> None:
    meta = object_meta_schema()
    assert set(meta["properties"]) == OBJECT_META_FIELDS
    assert "$ref" not in json.dumps(meta)
    meta["properties"].clear()
    assert set(object_meta_schema()["properties"]) == OBJECT_META_FIELDS


def test_import_is_lazy_and_first_resolve_parses() -> None:
    code = (
        "import sys, pykro.schema.registry as r\n"
        "from pykro.schema import builtin\n"
        "before = builtin._raw_definitions.cache_info().currsize\n"
        "r.SchemaRegistry().resolve(r.GVK('apps', 'v1', 'Deployment'))\n"
        "after = builtin._raw_definitions.cache_info().currsize\n"
        "print(before, after, any(m.startswith('lightkube') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "1", "False"]


# Definitions that carry a GVK but are request/response payloads, not REST resources.
PAYLOADS = {
    GVK("", "v1", "APIGroup"),
    GVK("", "v1", "APIVersions"),
    GVK("", "v1", "Status"),
    GVK("authentication.k8s.io", "v1", "TokenRequest"),
    GVK("autoscaling", "v1", "Scale"),
    GVK("policy", "v1", "Eviction"),
}


@pytest.mark.parametrize("version", ["1.25", "1.29", "1.31", "1.33", "1.35", "1.37"])
def test_every_release_has_rest_facts_for_all_its_kinds(version: str) -> None:
    registry = SchemaRegistry(version)
    definitions = builtin_definitions(version)
    defined = set()
    for name in definitions:
        gvks = definitions[name].get("x-kubernetes-group-version-kind", [])
        if len(gvks) == 1 and not gvks[0]["kind"].endswith("List"):
            defined.add(GVK(gvks[0]["group"], gvks[0]["version"], gvks[0]["kind"]))
    assert {info.gvk for info in registry.builtin_kinds()} == defined - PAYLOADS
    assert all(info.plural and info.verbs for info in registry.builtin_kinds())
