"""Label values of the instance metrics, spelled as upstream kro's so dashboards and alerts written for
kro work unchanged."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from pykro.schema.gvk import GVK
from pykro.schema.plural import plural_of
from pykro.timestamps import parse_rfc3339


def gvr_label(gvk: GVK) -> str:
    """The `gvr` label of an instance kind: `kro.run/v1alpha1, Resource=webapps` (the resource's
    GroupVersionResource as Go prints it; the plural is the one kro gives the instance CRD)."""
    return f"{gvk.api_version}, Resource={plural_of(gvk.kind)}"


class ConditionDurations(Collector):
    """Upstream's `InstanceConditionMetrics` gate: `instance_condition_current_status_seconds`, the
    seconds each instance condition has been in its current status, computed at scrape time from
    the conditions last written (so it stays accurate while the controller is idle)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        # (gvr, namespace, name) → condition type → (status, reason, lastTransitionTime as Unix time)
        self._conditions: dict[tuple[str, str, str], dict[str, tuple[str, str, float]]] = {}

    def observe(self, gvk: GVK, instance: Mapping[str, Any], conditions: Sequence[Mapping[str, Any]]) -> None:
        m = instance.get("metadata") or {}
        key = (gvr_label(gvk), str(m.get("namespace") or ""), str(m.get("name") or ""))
        current: dict[str, tuple[str, str, float]] = {}
        for cond in conditions:
            # Absent or unreadable reads as "since ever", as Go's zero time would.
            when = parse_rfc3339(cond.get("lastTransitionTime")) or 0.0
            current[str(cond.get("type"))] = (
                str(cond.get("status") or ""),
                str(cond.get("reason") or ""),
                when,
            )
        self._conditions[key] = current  # conditions no longer present are evicted

    def forget(self, gvk: GVK, namespace: str, name: str) -> None:
        self._conditions.pop((gvr_label(gvk), namespace, name), None)

    def forget_kind(self, gvk: GVK) -> None:
        gvr = gvr_label(gvk)
        for key in [k for k in self._conditions if k[0] == gvr]:
            del self._conditions[key]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "instance_condition_current_status_seconds",
            "The current amount of time in seconds that an instance status condition has been in a "
            "specific state.",
            labels=["gvr", "namespace", "name", "condition_type", "condition_status", "reason"],
        )
        now = self.clock()
        for (gvr, namespace, name), conditions in list(self._conditions.items()):
            for kind, (status, reason, since) in conditions.items():
                family.add_metric([gvr, namespace, name, kind, status, reason], max(0.0, now - since))
        yield family
