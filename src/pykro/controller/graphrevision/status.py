"""The GraphRevision status the GraphRevision controller writes (spec §1.2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykro.controller.conditions import FALSE, READY, TRUE, ConditionSet
from pykro.controller.revisions.graphstatus import differs, graph_fields
from pykro.graph.model import CompiledGraph
from pykro.timestamps import now_rfc3339

GRAPH_VERIFIED = "GraphVerified"
VERIFIED_MESSAGE = "graph revision compiled and verified"

__all__ = ["GRAPH_VERIFIED", "VERIFIED_MESSAGE", "differs", "render_status"]


def render_status(obj: Mapping[str, Any], graph: CompiledGraph | None, error: str) -> dict[str, Any]:
    """The whole status for a compiled (`graph`) or failed (`error`) revision; nulls remove fields."""
    meta = obj.get("metadata") or {}
    stamp = now_rfc3339()
    conditions = ConditionSet(
        READY,
        (GRAPH_VERIFIED,),
        (obj.get("status") or {}).get("conditions") or [],
        generation=int(meta.get("generation") or 0),
        now=stamp,
        created=str(meta.get("creationTimestamp") or stamp),
    )
    if graph is not None:
        conditions.set(GRAPH_VERIFIED, TRUE, "Verified", VERIFIED_MESSAGE)
    else:
        conditions.set(GRAPH_VERIFIED, FALSE, "InvalidGraph", error)
    return {"conditions": conditions.as_list(), **graph_fields(graph)}
