"""forEach expansion and collection readiness in the runtime (spec §5.2 Collections)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pykro.api.conventions import COLLECTION_INDEX_LABEL, COLLECTION_SIZE_LABEL
from pykro.runtime.runtime import Action, NodeFailed, NodePending, Runtime
from pykro.runtime.state import NodeState
from tests.runtime.graphs import FLEET, compile_rgd, instance

GRAPH = compile_rgd(FLEET)


def names(items: tuple[dict[str, Any], ...]) -> list[str]:
    return [i["metadata"]["name"] for i in items]


def test_cartesian_product_with_first_dimension_outermost() -> None:
    rt = Runtime(GRAPH, instance(GRAPH, "f", regions=["eu", "us"], tiers=["a", "b", "c"]))
    res = rt.resolve("workers")
    assert res.action is Action.APPLY and res.desired is None
    assert names(res.items) == ["f-eu-a", "f-eu-b", "f-eu-c", "f-us-a", "f-us-b", "f-us-c"]
    third = res.items[2]
    assert third["data"] == {"region": "eu", "tier": "c", "ready": "yes", "owner": "f"}
    assert third["metadata"]["labels"][COLLECTION_INDEX_LABEL] == "2"
    assert third["metadata"]["labels"][COLLECTION_SIZE_LABEL] == "6"
    assert third["metadata"]["namespace"] == "default"


def test_dependents_wait_for_every_item_then_read_the_list() -> None:
    rt = Runtime(GRAPH, instance(GRAPH, "f", regions=["eu"], tiers=["a", "b"]))
    items = rt.resolve("workers").items
    rt.observe("workers", [items[0]])
    with pytest.raises(NodePending, match="1 of 2 items"):
        rt.resolve("summary")
    assert rt.settle("workers", list(items)) is NodeState.SYNCED
    summary = rt.resolve("summary").desired
    assert summary is not None and summary["data"]["names"] == "f-eu-a,f-eu-b"
    assert rt.project_status() == ({"count": 2}, [])


def test_ready_when_is_checked_for_each_item() -> None:
    rt = Runtime(GRAPH, instance(GRAPH, "f", regions=["eu"], tiers=["a", "b"]))
    items = [copy.deepcopy(i) for i in rt.resolve("workers").items]
    items[1]["data"]["ready"] = "no"
    assert rt.settle("workers", items) is NodeState.WAITING_FOR_READINESS
    assert "item 1" in rt.reasons["workers"]


def test_empty_dimension_gives_an_empty_ready_collection() -> None:
    rt = Runtime(GRAPH, instance(GRAPH, "f", regions=[], tiers=["a"]))
    assert rt.resolve("workers").items == ()
    assert rt.settle("workers", []) is NodeState.SYNCED
    summary = rt.resolve("summary").desired
    assert summary is not None and summary["data"]["names"] == ""


def test_oversized_collection_is_an_error() -> None:
    rt = Runtime(
        GRAPH, instance(GRAPH, "f", regions=["a", "b", "c"], tiers=["x", "y"]), max_collection_size=5
    )
    with pytest.raises(NodeFailed, match="collection size of 6 is over the maximum collection size of 5"):
        rt.resolve("workers")


def test_duplicate_identities_collide() -> None:
    rt = Runtime(GRAPH, instance(GRAPH, "f", regions=["eu", "eu"], tiers=["a"]))
    with pytest.raises(NodeFailed, match="identity collision"):
        rt.resolve("workers")


def test_null_dimension_is_an_error() -> None:
    rt = Runtime(GRAPH, instance(GRAPH, "f", regions=None, tiers=["a"]))
    with pytest.raises(NodeFailed, match="must return a list, got null"):
        rt.resolve("workers")
