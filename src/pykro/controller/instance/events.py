"""What the instance controller tells people: Kubernetes Events on the instance and one log line per
state change or error.

Events (core v1, so `kubectl describe` and `kubectl get events` show them) are recorded as
`kro/<crd-name>-controller`, the component upstream kro records instance Events as:

- `InstanceConditionEvents` (upstream's gate, off by default): one Event per condition whose status
  changed, reason the condition type, message `<old|none> -> <new>: <reason>`, `Normal` when the new
  status is True, else `Warning`. Exactly upstream's.
- pykro's own, unless switched off (`--events=off`): the instance's state transitions
  (`InstanceActive`, `InstanceInProgress`, `InstanceError`, `InstanceDeleting`), an error with the
  condition message naming the resource (`ReconcileError`), a deletion that cannot proceed and why
  (`DeletionBlocked`), and the adoption of an object no kro instance created (`AdoptedResource`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pykro.api.conventions import meta
from pykro.schema.gvk import GVK
from pykro.toolkit.events import NORMAL, WARNING, EventBroadcaster, EventRecorder

log = logging.getLogger("pykro.instance")

STATE_REASONS = {
    "ACTIVE": "InstanceActive",
    "IN_PROGRESS": "InstanceInProgress",
    "ERROR": "InstanceError",
    "DELETING": "InstanceDeleting",
}
_ERROR_CONDITIONS = ("InstanceManaged", "GraphResolved", "ResourcesReady")

Obj = Mapping[str, Any]


def instance_name(instance: Obj) -> str:
    m = meta(instance)
    where = "/".join(str(p) for p in (m.get("namespace"), m.get("name")) if p)
    return f"{instance.get('kind', '')} {where}"


def _conditions(status: Obj) -> dict[str, Obj]:
    found = status.get("conditions")
    items = found if isinstance(found, list) else ()
    return {str(c["type"]): c for c in items if isinstance(c, Mapping) and "type" in c}


def _first_failure(status: Obj) -> str:
    """The message of the first False built-in condition: what is wrong, naming the resource."""
    conditions = _conditions(status)
    for kind in _ERROR_CONDITIONS:
        c = conditions.get(kind)
        if c is not None and c.get("status") == "False":
            return str(c.get("message") or c.get("reason") or "")
    ready = conditions.get("Ready")
    return str(ready.get("message") or "") if ready is not None else ""


class InstanceEvents:
    def __init__(
        self,
        broadcaster: EventBroadcaster | None,
        *,
        record: bool = True,
        condition_events: bool = False,
    ) -> None:
        self.broadcaster = broadcaster
        self.record = record and broadcaster is not None
        self.condition_events = condition_events and broadcaster is not None
        self._recorders: dict[GVK, EventRecorder] = {}
        self._blocked: dict[str, str] = {}  # instance uid → why its deletion waits (logged once)

    def serve(self, gvk: GVK, plural: str) -> None:
        """Events on instances of `gvk` come from `kro/<plural>.<group>-controller`."""
        if self.broadcaster is not None:
            self._recorders[gvk] = self.broadcaster.recorder(f"kro/{plural}.{gvk.group}-controller")

    def _recorder(self, gvk: GVK) -> EventRecorder | None:
        if self.broadcaster is None:
            return None
        if gvk not in self._recorders:
            self._recorders[gvk] = self.broadcaster.recorder(f"kro/{gvk.kind.lower()}.{gvk.group}-controller")
        return self._recorders[gvk]

    def _emit(self, gvk: GVK, instance: Obj, type_: str, reason: str, message: str) -> None:
        recorder = self._recorder(gvk)
        if recorder is not None:
            recorder.event(instance, type_, reason, message)

    # -- what the reconciler reports ---------------------------------------------------------------
    def status_written(self, gvk: GVK, instance: Obj, old: Obj, new: Obj) -> None:
        """After a status write: log and record what changed between the `old` and `new` status."""
        old_state, new_state = str(old.get("state") or ""), str(new.get("state") or "")
        failure = _first_failure(new) if new_state in ("ERROR", "IN_PROGRESS") else ""
        if old_state != new_state:
            detail = f": {failure}" if failure else ""
            line = f"{instance_name(instance)}: {old_state or 'new'} -> {new_state}{detail}"
            (log.warning if new_state == "ERROR" else log.info)("%s", line)
            if self.record:
                type_ = WARNING if new_state == "ERROR" else NORMAL
                message = f"state {old_state or 'none'} -> {new_state}{detail}"
                self._emit(gvk, instance, type_, STATE_REASONS.get(new_state, "StateChanged"), message)
        elif new_state == "ERROR" and failure and failure != _first_failure(old):
            log.warning("%s: %s", instance_name(instance), failure)
            if self.record:
                self._emit(gvk, instance, WARNING, "ReconcileError", failure)
        if self.condition_events:
            self._condition_transitions(gvk, instance, old, new)

    def _condition_transitions(self, gvk: GVK, instance: Obj, old: Obj, new: Obj) -> None:
        """Upstream's `emitConditionEvents`, exactly."""
        before = _conditions(old)
        for kind, cond in _conditions(new).items():
            previous = before.get(kind)
            if previous is not None and previous.get("status") == cond.get("status"):
                continue
            old_status = str(previous.get("status")) if previous is not None else "none"
            status = str(cond.get("status") or "")
            message = f"{old_status} -> {status}: {cond.get('reason') or ''}"
            self._emit(gvk, instance, NORMAL if status == "True" else WARNING, kind, message)

    def adopted(self, gvk: GVK, instance: Obj, message: str) -> None:
        log.warning("%s: %s", instance_name(instance), message)
        if self.record:
            self._emit(gvk, instance, WARNING, "AdoptedResource", message)

    def deletion_blocked(self, gvk: GVK, instance: Obj, message: str) -> None:
        """Called on every deletion attempt that cannot proceed: logged when the reason changes;
        the Event repeats, which the correlator turns into a count."""
        uid = str(meta(instance).get("uid") or "")
        if self._blocked.get(uid) != message:
            self._blocked[uid] = message
            log.warning("%s: deletion blocked: %s", instance_name(instance), message)
        if self.record:
            self._emit(gvk, instance, WARNING, "DeletionBlocked", message)

    def deleted(self, instance: Obj) -> None:
        """The instance's finalizer is gone: forget what was said about it."""
        log.info("%s: deleted", instance_name(instance))
        self._blocked.pop(str(meta(instance).get("uid") or ""), None)

    def rollout(self, gvk: GVK, instance: Obj, workload: Obj, message: str) -> None:
        """A workload's pod template changed (pykro's rollout records): say why, on both."""
        log.info(
            "%s: %s %s: %s",
            instance_name(instance),
            workload.get("kind"),
            meta(workload).get("name"),
            message,
        )
        if self.record:
            self._emit(gvk, instance, NORMAL, "RolloutTriggered", message)
            self._emit(gvk, workload, NORMAL, "RolloutTriggered", message)
