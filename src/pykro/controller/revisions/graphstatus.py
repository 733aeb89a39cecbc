"""Status fields the RGD and its GraphRevisions both write: the compiled graph's shape, and whether a
status write would change anything."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykro.graph.model import CompiledGraph


def graph_fields(graph: CompiledGraph | None) -> dict[str, Any]:
    """`topologicalOrder` and `resources` (nodes with dependencies) of `graph`; nulls without one."""
    if graph is None:
        return {"topologicalOrder": None, "resources": None}
    return {"topologicalOrder": list(graph.topological_order), "resources": graph.status_resources() or None}


def differs(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> bool:
    """Whether writing `desired` (with nulls meaning "absent") would change `current`."""
    current = current or {}
    for key, value in desired.items():
        have = current.get(key)
        if value is None:
            if have is not None:
                return True
        elif have != value:
            return True
    return False
