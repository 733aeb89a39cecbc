"""Author-defined status conditions at build time (spec §4.7, §3.5 parse-time macro rules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pykro.graph import CompiledGraph, GraphError
from tests.graph.conftest import configmap, rgd_doc

Build = Callable[..., CompiledGraph]


def deployment(rid: str = "deploy") -> dict[str, Any]:
    return {
        "id": rid,
        "template": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "${schema.spec.name}"},
            "spec": {
                "selector": {"matchLabels": {"app": "x"}},
                "template": {
                    "metadata": {"labels": {"app": "x"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                },
            },
        },
    }


APP_READY = (
    "${runtime.newCondition({type: 'AppReady', status: deploy.status.readyReplicas > 0 ? 'True' : 'False', "
    "reason: 'ReplicaCount', message: ''})}"
)


def build_conditions(
    build: Build, conditions: Any, resources: list[dict[str, Any]] | None = None, **status: Any
) -> CompiledGraph:
    return build(
        rgd_doc(
            resources if resources is not None else [deployment(), configmap("cm")],
            {"conditions": conditions, **status},
        )
    )


def error_of(build: Build, conditions: Any, resources: list[dict[str, Any]] | None = None) -> str:
    with pytest.raises(GraphError) as info:
        build_conditions(build, conditions, resources)
    return str(info.value)


def test_spec_example_compiles_with_types_and_dependencies(build: Build) -> None:
    graph = build_conditions(build, [APP_READY], replicas="${deploy.status.replicas}")
    (entry,) = graph.conditions
    assert entry.text == APP_READY
    assert entry.declared_types == ("AppReady",)
    assert entry.resources == ("deploy",)
    assert graph.status_dependencies == ("deploy",)
    assert [f.path for f in graph.status_fields] == [("replicas",)]
    assert "conditions" in graph.status_schema["properties"]


def test_conditions_only_status_and_lists_and_lookups(build: Build) -> None:
    graph = build_conditions(
        build,
        [
            "${[runtime.newCondition({type: 'A', status: 'True'}), runtime.newCondition({type: 'B', status: "
            "'False'})]}",
            "${runtime.newCondition({type: 'C', status: runtime.condition(schema, 'Ready').status, "
            "message: runtime.condition(cm, 'Whatever').message})}",
        ],
    )
    assert [c.declared_types for c in graph.conditions] == [("A", "B"), ("C",)]
    assert graph.conditions[1].schema_lookups == ("Ready",)
    assert graph.conditions[1].resources == ("cm",)
    assert graph.status_fields == ()


def test_no_block_means_no_author_conditions(build: Build) -> None:
    assert build(rgd_doc([configmap("cm")])).conditions == ()


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ("${runtime.newCondition({type: 'A', status: 'True'})}", "status.conditions must be a list"),
        ([{"a": 1}], "status.conditions[0] must be a CEL expression string"),
        (
            ["x-${runtime.newCondition({type: 'A', status: 'True'})}"],
            "only standalone expressions are allowed",
        ),
        (
            ["${cm.metadata.name}"],
            'condition expressions must return runtime.newCondition(...) or a list of them, got "string"',
        ),
        (["${{'type': 'A', 'status': 'True'}.size()}"], 'got "int"'),
        (
            ["${runtime.newCondition({type: 'A', status: nosuch})}"],
            "references unknown identifiers: [nosuch]",
        ),
        (
            ["${runtime.newCondition({type: 'A', status: 'Maybe'})}"],
            'condition status "Maybe" must be one of True, False, Unknown',
        ),
        (["${runtime.newCondition({type: '', status: 'True'})}"], "condition type must not be empty"),
        (
            [
                "${runtime.newCondition({type: 'A', status: 'True'})}",
                "${runtime.newCondition({type: 'A', status: 'False'})}",
            ],
            'status.conditions[1]: condition type "A" is declared by more than one conditions entry',
        ),
        (
            [
                "${runtime.newCondition({type: 'A', status: 'True'})}",
                "${runtime.newCondition({type: 'B', status: runtime.condition(schema, 'A').status})}",
            ],
            "custom conditions cannot reference each other",
        ),
        (
            ["${runtime.newCondition({type: 'B', status: runtime.condition(schema, 'Nope').status})}"],
            'unknown condition type "Nope"',
        ),
        (["${runtime.newCondition({type: 'A', status: cm.metadata.nosuch})}"], "undefined field 'nosuch'"),
    ],
)
def test_build_time_rules(build: Build, conditions: Any, message: str) -> None:
    assert message in error_of(build, conditions)


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (
            "{'type': 'A', status: 'True'}",
            "must be a bare identifier (type, status, reason, message), not a quoted",
        ),
        ("{type: 'A', \"status\": 'True'}", "not a quoted string"),
        ("{type + 'x': 'A', status: 'True'}", "not a computed expression"),
        ("{type: 'A', type: 'B', status: 'True'}", "duplicate key 'type'"),
        ("{type: 'A', status: 'True', status: 'False'}", "duplicate key 'status'"),
        ("{type: 'A'}", "missing required key 'status'"),
        ("{status: 'True', reason: 'r'}", "missing required key 'type'"),
        ("{type: 'A', status: 'True', color: 'x'}", "unknown key 'color'"),
        ("schema.spec", "argument must be a map literal"),
        ("{type: 'A', status: 'True'}, 2", "takes exactly one argument"),
    ],
)
def test_new_condition_parse_time_rules(build: Build, argument: str, message: str) -> None:
    text = error_of(build, [f"${{runtime.newCondition({argument})}}"])
    assert "status.conditions[0]: failed to compile expression" in text
    assert message in text


def test_runtime_only_in_conditions(build: Build) -> None:
    with pytest.raises(GraphError, match=r"references unknown identifiers: \[runtime\]"):
        build(rgd_doc([configmap("cm")], {"x": "${runtime.condition(cm, 'A').status}"}))
    bad = configmap("cm", {"k": "${runtime.condition(schema, 'Ready').status}"})
    with pytest.raises(GraphError, match="runtime is only available in status.conditions expressions"):
        build(rgd_doc([bad]))


def test_omit_rejected(build: Build) -> None:
    text = error_of(build, ["${omit()}"])
    assert "omit() can only be used in resource template expressions" in text


def test_dynamic_type_and_status_are_accepted(build: Build) -> None:
    graph = build_conditions(
        build,
        [
            "${runtime.newCondition({type: schema.spec.name, status: schema.spec.enabled ? 'True' : 'False', "
            "reason: 'R', message: 'm'})}",
        ],
    )
    assert graph.conditions[0].declared_types == ()
    assert graph.conditions[0].uses_schema
