"""Instance conditions and the status write (spec §5.6, §5.7)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pykro.api.conventions import meta
from pykro.controller.conditions import Condition, ConditionSet
from pykro.controller.instance.compare import canonical_json
from pykro.controller.instance.events import InstanceEvents
from pykro.controller.instance.metrics import ConditionDurations
from pykro.graph.model import CompiledGraph
from pykro.kube import Conflict, KubeClient, NotFound
from pykro.runtime.author_conditions import Evaluator, evaluate_author_conditions
from pykro.runtime.state import InstanceState
from pykro.schema.gvk import GVK
from pykro.timestamps import now_rfc3339
from pykro.toolkit import ObjectRef

log = logging.getLogger(__name__)

READY, MANAGED, RESOLVED, RESOURCES = "Ready", "InstanceManaged", "GraphResolved", "ResourcesReady"
DEPENDENTS = (MANAGED, RESOLVED, RESOURCES)
BUILT_IN_TYPES = frozenset({READY, *DEPENDENTS})
_BUILT_IN_KEYS = ("conditions", "state")


def conditions_of(instance: Mapping[str, Any]) -> ConditionSet:
    """The instance's persisted conditions as a set rooted at `Ready`, stamped with its generation."""
    m = meta(instance)
    status = instance.get("status")
    existing = status.get("conditions") if isinstance(status, Mapping) else None
    stamp = now_rfc3339()
    return ConditionSet(
        READY,
        DEPENDENTS,
        existing if isinstance(existing, list) else [],
        generation=int(m.get("generation") or 0),
        now=stamp,
        created=str(m.get("creationTimestamp") or stamp),
    )


@dataclass(frozen=True)
class ConditionsToWrite:
    """What `status.conditions` gets after a reconcile; `degraded` forces `state: ERROR` (§5.8)."""

    conditions: list[Condition]
    degraded: bool = False


def conditions_to_write(
    graph: CompiledGraph,
    evaluator: Evaluator,
    conditions: ConditionSet,
    instance: Mapping[str, Any],
) -> ConditionsToWrite:
    """kro's built-ins, or (the RGD declares `status.conditions`) the author conditions (§5.7, §5.8).

    Persisted conditions of other types (e.g. left over from a removed conditions block) are dropped."""
    builtins = [c for c in conditions.as_list() if c.get("type") in BUILT_IN_TYPES]
    if not graph.conditions:
        return ConditionsToWrite(builtins)
    status = instance.get("status")
    persisted = status.get("conditions") if isinstance(status, Mapping) else None
    result = evaluate_author_conditions(
        graph,
        evaluator,
        builtins,
        persisted if isinstance(persisted, list) else [],
        generation=conditions.generation,
        now=conditions.now,
    )
    if result.errors:
        log.warning(
            "instance %s/%s: author conditions degraded: %s",
            meta(instance).get("namespace") or "",
            meta(instance).get("name"),
            "; ".join(result.errors),
        )
    return ConditionsToWrite(result.conditions, result.degraded)


def previous_projections(instance: Mapping[str, Any]) -> dict[str, Any]:
    """The persisted user status fields (everything but kro's `state` and `conditions`)."""
    status = instance.get("status")
    if not isinstance(status, Mapping):
        return {}
    return {k: v for k, v in status.items() if k not in _BUILT_IN_KEYS}


def previous_state(instance: Mapping[str, Any], default: InstanceState) -> InstanceState:
    status = instance.get("status")
    text = status.get("state") if isinstance(status, Mapping) else None
    try:
        return InstanceState(text)
    except ValueError:
        return default


Transition = Callable[[GVK, str, str], None]


class StatusWriter:
    """Writes `.status` through the status subresource, only when its canonical JSON changed,
    so kro's own reconciles never produce an event of their own."""

    def __init__(
        self,
        client: KubeClient,
        on_transition: Transition | None = None,
        events: InstanceEvents | None = None,
        condition_metrics: ConditionDurations | None = None,
        on_written: Callable[[GVK, Mapping[str, Any]], None] | None = None,
    ) -> None:
        self.client = client
        self.on_transition = on_transition
        self.events = events
        self.condition_metrics = condition_metrics
        self.on_written = on_written  # told of every instance the write returned (cache freshness)
        self.transitions: dict[tuple[str, str], int] = {}

    async def write(
        self,
        key: ObjectRef,
        instance: Mapping[str, Any],
        projected: Mapping[str, Any],
        conditions: ConditionSet,
        computed: InstanceState,
        *,
        attempts: int = 5,
        written: ConditionsToWrite | None = None,
    ) -> None:
        """`written`: the conditions to write instead of every condition of `conditions` (which keeps
        unknown types as read: author conditions stay untouched where they are not evaluated)."""
        # The written state is ACTIVE whenever Ready is True for this generation (§5.3), unless
        # the author conditions are degraded (§5.8).
        ready = conditions.is_true(READY) and computed is not InstanceState.DELETING
        state = InstanceState.ACTIVE if ready else computed
        if written is not None and written.degraded and computed is not InstanceState.DELETING:
            state = InstanceState.ERROR
        status: dict[str, Any] = {k: v for k, v in projected.items() if k not in _BUILT_IN_KEYS}
        status["conditions"] = written.conditions if written is not None else conditions.as_list()
        status["state"] = state.value
        if self.condition_metrics is not None:
            self.condition_metrics.observe(key.gvk, instance, status["conditions"])
        current: Mapping[str, Any] = instance
        for _ in range(attempts):
            persisted = current.get("status") if isinstance(current.get("status"), Mapping) else {}
            if canonical_json(persisted or {}) == canonical_json(status):
                return
            old_state = str((persisted or {}).get("state") or "")
            try:
                stored = await self.client.replace_status(_status_update(current, status))
            except Conflict:
                try:
                    current = await self.client.get(key.gvk, key.name, namespace=key.namespace or None)
                except NotFound:
                    return
                continue
            except NotFound:
                return
            if self.on_written is not None:
                self.on_written(key.gvk, stored)
            if self.events is not None:
                self.events.status_written(key.gvk, stored, persisted or {}, status)
            if old_state != state.value:
                self.transitions[(old_state, state.value)] = (
                    self.transitions.get((old_state, state.value), 0) + 1
                )
                if self.on_transition is not None:
                    self.on_transition(key.gvk, old_state, state.value)
            return
        log.warning("instance %s: status write kept conflicting; the next reconcile retries", key)


def _status_update(current: Mapping[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    """The PUT body: `current` with `status`, without managedFields. An update that sends none
    leaves them as they are (kube-apiserver's rule), and they are half of a small object's JSON:
    the server need not parse and compare them on every status write."""
    meta = current.get("metadata")
    trimmed = {k: v for k, v in meta.items() if k != "managedFields"} if isinstance(meta, Mapping) else {}
    return {**current, "metadata": trimmed, "status": status}
