"""What the RGD controller tells people: Events on the ResourceGraphDefinition (recorded as
`kro/resourcegraphdefinition-controller`) and one log line per state change or error.

- `ResourceGraphActive` / `ResourceGraphInactive` when `status.state` changes, the latter with the
  reason (the compile error, the refused CRD change, ...);
- `InvalidResourceGraph` (Warning) when an Inactive RGD's error changes;
- `CRDCreated` / `CRDUpdated` when the instance CRD is written;
- `BreakingChangeRefused` (Warning) when a schema change would break existing instances.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pykro.toolkit.events import NORMAL, WARNING, EventRecorder

log = logging.getLogger("pykro.rgd")

COMPONENT = "kro/resourcegraphdefinition-controller"

Obj = Mapping[str, Any]


def _failure(status: Obj) -> str:
    """The first False condition: why the RGD cannot serve ("" while it is only progressing)."""
    for cond in status.get("conditions") or ():
        if isinstance(cond, Mapping) and cond.get("type") != "Ready" and cond.get("status") == "False":
            return f"{cond.get('type')}: {cond.get('message') or cond.get('reason') or ''}"
    return ""


class RGDEvents:
    def __init__(self, recorder: EventRecorder | None) -> None:
        self.recorder = recorder
        self._reported: dict[str, tuple[str, str]] = {}  # RGD name → (state, failure) last reported
        self._refused: dict[str, str] = {}  # RGD name → the CRD change last refused (logged once)
        self._ignored: dict[str, set[str]] = {}  # RGD name → invalid rollout annotations already logged

    def _emit(self, rgd: Obj, type_: str, reason: str, message: str) -> None:
        if self.recorder is not None:
            self.recorder.event(rgd, type_, reason, message)

    def status_written(self, rgd: Obj, old: Obj, new: Obj) -> None:
        """Reports Active, and Inactive with a failure; an RGD still compiling is not news."""
        name = str((rgd.get("metadata") or {}).get("name"))
        state, failure = str(new.get("state") or ""), _failure(new)
        if state != "Active" and not failure:
            return
        before, told = self._reported.get(name, (str(old.get("state") or ""), _failure(old)))
        self._reported[name] = (state, failure)
        if before != state:
            detail = f": {failure}" if failure else ""
            (log.info if state == "Active" else log.warning)(
                "ResourceGraphDefinition %s: %s -> %s%s", name, before or "new", state, detail
            )
            type_ = NORMAL if state == "Active" else WARNING
            self._emit(rgd, type_, f"ResourceGraph{state}", f"state {before or 'none'} -> {state}{detail}")
        elif failure and failure != told:
            log.warning("ResourceGraphDefinition %s: %s", name, failure)
            self._emit(rgd, WARNING, "InvalidResourceGraph", failure)

    def forget(self, name: str) -> None:
        self._reported.pop(name, None)
        self._refused.pop(name, None)
        self._ignored.pop(name, None)

    def crd_written(self, rgd: Obj, crd_name: str, action: str) -> None:
        name = (rgd.get("metadata") or {}).get("name")
        log.info("ResourceGraphDefinition %s: CRD %s %s", name, crd_name, action)
        self._refused.pop(str(name), None)
        reason = "CRDCreated" if action == "created" else "CRDUpdated"
        self._emit(rgd, NORMAL, reason, f"CustomResourceDefinition {crd_name} {action}")

    def breaking_change_refused(self, rgd: Obj, message: str) -> None:
        name = str((rgd.get("metadata") or {}).get("name"))
        if self._refused.get(name) != message:
            self._refused[name] = message
            log.warning("ResourceGraphDefinition %s: %s", name, message)
        self._emit(rgd, WARNING, "BreakingChangeRefused", message)

    def invalid_annotation(self, rgd: Obj, problem: str) -> None:
        name = str((rgd.get("metadata") or {}).get("name"))
        logged = self._ignored.setdefault(name, set())
        if problem not in logged:
            logged.add(problem)
            log.warning("ResourceGraphDefinition %s: ignoring %s", name, problem)
        self._emit(rgd, WARNING, "InvalidRolloutAnnotation", f"ignored: {problem}")
