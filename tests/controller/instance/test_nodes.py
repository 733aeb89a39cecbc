"""When a pending instance may rely on watch events instead of a delayed requeue."""

from __future__ import annotations

from pykro.controller.instance.nodes import Outcome, anticipated_kinds
from pykro.runtime.runtime import Runtime
from pykro.runtime.state import NodeState
from tests.runtime.graphs import GATED, WEBAPP, compile_rgd, instance


def test_pending_on_a_read_dependency_is_watched() -> None:
    graph = compile_rgd(GATED)  # second reads first; child reads optional
    assert Outcome(pending_nodes={"second"}, read_nodes={"first"}).pending_is_watched(graph)


def test_pending_on_an_unread_dependency_needs_the_requeue() -> None:
    graph = compile_rgd(GATED)
    assert not Outcome(pending_nodes={"second"}, read_nodes=set()).pending_is_watched(graph)


def test_pending_chains_down_to_the_instance_spec_are_watched() -> None:
    graph = compile_rgd(GATED)  # optional waits on the spec only (instance events cover it)
    assert Outcome(pending_nodes={"optional", "child"}).pending_is_watched(graph)
    assert Outcome().pending_is_watched(graph)


def test_anticipated_kinds_leave_out_skipped_nodes() -> None:
    graph = compile_rgd(WEBAPP)
    runtime = Runtime(graph, instance(graph, token="t", replicas=1, withConfig=False, divisor=1))
    assert anticipated_kinds(graph, runtime).group_kinds == {"Secret", "ConfigMap", "Deployment.apps"}
    runtime.resolve("config")
    assert runtime.states["config"] is NodeState.SKIPPED
    assert anticipated_kinds(graph, runtime).group_kinds == {"Secret", "Deployment.apps"}
