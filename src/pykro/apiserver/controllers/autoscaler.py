"""A simulated HorizontalPodAutoscaler controller for a cluster without a metrics API.

It follows kube-controller-manager's `reconcileAutoscaler`
(k8s.io/kubernetes/pkg/controller/podautoscaler/horizontal.go) with every metric unavailable:

- the target's current replicas (its `scale` subresource) above `maxReplicas` or below
  `minReplicas` (default 1) are scaled to that bound at once, without consulting metrics
  (`SuccessfulRescale`, "Current number of replicas below Spec.MinReplicas");
- replicas of 0 (with a non-zero minimum) mean autoscaling is disabled (`ScalingDisabled`);
- otherwise the replica count is left alone: computing it needs metrics, which this server
  does not serve, so `ScalingActive` turns False (`FailedGetResourceMetric` for a Resource
  metric) and only `currentReplicas` is refreshed.

The real controller re-syncs every 15 s; this one reacts to changes of the HPA or its target,
which reaches the same state without the wait.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykro.apiserver.registry import scale
from pykro.apiserver.registry.kinds import Catalog, ServedKind
from pykro.apiserver.registry.pipeline import WriteOptions
from pykro.apiserver.registry.resources import Resources
from pykro.apiserver.storage.store import Store
from pykro.apiserver.storage.watch import GroupResource
from pykro.timestamps import now_rfc3339

Obj = dict[str, Any]
HPAS: GroupResource = ("autoscaling", "horizontalpodautoscalers")
MANAGER = WriteOptions(field_manager="kube-controller-manager")
V1 = "autoscaling/v1"

# What the metrics clients answer when no metrics API is registered (reason, message per metric type).
_RESOURCE_API = (
    "unable to fetch metrics from resource metrics API: the server could not find the "
    "requested resource (get pods.metrics.k8s.io)"
)
_CUSTOM_API = (
    "unable to fetch metrics from custom metrics API: no custom metrics API "
    "(custom.metrics.k8s.io) registered"
)
_EXTERNAL_API = (
    "unable to fetch metrics from external metrics API: no external metrics API "
    "(external.metrics.k8s.io) registered"
)


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def v2_metrics(hpa: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The HPA's metrics in v2 form; an autoscaling/v1 object has one CPU target (default 80%)."""
    spec = _spec(hpa)
    if hpa.get("apiVersion") == V1:
        target = _int(spec.get("targetCPUUtilizationPercentage"), 80)
        return [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}},
            }
        ]
    return [m for m in spec.get("metrics") or () if isinstance(m, Mapping)]


_METRIC_BODIES = {
    "Resource": "resource",
    "ContainerResource": "containerResource",
    "Pods": "pods",
    "Object": "object",
    "External": "external",
}


def metric_body(metric: Mapping[str, Any]) -> Any:
    """The type-specific part of an autoscaling/v2 metric (`resource`, `pods`, ...), or {}."""
    return metric.get(_METRIC_BODIES.get(str(metric.get("type", "")), "")) or {}


def metric_failure(metric: Mapping[str, Any]) -> tuple[str, str]:
    """(reason, message) of the `ScalingActive` condition when `metric` cannot be read."""
    kind = str(metric.get("type", ""))
    body = metric_body(metric)
    target = body.get("target") or {} if isinstance(body, Mapping) else {}
    name = str(body.get("name", "")) if isinstance(body, Mapping) else ""
    metric_name = str((body.get("metric") or {}).get("name", "")) if isinstance(body, Mapping) else ""
    how = "utilization" if target.get("type") == "Utilization" else "usage"
    if kind == "Resource":
        reason, err = (
            "FailedGetResourceMetric",
            f"failed to get {name} {how}: unable to get metrics for resource {name}: {_RESOURCE_API}",
        )
    elif kind == "ContainerResource":
        container = body.get("container", "") if isinstance(body, Mapping) else ""
        reason, err = (
            "FailedGetContainerResourceMetric",
            f"failed to get {name} {how}: unable to get metrics for resource {name} of container "
            f"{container}: {_RESOURCE_API}",
        )
    elif kind == "Pods":
        reason, err = (
            "FailedGetPodsMetric",
            f"failed to get pods metric value: unable to get metric {metric_name}: {_CUSTOM_API}",
        )
    elif kind == "Object":
        reason, err = (
            "FailedGetObjectMetric",
            f"failed to get object metric value: unable to get metric {metric_name}: {_CUSTOM_API}",
        )
    elif kind == "External":
        reason, err = (
            "FailedGetExternalMetric",
            f"failed to get external metric {metric_name}: {_EXTERNAL_API}",
        )
    else:
        reason, err = "InvalidMetricSourceType", f'unknown metric source type "{kind}"'
    return reason, f"the HPA was unable to compute the replica count: {err}"


def _set_condition(conditions: list[Obj], kind: str, status: str, reason: str, message: str) -> None:
    """As the controller's setCondition: replaced in place, the transition time kept while the status
    holds."""
    now = now_rfc3339()
    for i, cond in enumerate(conditions):
        if cond.get("type") == kind:
            kept = cond.get("status") == status and cond.get("lastTransitionTime")
            conditions[i] = {
                "type": kind,
                "status": status,
                "lastTransitionTime": kept or now,
                "reason": reason,
                "message": message,
            }
            return
    conditions.append(
        {"type": kind, "status": status, "lastTransitionTime": now, "reason": reason, "message": message}
    )


def targets(hpa: Mapping[str, Any], group: str, kind: str, name: str) -> bool:
    """Whether `hpa`'s scaleTargetRef names the object (the version in its apiVersion does not matter)."""
    ref = _spec(hpa).get("scaleTargetRef") or {}
    if not isinstance(ref, Mapping):
        return False
    ref_group = str(ref.get("apiVersion", "")).rpartition("/")[0]
    return ref.get("kind") == kind and ref.get("name") == name and ref_group == group


class Autoscalers:
    """Reconciles one HorizontalPodAutoscaler at a time; `Workloads` queues and triggers it."""

    def __init__(self, store: Store, catalog: Catalog, resources: Resources) -> None:
        self.store = store
        self.catalog = catalog
        self.resources = resources

    def watching(self, gr: GroupResource, namespace: str, name: str) -> list[str]:
        """Names of the HPAs in `namespace` whose target is the object `name` of `gr`."""
        hpas = self.store.items(HPAS, namespace)  # usually none: checked before the catalog lookup
        kind = self.catalog.preferred(*gr) if hpas else None
        if kind is None or "scale" not in kind.subresources:
            return []
        return [h["metadata"]["name"] for h in hpas if targets(h, gr[0], kind.kind, name)]

    async def reconcile(self, namespace: str, name: str) -> None:
        hpa = self.store.get(HPAS, namespace, name)
        if hpa is None or hpa["metadata"].get("deletionTimestamp"):
            return
        old_status = hpa.get("status") if isinstance(hpa.get("status"), dict) else {}
        assert isinstance(old_status, dict)
        conditions: list[Obj] = [dict(c) for c in old_status.get("conditions") or () if isinstance(c, dict)]
        status: Obj = {k: v for k, v in old_status.items() if k != "conditions"}
        await self._sync(hpa, status, conditions)
        # Stored objects keep the version they were written in (no conversion here), and clients read
        # HPAs as autoscaling/v2, so conditions are written for objects created through v1 as well.
        status["conditions"] = conditions
        status.setdefault("desiredReplicas", 0)
        await self._set_status(hpa, status)

    async def _sync(self, hpa: Obj, status: Obj, conditions: list[Obj]) -> None:
        ns = hpa["metadata"].get("namespace", "")
        spec = _spec(hpa)
        ref = spec.get("scaleTargetRef") or {}
        group, _, version = str(ref.get("apiVersion", "")).rpartition("/")
        target_kind = self._target_kind(group, version, str(ref.get("kind", "")))
        if isinstance(target_kind, str):
            _set_condition(
                conditions,
                "AbleToScale",
                "False",
                "FailedGetScale",
                f"the HPA controller was unable to get the target's current scale: {target_kind}",
            )
            return
        target = self.store.get(target_kind.gr, ns, str(ref.get("name", "")))
        if target is None:
            what = f"{target_kind.plural}.{target_kind.group}" if target_kind.group else target_kind.plural
            _set_condition(
                conditions,
                "AbleToScale",
                "False",
                "FailedGetScale",
                f"the HPA controller was unable to get the target's current scale: {what} "
                f'"{ref.get("name", "")}" not found',
            )
            return
        _set_condition(
            conditions,
            "AbleToScale",
            "True",
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
        )
        paths = scale.scale_paths(target_kind, self.store)
        current = scale.replicas(target, paths)
        low = _int(spec.get("minReplicas"), 1)
        high = _int(spec.get("maxReplicas"), current)
        if current == 0 and low != 0:
            _set_condition(
                conditions,
                "ScalingActive",
                "False",
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero",
            )
            status.update(currentReplicas=0, desiredReplicas=0)
        elif current > high or current < low:
            wanted = high if current > high else low
            await self._rescale(target_kind, target, paths, wanted)
            _set_condition(
                conditions,
                "AbleToScale",
                "True",
                "SucceededRescale",
                f"the HPA controller was able to update the target scale to {wanted}",
            )
            status.update(currentReplicas=current, desiredReplicas=wanted, lastScaleTime=now_rfc3339())
        else:
            metrics = v2_metrics(hpa)
            reason, message = (
                metric_failure(metrics[0])
                if metrics
                else (
                    "InvalidMetricSourceType",
                    "the HPA was unable to compute the replica count: no metrics specified",
                )
            )
            _set_condition(conditions, "ScalingActive", "False", reason, message)
            status["currentReplicas"] = current  # desiredReplicas stays what the last decision said
        if not status.get("currentReplicas"):
            status.pop("currentReplicas", None)  # `omitempty` in the real status

    def _target_kind(self, group: str, version: str, kind: str) -> ServedKind | str:
        """The served kind of the target, or why it cannot be scaled (the real RESTMapper's words)."""
        found = self.catalog.find_kind(group, version, kind)
        if found is None:
            for g, versions in self.catalog.groups():
                if g == group:
                    found = next(
                        (k for v in versions if (k := self.catalog.find_kind(g, v, kind)) is not None), None
                    )
        if found is None:
            return f'no matches for kind "{kind}" in group "{group}"'
        if "scale" not in found.subresources:
            return "the server could not find the requested resource"
        return found

    async def _rescale(self, kind: ServedKind, target: Obj, paths: scale.ScalePaths, wanted: int) -> None:
        """Through the scale subresource, as the real controller writes (`subresource: scale`)."""

        def change(obj: Obj) -> Obj:
            scale.set_replicas(obj, paths, wanted)
            return obj

        await self.resources.patch(
            kind,
            target["metadata"].get("namespace", ""),
            target["metadata"]["name"],
            change,
            subresource="scale",
            options=MANAGER,
        )

    async def _set_status(self, hpa: Obj, status: Obj) -> None:
        if hpa.get("status") == status:
            return
        kind = self.catalog.preferred(*HPAS)
        assert kind is not None
        await self.resources.update(
            kind,
            hpa["metadata"].get("namespace", ""),
            hpa["metadata"]["name"],
            {**hpa, "status": status},
            subresource="status",
            options=MANAGER,
        )
