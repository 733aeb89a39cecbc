"""Author conditions at run time (spec §5.8), against graphs compiled by the real builder."""

from __future__ import annotations

from typing import Any

import pytest

from pykro.api.rgd import parse_rgd
from pykro.graph import CompiledGraph, build_graph
from pykro.runtime.author_conditions import evaluate_author_conditions
from pykro.runtime.runtime import Runtime
from pykro.schema.registry import SchemaRegistry

INSTANCE: dict[str, Any] = {
    "apiVersion": "kro.run/v1alpha1",
    "kind": "Conds",
    "metadata": {"name": "demo", "namespace": "default", "uid": "u-1", "generation": 4},
    "spec": {"name": "demo", "level": "True"},
}
BUILTINS = [
    {
        "type": "ResourcesReady",
        "status": "False",
        "reason": "NotReady",
        "message": "waiting",
        "observedGeneration": 4,
        "lastTransitionTime": "2024-01-01T00:00:00Z",
    },
    {
        "type": "Ready",
        "status": "False",
        "reason": "NotReady",
        "message": "waiting",
        "observedGeneration": 4,
        "lastTransitionTime": "2024-01-01T00:00:00Z",
    },
]
NOW = "2025-06-01T12:00:00Z"
EARLIER = "2025-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry()


def graph_with(registry: SchemaRegistry, *conditions: str) -> CompiledGraph:
    doc = {
        "apiVersion": "kro.run/v1alpha1",
        "kind": "ResourceGraphDefinition",
        "metadata": {"name": "conds"},
        "spec": {
            "schema": {
                "apiVersion": "v1alpha1",
                "kind": "Conds",
                "spec": {"name": "string | default=x", "level": "string | default=True"},
                "status": {"conditions": list(conditions)},
            },
            "resources": [
                {
                    "id": "cm",
                    "template": {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": {"name": "${schema.spec.name}"},
                        "data": {"k": "v"},
                    },
                }
            ],
        },
    }
    return build_graph(parse_rgd(doc), registry)


def run(
    graph: CompiledGraph,
    persisted: list[dict[str, Any]] | None = None,
    cm: dict[str, Any] | None = None,
    builtins: list[dict[str, Any]] | None = None,
) -> Any:
    runtime = Runtime(graph, INSTANCE)
    if cm is not None:
        runtime.observe("cm", cm)
    return evaluate_author_conditions(
        graph, runtime, BUILTINS if builtins is None else builtins, persisted or [], generation=4, now=NOW
    )


CM = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "demo", "namespace": "default"},
    "data": {"k": "ready"},
}


def test_conditions_are_written_with_generation_and_time(registry: SchemaRegistry) -> None:
    graph = graph_with(
        registry,
        "${runtime.newCondition({type: 'AppReady', status: cm.data.k == 'ready' ? "
        "'True' : 'False', reason: 'Data', message: cm.data.k})}",
    )
    result = run(graph, cm=CM)
    assert result.conditions == [
        {
            "type": "AppReady",
            "status": "True",
            "reason": "Data",
            "message": "ready",
            "observedGeneration": 4,
            "lastTransitionTime": NOW,
        }
    ]
    assert not result.degraded and not result.incomplete


def test_builtins_are_visible_through_schema(registry: SchemaRegistry) -> None:
    graph = graph_with(
        registry,
        "${runtime.newCondition({type: 'Ready', status: runtime.condition(schema, 'Ready')"
        ".status == 'False' ? 'True' : 'False', reason: runtime.condition(schema, "
        "'ResourcesReady').reason})}",
    )
    # The persisted `Ready` is the author's (True); the built-in one of this reconcile is False.
    persisted = [{"type": "Ready", "status": "True", "reason": "NotReady", "lastTransitionTime": EARLIER}]
    (ready,) = run(graph, persisted).conditions
    assert (ready["status"], ready["reason"], ready["lastTransitionTime"]) == ("True", "NotReady", EARLIER)


def test_last_transition_time_moves_only_when_status_changes(registry: SchemaRegistry) -> None:
    graph = graph_with(registry, "${runtime.newCondition({type: 'Lvl', status: schema.spec.level})}")
    same = [{"type": "Lvl", "status": "True", "reason": "", "message": "", "lastTransitionTime": EARLIER}]
    assert run(graph, same).conditions[0]["lastTransitionTime"] == EARLIER
    changed = [{**same[0], "status": "False"}]
    assert run(graph, changed).conditions[0]["lastTransitionTime"] == NOW


def test_pending_entries_are_skipped_and_previous_conditions_kept(registry: SchemaRegistry) -> None:
    graph = graph_with(
        registry,
        "${runtime.newCondition({type: 'Data', status: cm.data.k == 'ready' ? 'True' : 'False'})}",
        "${runtime.newCondition({type: 'Lvl', status: schema.spec.level})}",
    )
    persisted = [
        {"type": "Data", "status": "True", "lastTransitionTime": EARLIER},
        {"type": "Ready", "status": "True", "lastTransitionTime": EARLIER},
    ]
    result = run(graph, persisted)  # cm not observed yet
    assert result.incomplete and not result.degraded
    assert [c["type"] for c in result.conditions] == ["Lvl", "Data"]
    assert result.conditions[1] == persisted[0]  # kept as it was; the built-in Ready is not carried over
    missing_key = run(graph, persisted, cm={**CM, "data": {}})
    assert missing_key.incomplete


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ("${runtime.newCondition({type: 'Bad', status: schema.spec.name})}", "status must be one of True"),
        ("${[cm.data]}", "did not return runtime.newCondition(...)"),
        (
            "${runtime.newCondition({type: 'Div', status: 1 / (size(schema.spec.name) - 4) > 0 ? 'True' : "
            "'False'})}",
            "divide by zero",
        ),
    ],
)
def test_errors_degrade_and_keep_previous(registry: SchemaRegistry, entry: str, error: str) -> None:
    graph = graph_with(registry, entry, "${runtime.newCondition({type: 'Lvl', status: schema.spec.level})}")
    persisted = [{"type": "Old", "status": "False", "lastTransitionTime": EARLIER}]
    result = run(graph, persisted, cm=CM)
    assert result.degraded
    assert error in result.errors[0]
    assert [c["type"] for c in result.conditions] == ["Lvl", "Old"]


def test_duplicate_types_are_dropped(registry: SchemaRegistry) -> None:
    graph = graph_with(
        registry,
        "${runtime.newCondition({type: schema.spec.name, status: 'True'})}",
        "${[runtime.newCondition({type: 'demo', status: 'False'}), "
        "runtime.newCondition({type: 'Other', status: 'True'})]}",
    )
    result = run(graph)
    assert result.degraded
    assert 'condition type "demo" was produced 2 times' in result.errors[0]
    assert [c["type"] for c in result.conditions] == ["Other"]


def test_complete_result_drops_stale_conditions(registry: SchemaRegistry) -> None:
    graph = graph_with(registry, "${runtime.newCondition({type: 'Lvl', status: schema.spec.level})}")
    persisted = [{"type": "Gone", "status": "True", "lastTransitionTime": EARLIER}]
    assert [c["type"] for c in run(graph, persisted).conditions] == ["Lvl"]
