"""What the simulated workload controllers compute without the store: owner references, pod-template
hashes and names as the real controllers spell them, conditions, and a Deployment's status from its
ReplicaSets."""

from __future__ import annotations

import json
from typing import Any

from pykro.apiserver.registry.kinds import ServedKind
from pykro.fnv import fnv32a
from pykro.timestamps import now_rfc3339

Obj = dict[str, Any]

_SAFE = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery/pkg/util/rand.SafeEncodeString


def safe_encode(text: str) -> str:
    return "".join(_SAFE[ord(c) % len(_SAFE)] for c in text)


def pod_template_hash(template: Any) -> str:
    """Stable for equal templates (canonical JSON, FNV-32a), spelled as the real controller spells it."""
    return safe_encode(str(fnv32a(json.dumps(template, sort_keys=True, separators=(",", ":")).encode())))


def controller_of(obj: Obj) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if isinstance(ref, dict) and ref.get("controller"):
            return str(ref.get("uid", ""))
    return None


def owner_ref(owner: Obj, kind: ServedKind) -> Obj:
    return {
        "apiVersion": kind.api_version,
        "kind": kind.kind,
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def workload_condition(
    kind: str, status: str, reason: str, message: str, old: list[Obj], *, with_update: bool
) -> Obj:
    """A condition whose times only move when its status, reason or message does."""
    now = now_rfc3339()
    prev = next((c for c in old if c.get("type") == kind), None)
    same = prev is not None and (prev.get("status"), prev.get("reason"), prev.get("message")) == (
        status,
        reason,
        message,
    )
    cond: Obj = {"type": kind, "status": status, "reason": reason, "message": message}
    if with_update:
        cond["lastUpdateTime"] = prev.get("lastUpdateTime", now) if same and prev is not None else now
    kept = prev is not None and prev.get("status") == status
    cond["lastTransitionTime"] = prev.get("lastTransitionTime", now) if kept and prev is not None else now
    return cond


def nonzero_counts(status: Obj, **counts: int) -> Obj:
    """Counts as the real status structs serialize them (`omitempty`)."""
    status.update({k: v for k, v in counts.items() if v})
    return status


def int_or_percent(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        scaled = int(value[:-1]) * total
        return -(-scaled // 100) if round_up else scaled // 100
    return int(value) if isinstance(value, int) else 0


def pod_ready(pod: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or ()
    )


def spec_of(obj: Obj) -> Obj:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def pod_ref(pod: Obj) -> Obj:
    """An endpoint's `targetRef` to the pod serving it."""
    meta = pod["metadata"]
    return {"kind": "Pod", "namespace": meta.get("namespace", ""), "name": meta["name"], "uid": meta["uid"]}


def deployment_status(d: Obj, new_rs: Obj | None, old: list[Obj], replicas: int) -> Obj:
    every = ([new_rs] if new_rs is not None else []) + old
    count = {
        f: sum(int((rs.get("status") or {}).get(f, 0)) for rs in every)
        for f in ("replicas", "readyReplicas", "availableReplicas")
    }
    updated = int((new_rs.get("status") or {}).get("replicas", 0)) if new_rs is not None else 0
    strategy = spec_of(d).get("strategy") or {}
    rolling = strategy.get("rollingUpdate") or {}
    max_unavailable = (
        0
        if strategy.get("type") == "Recreate"
        else int_or_percent(rolling.get("maxUnavailable", "25%"), replicas, False)
    )
    old_status = d.get("status") or {}
    conditions = old_status.get("conditions") or []
    rs_name = new_rs["metadata"]["name"] if new_rs is not None else ""
    available = count["availableReplicas"] >= replicas - max_unavailable
    done = updated == replicas and count["replicas"] == replicas and count["availableReplicas"] == replicas
    status = nonzero_counts(
        {"observedGeneration": d["metadata"].get("generation", 1)},
        replicas=count["replicas"],
        updatedReplicas=updated,
        readyReplicas=count["readyReplicas"],
        availableReplicas=count["availableReplicas"],
        unavailableReplicas=max(
            count["replicas"] - count["availableReplicas"], replicas - count["availableReplicas"], 0
        ),
    )
    status["conditions"] = [
        workload_condition(
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            conditions,
            with_update=True,
        )
        if available
        else workload_condition(
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            conditions,
            with_update=True,
        ),
        workload_condition(
            "Progressing",
            "True",
            "NewReplicaSetAvailable",
            f'ReplicaSet "{rs_name}" has successfully progressed.',
            conditions,
            with_update=True,
        )
        if done
        else workload_condition(
            "Progressing",
            "True",
            "ReplicaSetUpdated",
            f'ReplicaSet "{rs_name}" is progressing.',
            conditions,
            with_update=True,
        ),
    ]
    return status


# ReplicaSet and Pod ----------------------------------------------------------------------------
