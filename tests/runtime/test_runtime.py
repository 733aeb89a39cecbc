"""The per-instance runtime over graphs compiled by `build_graph` (spec §5.2, §5.3, §5.7, §3.8)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pykro.api.conventions import (
    APPLY_ORDER_ANNOTATION,
    APPLYSET_PART_OF_LABEL,
    INSTANCE_ID_LABEL,
    NODE_ID_LABEL,
    applyset_id,
)
from pykro.runtime.runtime import Action, NodeFailed, NodePending, Runtime
from pykro.runtime.state import InstanceState, NodeState, instance_state
from tests.runtime.graphs import GATED, WEBAPP, compile_rgd, instance

WEB = compile_rgd(WEBAPP)
GATE = compile_rgd(GATED)
SPEC: dict[str, Any] = {"token": "abc", "replicas": 2, "withConfig": True, "divisor": 1}


def served(obj: dict[str, Any], rv: str = "7", **extra: Any) -> dict[str, Any]:
    """`obj` as the API server would return it."""
    out = copy.deepcopy(obj)
    out["metadata"].update({"resourceVersion": rv, "uid": f"uid-{obj['metadata']['name']}"})
    out.update(extra)
    return out


def test_renders_template_with_kro_metadata_and_default_namespace() -> None:
    rt = Runtime(WEB, instance(WEB, namespace="team-a", **SPEC))
    res = rt.resolve("secret")
    assert res.action is Action.APPLY and res.desired is not None
    meta = res.desired["metadata"]
    assert meta["name"] == "demo-secret" and meta["namespace"] == "team-a"
    assert res.desired["stringData"] == {"token": "abc"}
    assert meta["labels"][INSTANCE_ID_LABEL] == "uid-demo"
    assert meta["labels"][NODE_ID_LABEL] == "secret"
    assert meta["labels"][APPLYSET_PART_OF_LABEL] == applyset_id("demo", "team-a", "WebApp", "kro.run")
    assert meta["labels"]["kro.run/instance-namespace"] == "team-a"
    assert meta["annotations"][APPLY_ORDER_ANNOTATION] == str(WEB.node("secret").apply_order)


def test_template_labels_are_kept_next_to_kro_labels() -> None:
    rt = Runtime(WEB, instance(WEB, **SPEC))
    desired = rt.resolve("config").desired
    assert desired is not None
    assert desired["metadata"]["labels"]["team"] == "blue"
    assert desired["data"] == {"replicas": "2", "ratio": "100"}


def test_dependent_waits_for_observed_dependency_then_reads_its_resource_version() -> None:
    rt = Runtime(WEB, instance(WEB, **SPEC))
    secret = rt.resolve("secret").desired
    assert secret is not None
    with pytest.raises(NodePending, match='dependent node "secret" not ready'):
        rt.resolve("deployment")
    assert rt.states["deployment"] is NodeState.IN_PROGRESS
    rt.observe("secret", served(secret, rv="41"))
    desired = rt.resolve("deployment").desired
    assert desired is not None
    assert desired["spec"]["template"]["metadata"]["annotations"]["secret-version"] == "41"
    assert desired["spec"]["replicas"] == 2


def test_include_when_false_skips_and_is_contagious() -> None:
    rt = Runtime(GATE, instance(GATE, ready="yes", enabled=False))
    assert rt.resolve("optional").action is Action.SKIP
    assert rt.resolve("child").action is Action.SKIP
    assert rt.states["optional"] is NodeState.SKIPPED and rt.states["child"] is NodeState.SKIPPED


def test_ready_when_gates_dependents_until_true() -> None:
    rt = Runtime(GATE, instance(GATE, ready="no", enabled=True))
    first = rt.resolve("first").desired
    assert first is not None
    rt.observe("first", served(first))
    with pytest.raises(NodePending, match="readyWhen"):
        rt.resolve("second")
    rt2 = Runtime(GATE, instance(GATE, ready="yes", enabled=True))
    first2 = rt2.resolve("first").desired
    assert first2 is not None
    rt2.observe("first", served(first2))
    assert rt2.resolve("second").desired is not None
    assert rt2.settle("first", served(first2)) is NodeState.SYNCED
    assert rt.settle("first", served(first)) is NodeState.WAITING_FOR_READINESS


def test_cel_runtime_error_names_resource_field_and_expression() -> None:
    rt = Runtime(WEB, instance(WEB, **{**SPEC, "divisor": 0}))
    with pytest.raises(NodeFailed) as info:
        rt.resolve("config")
    message = str(info.value)
    assert "'config'" in message and "data.ratio" in message and "schema.spec.divisor" in message
    assert "divide by zero" in message
    assert rt.states["config"] is NodeState.ERROR
    assert rt.instance_state() is InstanceState.ERROR


def test_missing_instance_field_is_data_pending_not_an_error() -> None:
    spec = {k: v for k, v in SPEC.items() if k != "token"}
    rt = Runtime(WEB, instance(WEB, **spec))
    with pytest.raises(NodePending, match="stringData.token"):
        rt.resolve("secret")


def test_status_projection_skips_pending_fields() -> None:
    rt = Runtime(WEB, instance(WEB, **SPEC))
    secret = rt.resolve("secret").desired
    assert secret is not None
    rt.settle("secret", served(secret, rv="5"))
    status, errors = rt.project_status()
    assert status == {"secretVersion": "5"}
    assert errors == []
    deployment = rt.resolve("deployment").desired
    assert deployment is not None
    rt.settle("deployment", served(deployment, status={"availableReplicas": 2}))
    status, _ = rt.project_status()
    assert status == {"secretVersion": "5", "available": 2}


def test_expressions_are_memoized_until_their_inputs_change() -> None:
    rt = Runtime(WEB, instance(WEB, **SPEC))
    secret = rt.resolve("secret").desired
    assert secret is not None
    rt.observe("secret", served(secret, rv="1"))
    rt.resolve("deployment")
    after_first = rt.evaluations
    rt.resolve("deployment")
    assert rt.evaluations == after_first  # nothing re-evaluated
    rt.observe("secret", served(secret, rv="2"))
    desired = rt.resolve("deployment").desired
    assert desired is not None
    assert rt.evaluations == after_first + 1  # only the expression reading `secret`
    assert desired["spec"]["template"]["metadata"]["annotations"]["secret-version"] == "2"


def test_cluster_scoped_instance_cannot_default_a_child_namespace() -> None:
    inst = instance(WEB, **SPEC)
    del inst["metadata"]["namespace"]
    rt = Runtime(WEB, inst)
    with pytest.raises(NodeFailed) as failed:
        rt.resolve("secret")
    # upstream's wording, naming the field to set
    assert str(failed.value).endswith(
        'node "secret" is namespaced and must resolve metadata.namespace when the instance is cluster-scoped'
    ), str(failed.value)


def test_runtime_does_not_mutate_the_graph_template() -> None:
    before = WEB.node("secret").template
    Runtime(WEB, instance(WEB, **SPEC)).resolve("secret")
    assert WEB.node("secret").template == before
    assert "${" in str(WEB.node("secret").template["metadata"]["name"])


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([], InstanceState.ACTIVE),
        ([NodeState.SYNCED, NodeState.SKIPPED, NodeState.DELETED], InstanceState.ACTIVE),
        ([NodeState.SYNCED, NodeState.WAITING_FOR_READINESS], InstanceState.IN_PROGRESS),
        ([NodeState.SYNCED, NodeState.IN_PROGRESS], InstanceState.IN_PROGRESS),
        ([NodeState.ERROR, NodeState.IN_PROGRESS], InstanceState.ERROR),
    ],
)
def test_instance_state(states: list[NodeState], expected: InstanceState) -> None:
    assert instance_state(states) is expected
