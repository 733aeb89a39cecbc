"""`meta.k8s.io/v1 Table` rendering for `kubectl get`, incl. CRD additionalPrinterColumns."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pykro.apiserver.controllers.autoscaler import metric_body, v2_metrics
from pykro.apiserver.registry.kinds import ServedKind
from pykro.timestamps import parse_rfc3339, short_age

Getter = Callable[[Mapping[str, Any]], Any]
Column = tuple[dict[str, Any], Getter]


def age(timestamp: Any, now: float | None = None) -> str:
    """kubectl's short duration ("5s", "3m", "2d") since an RFC 3339 timestamp."""
    if not isinstance(timestamp, str):
        return "<unknown>"
    then = parse_rfc3339(timestamp)
    if then is None:
        return timestamp
    return short_age((time.time() if now is None else now) - then)


def _path(*parts: str) -> Getter:
    def get(obj: Mapping[str, Any]) -> Any:
        cur: Any = obj
        for p in parts:
            cur = cur.get(p) if isinstance(cur, Mapping) else None
        return cur

    return get


def _col(
    name: str, getter: Getter, type_: str = "string", description: str = "", priority: int = 0
) -> Column:
    return (
        {
            "name": name,
            "type": type_,
            "format": "name" if name == "Name" else "",
            "description": description,
            "priority": priority,
        },
        getter,
    )


def _hpa_target(metric: Mapping[str, Any]) -> str:
    """One metric as kubectl's TARGETS column prints it; no metric ever has a current value here."""
    kind = metric.get("type")
    body = metric_body(metric)
    target = body.get("target") or {}
    if kind in ("Resource", "ContainerResource"):
        if target.get("averageValue") is not None:
            return f"{body.get('name', '')}: <unknown>/{target['averageValue']}"
        goal = (
            f"{target['averageUtilization']}%" if target.get("averageUtilization") is not None else "<auto>"
        )
        return f"{body.get('name', '')}: <unknown>/{goal}"
    if kind in ("Pods", "Object", "External"):
        if target.get("averageValue") is not None:
            return f"<unknown>/{target['averageValue']}" + ("" if kind == "Pods" else " (avg)")
        return f"<unknown>/{target.get('value', '')}"
    return "<unknown type>"


def _hpa_targets(obj: Mapping[str, Any]) -> str:
    shown = [_hpa_target(m) for m in v2_metrics(obj)]
    if not shown:
        return "<none>"
    more = f" + {len(shown) - 2} more..." if len(shown) > 2 else ""
    return ", ".join(shown[:2]) + more


def _num(getter: Getter) -> Getter:
    return lambda o: getter(o) or 0


def _ready(ready: Getter, want: Getter) -> Getter:
    return lambda o: f"{ready(o) or 0}/{want(o) or 0}"


def _len(getter: Getter) -> Getter:
    return lambda o: len(getter(o) or {})


def _pod_ready(o: Mapping[str, Any]) -> str:
    statuses = _path("status", "containerStatuses")(o) or []
    containers = _path("spec", "containers")(o) or []
    return f"{sum(1 for s in statuses if s.get('ready'))}/{len(containers)}"


def _ports(o: Mapping[str, Any]) -> str:
    ports = _path("spec", "ports")(o) or []
    parts = [f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in ports if isinstance(p, Mapping)]
    return ",".join(parts) or "<none>"


def _job_status(o: Mapping[str, Any]) -> str:
    for c in _path("status", "conditions")(o) or []:
        if isinstance(c, Mapping) and c.get("status") == "True" and c.get("type") in ("Complete", "Failed"):
            return str(c["type"])
    return "Running"


def _ingress_hosts(o: Mapping[str, Any]) -> str:
    hosts = [
        str(r["host"]) for r in _path("spec", "rules")(o) or [] if isinstance(r, Mapping) and r.get("host")
    ]
    return ",".join(hosts) or "*"


def _node_status(o: Mapping[str, Any]) -> str:
    for c in _path("status", "conditions")(o) or []:
        if isinstance(c, Mapping) and c.get("type") == "Ready":
            return "Ready" if c.get("status") == "True" else "NotReady"
    return "Unknown"


def _node_roles(o: Mapping[str, Any]) -> str:
    prefix = "node-role.kubernetes.io/"
    roles = sorted(
        k.removeprefix(prefix) for k in _path("metadata", "labels")(o) or {} if k.startswith(prefix)
    )
    return ",".join(roles) or "<none>"


def _role_ref(o: Mapping[str, Any]) -> str:
    return f"{_path('roleRef', 'kind')(o)}/{_path('roleRef', 'name')(o)}"


_NAME = _col("Name", _path("metadata", "name"), description="Name must be unique within a namespace.")
_AGE = _col(
    "Age",
    lambda o: age(_path("metadata", "creationTimestamp")(o)),
    description="CreationTimestamp is a timestamp representing the server time when this object was created.",
)

_BUILTIN: dict[tuple[str, str], list[Column]] = {
    ("", "pods"): [
        _col("Ready", _pod_ready),
        _col("Status", lambda o: _path("status", "phase")(o) or "Pending"),
        _col(
            "Restarts",
            lambda o: sum(s.get("restartCount", 0) for s in (_path("status", "containerStatuses")(o) or [])),
            "integer",
        ),
    ],
    ("", "nodes"): [
        _col("Status", _node_status),
        _col("Roles", _node_roles),
        _col("Version", _path("status", "nodeInfo", "kubeletVersion")),
    ],
    ("", "namespaces"): [_col("Status", lambda o: _path("status", "phase")(o) or "Active")],
    ("", "configmaps"): [
        _col("Data", lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {}), "integer")
    ],
    ("", "secrets"): [_col("Type", _path("type")), _col("Data", _len(_path("data")), "integer")],
    ("", "serviceaccounts"): [_col("Secrets", _len(_path("secrets")), "integer")],
    ("", "services"): [
        _col("Type", lambda o: _path("spec", "type")(o) or "ClusterIP"),
        _col("Cluster-IP", lambda o: _path("spec", "clusterIP")(o) or "<none>"),
        _col("External-IP", lambda o: "<none>"),
        _col("Port(s)", _ports),
    ],
    ("apps", "deployments"): [
        _col("Ready", _ready(_path("status", "readyReplicas"), _path("spec", "replicas"))),
        _col("Up-to-date", _num(_path("status", "updatedReplicas")), "integer"),
        _col("Available", _num(_path("status", "availableReplicas")), "integer"),
    ],
    ("apps", "statefulsets"): [
        _col("Ready", _ready(_path("status", "readyReplicas"), _path("spec", "replicas")))
    ],
    ("apps", "replicasets"): [
        _col("Desired", _num(_path("spec", "replicas")), "integer"),
        _col("Current", _num(_path("status", "replicas")), "integer"),
        _col("Ready", _num(_path("status", "readyReplicas")), "integer"),
    ],
    ("apps", "daemonsets"): [
        _col("Desired", _num(_path("status", "desiredNumberScheduled")), "integer"),
        _col("Current", _num(_path("status", "currentNumberScheduled")), "integer"),
        _col("Ready", _num(_path("status", "numberReady")), "integer"),
    ],
    ("batch", "jobs"): [
        _col("Status", _job_status),
        _col(
            "Completions",
            _ready(_path("status", "succeeded"), lambda o: _path("spec", "completions")(o) or 1),
        ),
    ],
    ("networking.k8s.io", "ingresses"): [
        _col("Class", lambda o: _path("spec", "ingressClassName")(o) or "<none>"),
        _col("Hosts", _ingress_hosts),
        _col("Address", lambda o: ""),
        _col("Ports", lambda o: "80, 443" if _path("spec", "tls")(o) else "80"),
    ],
    ("autoscaling", "horizontalpodautoscalers"): [
        _col(
            "Reference",
            lambda o: (
                f"{_path('spec', 'scaleTargetRef', 'kind')(o)}/{_path('spec', 'scaleTargetRef', 'name')(o)}"
            ),
        ),
        _col("Targets", _hpa_targets),
        _col("MinPods", lambda o: _path("spec", "minReplicas")(o) or 1, "integer"),
        _col("MaxPods", _num(_path("spec", "maxReplicas")), "integer"),
        _col("Replicas", _num(_path("status", "currentReplicas")), "integer"),
    ],
    ("", "persistentvolumeclaims"): [
        _col("Status", lambda o: _path("status", "phase")(o) or "Pending"),
        _col("Volume", lambda o: _path("spec", "volumeName")(o) or ""),
        _col("StorageClass", lambda o: _path("spec", "storageClassName")(o) or "<unset>"),
    ],
    ("storage.k8s.io", "storageclasses"): [
        _col("Provisioner", _path("provisioner")),
        _col("ReclaimPolicy", lambda o: o.get("reclaimPolicy") or "Delete"),
    ],
    ("rbac.authorization.k8s.io", "rolebindings"): [_col("Role", _role_ref)],
    ("rbac.authorization.k8s.io", "clusterrolebindings"): [_col("Role", _role_ref)],
    ("coordination.k8s.io", "leases"): [_col("Holder", lambda o: _path("spec", "holderIdentity")(o) or "")],
    ("batch", "cronjobs"): [
        _col("Schedule", _path("spec", "schedule")),
        _col("Suspend", lambda o: bool(_path("spec", "suspend")(o)), "boolean"),
    ],
}


def jsonpath(expr: str) -> Getter:
    """The subset of kubectl JSONPath printer columns use: `.a.b`, `[0]`, `[?(@.k=="v")]`, `['x.y']`."""
    tokens = re.findall(
        r"\[\?\(@\.([\w.-]+)\s*==\s*[\"']([^\"']*)[\"']\)\]|\[([0-9]+)\]|\['([^']*)'\]|\.([\w-]+)",
        expr.strip("{} "),
    )

    def get(obj: Mapping[str, Any]) -> Any:
        cur: list[Any] = [obj]
        for flt_key, flt_val, index, quoted, key in tokens:
            nxt: list[Any] = []
            for c in cur:
                if flt_key:
                    items = c if isinstance(c, list) else []
                    nxt.extend(
                        i
                        for i in items
                        if isinstance(i, Mapping) and str(_path(*flt_key.split("."))(i)) == flt_val
                    )
                elif index:
                    if isinstance(c, list) and int(index) < len(c):
                        nxt.append(c[int(index)])
                else:
                    k = quoted or key
                    if isinstance(c, Mapping) and k in c:
                        nxt.append(c[k])
            cur = nxt
        if not cur:
            return None
        return cur[0] if len(cur) == 1 else cur

    return get


def _crd_columns(kind: ServedKind) -> list[Column]:
    cols: list[Column] = []
    for pc in kind.printer_columns:
        getter = jsonpath(str(pc.get("jsonPath", "")))
        type_ = str(pc.get("type", "string"))
        if type_ == "date":
            getter = (lambda g: lambda o: age(g(o)) if g(o) is not None else None)(getter)
        cols.append(
            _col(
                str(pc.get("name", "")),
                getter,
                type_,
                str(pc.get("description", "")),
                int(pc.get("priority", 0)),
            )
        )
    return cols


def _event_first(o: Mapping[str, Any]) -> str:
    return age(o.get("firstTimestamp") or o.get("eventTime"))


def _event_last(o: Mapping[str, Any]) -> str:
    series = o.get("series")
    if isinstance(series, Mapping) and series.get("lastObservedTime"):
        return age(series["lastObservedTime"])
    return age(o["lastTimestamp"]) if o.get("lastTimestamp") else _event_first(o)


def _event_count(o: Mapping[str, Any]) -> int:
    series = o.get("series")
    if isinstance(series, Mapping) and isinstance(series.get("count"), int):
        return int(series["count"])
    return int(o.get("count") or 1)


def _event_object(o: Mapping[str, Any]) -> str:
    kind = str(_path("involvedObject", "kind")(o) or "").lower()
    name = _path("involvedObject", "name")(o)
    return f"{kind}/{name}" if name else kind


def _event_source(o: Mapping[str, Any]) -> str:
    found = o.get("source")
    source: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    component = source.get("component") or o.get("reportingComponent") or ""
    host = source.get("host") or o.get("reportingInstance") or ""
    return f"{component}, {host}" if host else str(component)


# kube-apiserver's printer for Events (printers/internalversion): no Name or Age by default.
_EVENT_COLUMNS: list[Column] = [
    _col("Last Seen", _event_last),
    _col("Type", _path("type")),
    _col("Reason", _path("reason")),
    _col("Object", _event_object),
    _col("Subobject", lambda o: _path("involvedObject", "fieldPath")(o) or "", priority=1),
    _col("Source", _event_source, priority=1),
    _col("Message", lambda o: str(o.get("message") or "").strip()),
    _col("First Seen", _event_first, priority=1),
    _col("Count", _event_count, "integer", priority=1),
    _col("Name", _path("metadata", "name"), priority=1),
]


# events.k8s.io/v1 field → core v1 field: kube keeps one internal Event type behind both APIs, so
# both print with the one Event printer (the conversion is kube's pkg/apis/events/v1).
_EVENTS_V1_AS_CORE = {
    "regarding": "involvedObject",
    "note": "message",
    "reportingController": "reportingComponent",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
}


def _as_core_event(o: Mapping[str, Any]) -> dict[str, Any]:
    return {_EVENTS_V1_AS_CORE.get(k, k): v for k, v in o.items()}


def _on_core_event(getter: Callable[[Mapping[str, Any]], Any]) -> Callable[[Mapping[str, Any]], Any]:
    return lambda o: getter(_as_core_event(o))


def columns(kind: ServedKind) -> list[Column]:
    if kind.gr == ("", "events"):
        return list(_EVENT_COLUMNS)
    if kind.gr == ("events.k8s.io", "events"):
        return [(column, _on_core_event(getter)) for column, getter in _EVENT_COLUMNS]
    if kind.crd is not None:
        extra = _crd_columns(kind)
        return [_NAME, *extra] if extra else [_NAME, _AGE]
    if kind.gr == ("apiextensions.k8s.io", "customresourcedefinitions"):
        return [_NAME, _col("Created At", _path("metadata", "creationTimestamp"), "date")]
    return [_NAME, *_BUILTIN.get(kind.gr, []), _AGE]


def _cell(value: Any) -> Any:
    if value is None:
        return "<none>"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return value


def table(
    kind: ServedKind,
    objs: Sequence[dict[str, Any]],
    include: str,
    partial: Callable[[dict[str, Any]], dict[str, Any]],
    list_meta: dict[str, Any],
) -> dict[str, Any]:
    cols = columns(kind)
    rows = []
    for o in objs:
        row: dict[str, Any] = {"cells": [_cell(getter(o)) for _, getter in cols]}
        if include == "Object":
            row["object"] = o
        elif include != "None":
            row["object"] = partial(o)
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": [c for c, _ in cols],
        "rows": rows,
    }
