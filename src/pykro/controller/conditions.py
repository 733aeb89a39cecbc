"""Condition sets with a root condition, as kro keeps them on instances and RGDs (spec §5.6).

The root (`Ready`) summarises its dependents; transition times only move when a status changes,
so a reconcile that finds nothing new writes an identical status and triggers nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pykro.jsontypes import copy_json

Condition = dict[str, Any]

TRUE, FALSE, UNKNOWN = "True", "False", "Unknown"
READY = "Ready"  # the root condition of RGDs, GraphRevisions and instances


class ConditionSet:
    def __init__(
        self,
        root: str,
        dependents: Sequence[str],
        existing: Sequence[Mapping[str, Any]],
        *,
        generation: int,
        now: str,
        created: str,
    ) -> None:
        self.root = root
        self.dependents = tuple(dependents)
        self.generation = generation
        self.now = now
        self._by_type: dict[str, Condition] = {
            str(c["type"]): copy_json(dict(c)) for c in existing if isinstance(c, Mapping) and "type" in c
        }
        for kind in (*self.dependents, root):
            if kind not in self._by_type:
                self._by_type[kind] = {
                    "type": kind,
                    "status": UNKNOWN,
                    "reason": "AwaitingReconciliation",
                    "message": f'condition "{kind}" is awaiting reconciliation',
                    "lastTransitionTime": created,
                }
        self._recompute_root()

    def get(self, kind: str) -> Condition | None:
        return self._by_type.get(kind)

    def set(self, kind: str, status: str, reason: str, message: str = "") -> None:
        previous = self._by_type.get(kind)
        changed = previous is None or previous.get("status") != status
        self._by_type[kind] = {
            "type": kind,
            "status": status,
            "reason": reason,
            "message": message,
            "observedGeneration": self.generation,
            "lastTransitionTime": self.now
            if changed or previous is None
            else previous.get("lastTransitionTime", self.now),
        }
        if kind != self.root:
            self._recompute_root()

    def _recompute_root(self) -> None:
        deps = [self._by_type[d] for d in self.dependents]
        if all(d["status"] == TRUE and d.get("observedGeneration") == self.generation for d in deps):
            self.set(self.root, TRUE, "Ready", "")
            return
        failed = [d for d in deps if d["status"] == FALSE]
        pending = [d for d in deps if d["status"] != TRUE or d.get("observedGeneration") != self.generation]
        source = max(failed, key=lambda d: str(d.get("lastTransitionTime", ""))) if failed else pending[0]
        status = source["status"] if source["status"] != TRUE else UNKNOWN
        self.set(self.root, status, str(source.get("reason", "")), str(source.get("message", "")))

    def is_true(self, kind: str) -> bool:
        c = self._by_type.get(kind)
        return c is not None and c["status"] == TRUE and c.get("observedGeneration") == self.generation

    def bump_observed_generation(self) -> None:
        for c in self._by_type.values():
            c["observedGeneration"] = self.generation

    def as_list(self) -> list[Condition]:
        """Sorted by transition time with the root last, as kro writes them."""
        others = [c for t, c in self._by_type.items() if t != self.root]
        others.sort(key=lambda c: str(c.get("lastTransitionTime", "")))
        return [copy_json(c) for c in (*others, self._by_type[self.root])]
