"""Node and instance states (spec §5.2, §5.3)."""

from __future__ import annotations

import enum
from collections.abc import Iterable


class NodeState(enum.Enum):
    IN_PROGRESS = "IN_PROGRESS"
    SYNCED = "SYNCED"
    SKIPPED = "SKIPPED"
    ERROR = "ERROR"
    DELETING = "DELETING"
    DELETED = "DELETED"
    WAITING_FOR_READINESS = "WAITING_FOR_READINESS"


class InstanceState(enum.Enum):
    ACTIVE = "ACTIVE"
    IN_PROGRESS = "IN_PROGRESS"
    ERROR = "ERROR"
    DELETING = "DELETING"


_SETTLED = frozenset({NodeState.SYNCED, NodeState.SKIPPED, NodeState.DELETED})


def instance_state(node_states: Iterable[NodeState]) -> InstanceState:
    """Any ERROR → ERROR; all settled (vacuously, with no nodes) → ACTIVE; else IN_PROGRESS."""
    states = list(node_states)
    if NodeState.ERROR in states:
        return InstanceState.ERROR
    if all(s in _SETTLED for s in states):
        return InstanceState.ACTIVE
    return InstanceState.IN_PROGRESS
