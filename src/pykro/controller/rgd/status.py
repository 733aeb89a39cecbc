"""The RGD status kro writes (spec §1.1, §6.3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pykro.controller.conditions import FALSE, READY, TRUE, UNKNOWN, ConditionSet
from pykro.controller.revisions.graphstatus import graph_fields
from pykro.graph.model import CompiledGraph
from pykro.timestamps import now_rfc3339

GRAPH_ACCEPTED = "GraphAccepted"
KIND_READY = "KindReady"
CONTROLLER_READY = "ControllerReady"
GRAPH_REVISIONS_RESOLVED = "GraphRevisionsResolved"
# `state` needs these; `Ready` also needs GraphRevisionsResolved (spec §6.3).
SERVING = (GRAPH_ACCEPTED, KIND_READY, CONTROLLER_READY)
DEPENDENTS = (GRAPH_REVISIONS_RESOLVED, *SERVING)
ACTIVE, INACTIVE = "Active", "Inactive"
# Conditions kro no longer writes; dropped from status when found.
_STALE = frozenset({"ResourceGraphAccepted"})

__all__ = [
    "ACTIVE",
    "CONTROLLER_READY",
    "FALSE",
    "GRAPH_ACCEPTED",
    "GRAPH_REVISIONS_RESOLVED",
    "INACTIVE",
    "KIND_READY",
    "READY",
    "TRUE",
    "UNKNOWN",
    "StatusBuilder",
]


@dataclass
class StatusBuilder:
    """Accumulates one reconcile's view of an RGD and renders its `.status`."""

    conditions: ConditionSet
    graph: CompiledGraph | None = None
    last_issued_revision: int = 0

    @classmethod
    def for_object(cls, obj: Mapping[str, Any]) -> StatusBuilder:
        meta = obj.get("metadata") or {}
        existing = [
            c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type") not in _STALE
        ]
        stamp = now_rfc3339()
        conditions = ConditionSet(
            READY,
            DEPENDENTS,
            existing,
            generation=int(meta.get("generation") or 0),
            now=stamp,
            created=str(meta.get("creationTimestamp") or stamp),
        )
        issued = (obj.get("status") or {}).get("lastIssuedRevision")
        return cls(conditions, last_issued_revision=issued if isinstance(issued, int) else 0)

    def set(self, kind: str, status: str, reason: str, message: str = "") -> None:
        self.conditions.set(kind, status, reason, message)

    @property
    def state(self) -> str:
        return ACTIVE if all(self.conditions.is_true(k) for k in SERVING) else INACTIVE

    def render(self) -> dict[str, Any]:
        """The whole status; absent fields are explicit nulls so a merge patch removes them."""
        return {
            "state": self.state,
            "conditions": self.conditions.as_list(),
            **graph_fields(self.graph),
            "lastIssuedRevision": self.last_issued_revision or None,
        }
