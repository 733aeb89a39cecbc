"""Builder behaviour against spec §3.3, §3.6, §3.7, §4 vectors (messages verbatim)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pykro.api.frozen import FrozenDict, freeze
from pykro.api.model import Resource, ResourceGraphDefinition, RGDSpec, SchemaSpec
from pykro.graph import CompiledGraph, ExpressionKind, GraphError, NodeType, VariableKind, build_graph
from pykro.schema.registry import SchemaRegistry
from tests.graph.conftest import configmap, rgd_doc

Build = Callable[..., CompiledGraph]

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "${schema.spec.name}"},
    "spec": {
        "replicas": "${schema.spec.replicas}",
        "selector": {"matchLabels": {"app": "x"}},
        "template": {
            "metadata": {"labels": {"app": "x"}, "annotations": {}},
            "spec": {"containers": [{"name": "app", "image": "nginx"}]},
        },
    },
}


def deployment(annotation: str | None = None, rid: str = "deployment", **spec: Any) -> dict[str, Any]:
    import copy

    template = copy.deepcopy(DEPLOYMENT)
    if annotation is not None:
        template["spec"]["template"]["metadata"]["annotations"]["example.com/v"] = annotation
    template["spec"].update(spec)
    return {"id": rid, "template": template}


def secret(rid: str = "credentials") -> dict[str, Any]:
    return {
        "id": rid,
        "template": {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s-${schema.spec.name}"}},
    }


def error_of(build: Build, doc: dict[str, Any], **kwargs: Any) -> GraphError:
    with pytest.raises(GraphError) as info:
        build(doc, **kwargs)
    return info.value


# --- §3.7 seed expressions: ObjectMeta fields type-check and create dependencies -------------------


@pytest.mark.parametrize(
    ("expression", "output"),
    [
        ("${credentials.metadata.resourceVersion}", "string"),
        ("${credentials.metadata.uid}", "string"),
        ("${credentials.metadata.name}", "string"),
        ("${string(credentials.metadata.generation)}", "string"),
        ('${credentials.metadata.?generateName.orValue("not-set")}', "string"),
        ('${has(credentials.metadata.labels) ? "true" : "false"}', "string"),
    ],
)
def test_seed_metadata_expressions_create_dependency(build: Build, expression: str, output: str) -> None:
    graph = build(rgd_doc([secret(), deployment(expression)]))
    node = graph.node("deployment")
    assert node.dependencies == ("credentials",)
    assert graph.topological_order == ("credentials", "deployment")
    field = next(node.fields_at(("spec", "template", "metadata", "annotations")))
    assert field.path == ("spec", "template", "metadata", "annotations", "example.com/v")
    assert field.kind is ExpressionKind.STANDALONE
    assert str(field.output_type) == output
    assert field.resources == ("credentials",)
    assert field.variable_kind is VariableKind.DYNAMIC


def test_unknown_metadata_field(build: Build) -> None:
    err = error_of(build, rgd_doc([secret(), deployment("${credentials.metadata.nosuch}")]))
    assert "undefined field 'nosuch'" in str(err)
    assert err.resource_id == "deployment"
    assert err.path == 'spec.template.metadata.annotations["example.com/v"]'
    assert err.expression == "${credentials.metadata.nosuch}"
    assert err.expression[err.offset or 0 :].startswith(".nosuch")


def test_schema_metadata_fields(build: Build) -> None:
    data = {
        "uid": "${schema.metadata.uid}",
        "gen": "${string(schema.metadata.generation)}",
        "rv": "${schema.metadata.resourceVersion}",
        "gn": '${schema.metadata.?generateName.orValue("not-set")}',
        "labels": '${has(schema.metadata.labels) ? "true" : "false"}',
    }
    graph = build(rgd_doc([configmap("cm", data)]))
    fields = graph.node("cm").fields
    assert all(f.variable_kind is VariableKind.STATIC for f in fields)
    assert {str(f.output_type) for f in fields} == {"string"}


def test_cluster_scoped_instance_has_no_namespace(build: Build) -> None:
    doc = rgd_doc(
        [
            {
                "id": "ns",
                "template": {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": "${schema.metadata.namespace}"},
                },
            }
        ],
        scope="Cluster",
    )
    assert "undefined field 'namespace'" in str(error_of(build, doc))


# --- §3.6 compatibility ----------------------------------------------------------------------------


def test_type_mismatch_message(build: Build) -> None:
    err = error_of(build, rgd_doc([deployment(replicas="${schema.spec.name}")]))
    assert str(err) == (
        'type mismatch in resource "deployment" at path "spec.replicas": expression "schema.spec.name" '
        'returns type "string" but expected "int": type kind mismatch: got string, expected int'
    )


def test_template_string_must_be_all_string(build: Build) -> None:
    err = error_of(build, rgd_doc([configmap("cm", {"k": "n-${schema.spec.replicas}"})]))
    assert "found no matching overload for '_+_' applied to '(string, int)'" in str(err)
    assert err.offset is not None and err.expression[err.offset :].startswith("${schema.spec.replicas}")


def test_struct_subset_semantics(build: Build) -> None:
    ok = build(
        rgd_doc(
            [
                deployment(),
                {
                    "id": "service",
                    "template": {
                        "apiVersion": "v1",
                        "kind": "Service",
                        "metadata": {"name": "svc"},
                        "spec": {
                            "selector": "${deployment.spec.selector.matchLabels}",
                            "ports": [{"port": 80}],
                        },
                    },
                },
            ]
        )
    )
    assert ok.node("service").dependencies == ("deployment",)
    err = error_of(build, rgd_doc([deployment(), configmap("cm", {"k": "${deployment.spec.selector}"})]))
    assert 'at path "data.k"' in str(err) and "type mismatch" in str(err)


def test_int_or_string_and_preserve_unknown_accept_anything(build: Build) -> None:
    svc = {
        "id": "service",
        "template": {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "s"},
            "spec": {"ports": [{"port": 80, "targetPort": "${schema.spec.name}"}]},
        },
    }
    fields = build(rgd_doc([svc])).node("service").fields
    assert [f.path for f in fields] == [("spec", "ports", 0, "targetPort")]


# --- literal validation ------------------------------------------------------------------------------


def test_literal_type_mismatch(build: Build) -> None:
    err = error_of(build, rgd_doc([deployment(replicas="three")]))
    assert "expected integer type for path spec.replicas, got string" in str(err)
    doc = rgd_doc(
        [
            {
                "id": "np",
                "template": {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "NetworkPolicy",
                    "metadata": {"name": "n"},
                    "spec": {"podSelector": {}, "policyTypes": "Ingress"},
                },
            }
        ]
    )
    assert "expected array type for path spec.policyTypes, got string" in str(error_of(build, doc))


def test_unknown_field(build: Build) -> None:
    assert build(rgd_doc([configmap("cm", {"any-key": "b"})])).node("cm").fields  # data is a map
    doc = rgd_doc(
        [
            {
                "id": "cm",
                "template": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "x": "y"},
            }
        ]
    )
    assert "schema not found for field x" in str(error_of(build, doc))


# --- §4.1 step 4: object shape, namespace, reserved labels ----------------------------------------------


def test_invalid_api_version(build: Build) -> None:
    doc = rgd_doc(
        [
            {
                "id": "cm",
                "template": {
                    "apiVersion": "invalid/version/format",
                    "kind": "ConfigMap",
                    "metadata": {"name": "x"},
                },
            }
        ]
    )
    assert 'invalid apiVersion format "invalid/version/format"' in str(error_of(build, doc))


def test_missing_metadata(build: Build) -> None:
    doc = rgd_doc([{"id": "cm", "template": {"apiVersion": "v1", "kind": "ConfigMap"}}])
    assert "is not a valid Kubernetes object: metadata field not found" in str(error_of(build, doc))


def test_unknown_kind(build: Build) -> None:
    doc = rgd_doc(
        [{"id": "x", "template": {"apiVersion": "example.com/v1", "kind": "Nope", "metadata": {"name": "x"}}}]
    )
    assert "schema not found" in str(error_of(build, doc))


def test_cluster_scoped_must_not_set_namespace(build: Build) -> None:
    doc = rgd_doc(
        [
            {
                "id": "ns",
                "template": {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": "x", "namespace": "y"},
                },
            }
        ]
    )
    assert 'resource "ns" is cluster-scoped and must not set metadata.namespace' in str(error_of(build, doc))


def test_namespaced_child_of_cluster_instance_needs_namespace(build: Build) -> None:
    err = error_of(build, rgd_doc([configmap("cm")], scope="Cluster"))
    assert "must set metadata.namespace" in str(err)
    cm = configmap("cm")
    cm["template"]["metadata"]["namespace"] = "default"
    assert build(rgd_doc([cm], scope="Cluster")).instance_namespaced is False


@pytest.mark.parametrize("section", ["labels", "annotations"])
@pytest.mark.parametrize("prefix", ["kro.run/", "internal.kro.run/"])
def test_reserved_label_prefixes(build: Build, section: str, prefix: str) -> None:
    cm = configmap("cm")
    cm["template"]["metadata"][section] = {f"{prefix}x": "y"}
    assert f'{section} with prefix "{prefix}" are reserved for internal use' in str(
        error_of(build, rgd_doc([cm]))
    )


# --- §4.1 steps 1-3 ---------------------------------------------------------------------------------


def _model(kind: str = "Test", ids: tuple[str, ...] = ("a",)) -> ResourceGraphDefinition:
    template = freeze({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    resources = tuple(Resource(id=i, template=template) for i in ids)
    return ResourceGraphDefinition(
        "t", "", 1, FrozenDict(), FrozenDict(), RGDSpec(SchemaSpec(kind, "v1alpha1"), resources)
    )


@pytest.mark.parametrize(
    ("kind", "ids", "message"),
    [
        (
            "test",
            ("a",),
            "naming convention violation: kind 'test' is not a valid KRO kind name: must be UpperCamelCase",
        ),
        ("Test", ("schema",), "naming convention violation: id schema is a reserved keyword in KRO"),
        ("Test", ("while",), "naming convention violation: id while is a reserved keyword in KRO"),
        ("Test", ("Bad",), "naming convention violation: id Bad is not a valid KRO resource id"),
        ("Test", ("a", "a"), "naming convention violation: found duplicate resource IDs a"),
    ],
)
def test_naming(registry: SchemaRegistry, kind: str, ids: tuple[str, ...], message: str) -> None:
    with pytest.raises(GraphError, match=message):
        build_graph(_model(kind, ids), registry)


def test_instance_schema_error(build: Build) -> None:
    doc = rgd_doc([])
    doc["spec"]["schema"]["spec"] = {"x": "nosuchtype"}
    assert str(error_of(build, doc)).startswith("failed to build OpenAPI schema for instance: ")


def _workers(
    name: str = "${schema.metadata.name}-${region}-${tier}",
    ready: str = "${each.status.phase == 'Running'}",
    regions: str = "${schema.spec.regions}",
) -> dict[str, Any]:
    return {
        "id": "workers",
        "forEach": [{"region": regions}, {"tier": "${schema.spec.tiers}"}],
        "readyWhen": [ready],
        "template": {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "${schema.spec.name + '-' + tier}"}]},
        },
    }


def _collection_doc(*resources: dict[str, Any], status: dict[str, Any] | None = None) -> dict[str, Any]:
    doc = rgd_doc(list(resources), status)
    doc["spec"]["schema"]["spec"].update({"regions": "[]string", "tiers": "[]string"})
    return doc


def test_for_each_collection(build: Build) -> None:
    summary = configmap("summary", {"count": "${string(size(workers))}"})
    graph = build(
        _collection_doc(_workers(), summary, status={"names": "${workers.map(w, w.metadata.name)}"})
    )
    node = graph.node("workers")
    assert node.type is NodeType.COLLECTION and node.is_collection
    assert [d.name for d in node.for_each] == ["region", "tier"]
    assert [str(d.element_type) for d in node.for_each] == ["string", "string"]
    name = next(node.fields_at(("metadata", "name")))
    assert name.iterators == ("region", "tier") and name.variable_kind is VariableKind.ITERATION
    assert node.ready_when[0].checked.variables == ("each",)
    assert graph.node("summary").dependencies == ("workers",)
    assert graph.status_schema["properties"]["names"] == {"type": "array", "items": {"type": "string"}}
    assert (
        name.program.evaluate({"schema": {"metadata": {"name": "x"}}, "region": "eu", "tier": "web"})
        == "x-eu-web"
    )


def test_for_each_identity_rule(build: Build) -> None:
    err = error_of(build, _collection_doc(_workers(name="${schema.metadata.name}-${region}")))
    assert (
        "all forEach dimensions must be used to produce a unique resource identity, missing: [tier]"
        in str(err)
    )


def test_for_each_must_return_list(build: Build) -> None:
    err = error_of(build, _collection_doc(_workers(regions="${schema.spec.name}")))
    assert "must return a list" in str(err)


def test_for_each_iterators_cannot_reference_each_other(build: Build) -> None:
    err = error_of(build, _collection_doc(_workers(regions="${tier}")))
    assert 'forEach iterator "region" cannot reference other iterators [tier]' in str(err)


def test_collection_ready_when_only_each(build: Build) -> None:
    err = error_of(build, _collection_doc(_workers(ready="${workers.size() > 0}")))
    assert "references unknown identifiers: [workers]" in str(err)


def test_iterator_outside_its_node_is_unknown(build: Build) -> None:
    err = error_of(build, _collection_doc(_workers(), configmap("other", {"k": "${region}"})))
    assert "references unknown identifiers: [region]" in str(err)


def test_external_collection(build: Build) -> None:
    ext = {
        "id": "teamConfigs",
        "externalRef": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "selector": {
                    "matchExpressions": [{"key": "team", "operator": "In", "values": ["${schema.spec.name}"]}]
                }
            },
        },
    }
    app = configmap("app", {"teams": "${teamConfigs.map(c, c.metadata.name).join(',')}"})
    graph = build(rgd_doc([ext, app]))
    node = graph.node("teamConfigs")
    assert node.type is NodeType.EXTERNAL_COLLECTION
    assert node.fields[0].path == ("metadata", "selector", "matchExpressions", 0, "values", 0)
    assert graph.node("app").dependencies == ("teamConfigs",)


# --- §4.3 / §4.4: references, dependencies, DAG --------------------------------------------------------


def test_unknown_identifier(build: Build) -> None:
    assert "references unknown identifiers: [foo]" in str(
        error_of(build, rgd_doc([configmap("cm", {"k": "${foo.bar}"})]))
    )


def test_namespaced_function_is_not_an_identifier(build: Build) -> None:
    graph = build(rgd_doc([configmap("cm", {"k": "${string(hash.fnv64a(schema.spec.name).size())}"})]))
    assert graph.node("cm").dependencies == ()


def test_runtime_outside_conditions(build: Build) -> None:
    err = error_of(build, rgd_doc([configmap("cm", {"k": "${runtime.x}"})]))
    assert "runtime is only available in status.conditions expressions" in str(err)


def test_self_reference(build: Build) -> None:
    assert "self references are not allowed" in str(
        error_of(build, rgd_doc([configmap("cm", {"k": "${cm.metadata.name}"})]))
    )


def test_cycle(build: Build) -> None:
    doc = rgd_doc([configmap("a", {"k": "${b.metadata.name}"}), configmap("b", {"k": "${a.metadata.name}"})])
    err = str(error_of(build, doc))
    assert "failed to build dependency graph: graph contains a cycle: " in err
    assert "a -> b -> a" in err or "b -> a -> b" in err


def test_builder_order_vector(build: Build) -> None:
    def ref(*ids: str) -> dict[str, Any]:
        return {f"k{i}": f"${{{x}.metadata.name}}" for i, x in enumerate(ids)}

    doc = rgd_doc(
        [
            configmap("vpc"),
            configmap("clusterpolicy"),
            configmap("clusterrole", ref("clusterpolicy")),
            configmap("subnet1", ref("vpc")),
            configmap("subnet2", ref("vpc")),
            configmap("cluster", ref("clusterrole", "subnet1", "subnet2")),
        ]
    )
    graph = build(doc)
    assert graph.topological_order == ("vpc", "clusterpolicy", "clusterrole", "subnet1", "subnet2", "cluster")
    assert {i: n.apply_order for i, n in graph.nodes.items()} == {
        "vpc": 1,
        "clusterpolicy": 1,
        "clusterrole": 2,
        "subnet1": 2,
        "subnet2": 2,
        "cluster": 3,
    }
    assert graph.deletion_waves == (
        ("cluster",),
        ("clusterrole", "subnet1", "subnet2"),
        ("vpc", "clusterpolicy"),
    )
    assert graph.status_resources()[0] == {"id": "clusterrole", "dependencies": [{"id": "clusterpolicy"}]}


# --- includeWhen / readyWhen ------------------------------------------------------------------------------


def test_include_when_creates_dependency_and_must_be_bool(build: Build) -> None:
    graph = build(rgd_doc([configmap("a"), configmap("b", includeWhen=["${a.metadata.name != ''}"])]))
    assert graph.node("b").dependencies == ("a",)
    assert graph.node("b").include_when[0].resources == ("a",)
    err = error_of(build, rgd_doc([configmap("a", includeWhen=["${schema.spec.name}"])]))
    assert 'must return bool or optional_type(bool), but returns "string"' in str(err)


def test_ready_when_only_self(build: Build) -> None:
    graph = build(rgd_doc([configmap("a", readyWhen=["${a.metadata.name != ''}"])]))
    assert graph.node("a").ready_when[0].resources == ("a",)
    err = error_of(build, rgd_doc([configmap("a"), configmap("b", readyWhen=["${a.metadata.name != ''}"])]))
    assert "readyWhen expressions can only reference the resource itself (b)" in str(err)


def test_conditions_must_be_standalone(build: Build) -> None:
    err = error_of(build, rgd_doc([configmap("a", includeWhen=["x-${schema.spec.enabled}"])]))
    assert "only standalone expressions are allowed" in str(err)


def test_omit_requires_gate(build: Build) -> None:
    doc = rgd_doc([configmap("a", {"k": "${omit()}"})])
    assert "omit() requires the CELOmitFunction feature gate to be enabled" in str(error_of(build, doc))
    assert build(doc, enable_omit=True).node("a").fields[1].path == ("data", "k")
    doc = rgd_doc([configmap("a", includeWhen=["${omit()}"])])
    assert "omit() can only be used in resource template expressions" in str(
        error_of(build, doc, enable_omit=True)
    )


# --- status (§4.5, §4.6) ------------------------------------------------------------------------------------


def test_status_schema_inference(build: Build) -> None:
    status = {
        "name": "${cm.metadata.name}",
        "created": "${cm.metadata.creationTimestamp}",
        "gen": "${cm.metadata.generation}",
        "nested": {"flag": "${schema.spec.enabled}"},
        "list": ["${schema.spec.name}"],
        "url": "http://${cm.metadata.name}.svc",
        "data": "${cm.data}",
    }
    graph = build(rgd_doc([configmap("cm")], status))
    props = graph.status_schema["properties"]
    assert props["name"] == {"type": "string"}
    assert props["created"] == {"type": "string", "format": "date-time"}
    assert props["gen"] == {"type": "integer"}
    assert props["nested"]["properties"]["flag"] == {"type": "boolean"}
    assert props["list"] == {"type": "array", "items": {"type": "string"}}
    assert props["data"] == {"type": "object", "additionalProperties": {"type": "string"}}
    assert "state" in props and "conditions" in props
    crd_status = graph.crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]
    assert crd_status == graph.status_schema
    assert graph.status_dependencies == ("cm",)


def test_status_literal_rejected(build: Build) -> None:
    err = error_of(build, rgd_doc([configmap("cm")], {"a": "plain", "b": {"c": 3}}))
    assert "status fields without expressions are not supported: [a, b.c]" in str(err)


def test_status_must_reference(build: Build) -> None:
    err = error_of(build, rgd_doc([configmap("cm")], {"a": "${1 + 1}"}))
    assert "instance status field must refer to a resource or schema" in str(err)


def test_status_template_must_be_string(build: Build) -> None:
    err = error_of(build, rgd_doc([configmap("cm")], {"a": "n=${schema.spec.replicas}"}))
    assert "found no matching overload for '_+_'" in str(err)


# --- external refs
# -------------------------------------------------------------------------------------------


def test_external_ref(build: Build) -> None:
    ext = {
        "id": "platform",
        "externalRef": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "${schema.spec.name}", "namespace": "ns"},
        },
    }
    graph = build(rgd_doc([ext, configmap("app", {"u": "${platform.data.?url.orValue('none')}"})]))
    node = graph.node("platform")
    assert node.type is NodeType.EXTERNAL and node.is_external
    assert graph.node("app").dependencies == ("platform",)
    assert node.fields[0].path == ("metadata", "name")


# --- graph properties --------------------------------------------------------------------------------------


def test_graph_is_immutable_hashable_and_hash_ignores_order(build: Build) -> None:
    a, b = configmap("a"), configmap("b", readyWhen=["${b.data.x == 'y'}", "${has(b.data)}"])
    g1 = build(rgd_doc([a, b]))
    b2 = dict(b, readyWhen=list(reversed(b["readyWhen"])))
    g2 = build(rgd_doc([b2, a]))
    assert g1.spec_hash == g2.spec_hash and len(g1.spec_hash) == 16
    assert g1.topological_order != g2.topological_order
    assert build(rgd_doc([a, configmap("c")])).spec_hash != g1.spec_hash
    hash(g1)
    hash(g1.node("a"))
    with pytest.raises(AttributeError):
        g1.rgd_name = "x"  # type: ignore[misc]
    assert g1.node("a").expression_refs == frozenset({"schema"})


def test_programs_are_compiled_and_run(build: Build) -> None:
    graph = build(
        rgd_doc([configmap("cm", {"k": "${schema.spec.name + '-' + string(schema.spec.replicas)}"})])
    )
    field = graph.node("cm").fields[1]
    assert field.program.evaluate({"schema": {"spec": {"name": "a", "replicas": 2}}}) == "a-2"


def test_replaced_crd_is_seen_by_the_next_build() -> None:
    registry = SchemaRegistry()

    def crd(prop_type: str) -> dict[str, Any]:
        return {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "scope": "Namespaced",
                "names": {
                    "kind": "Widget",
                    "plural": "widgets",
                    "singular": "widget",
                    "listKind": "WidgetList",
                },
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "properties": {
                                    "spec": {"type": "object", "properties": {"size": {"type": prop_type}}}
                                },
                            }
                        },
                    }
                ],
            },
        }

    widget = {
        "id": "w",
        "template": {
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w"},
            "spec": {"size": "${schema.spec.replicas}"},
        },
    }
    from pykro.api.rgd import parse_rgd

    rgd = parse_rgd(rgd_doc([widget]))
    registry.add_crd(crd("integer"))
    assert build_graph(rgd, registry).node("w").plural == "widgets"
    registry.add_crd(crd("string"))
    with pytest.raises(GraphError, match='returns type "int" but expected "string"'):
        build_graph(rgd, registry)


def test_crd_templates_only_allow_metadata_expressions(build: Build) -> None:
    def crd_resource(group: str) -> dict[str, Any]:
        return {
            "id": "crd",
            "template": {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": "${schema.spec.name}.example.com"},
                "spec": {
                    "group": group,
                    "names": {"kind": "X", "plural": "xs"},
                    "scope": "Namespaced",
                    "versions": [],
                },
            },
        }

    assert build(rgd_doc([crd_resource("example.com")])).node("crd").fields[0].path == ("metadata", "name")
    err = error_of(build, rgd_doc([crd_resource("${schema.spec.name}")]))
    assert "CEL expressions in CRDs are only supported for metadata fields" in str(err)


@pytest.mark.parametrize(
    ("iterators", "message"),
    [
        (("item",), "naming convention violation: iterator item is a reserved keyword in KRO"),
        (("each",), "naming convention violation: iterator each is a reserved keyword in KRO"),
        (("a",), "naming convention violation: iterator a conflicts with a resource id"),
        (("x", "x"), "naming convention violation: duplicate iterator name x"),
        (("X1",), "naming convention violation: iterator X1 is not a valid KRO identifier"),
        (tuple(f"d{i}" for i in range(11)), "has 11 forEach dimensions; the maximum is 10"),
    ],
)
def test_iterator_naming(registry: SchemaRegistry, iterators: tuple[str, ...], message: str) -> None:
    from dataclasses import replace

    from pykro.api.model import ForEachDimension

    rgd = _model()
    resource = replace(
        rgd.spec.resources[0], for_each=tuple(ForEachDimension(n, "${[1]}") for n in iterators)
    )
    rgd = replace(rgd, spec=replace(rgd.spec, resources=(resource,)))
    with pytest.raises(GraphError, match=message):
        build_graph(rgd, registry)
