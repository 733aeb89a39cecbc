"""Why a workload's pod template changed: what its inputs were at the last rollout, and what differs now.

At each rollout pykro records the inputs the template was rendered from on the workload (annotation
`pykro.dev/rollout-inputs`): the resourceVersion of every object the node reads, a hash of each
instance spec field, and the graph revision. The next rollout compares: the differences are its
causes, e.g. `Secret default/demo-credentials resourceVersion 35 → 36`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pykro.api.conventions import ROLLOUT_INPUTS_ANNOTATION, meta
from pykro.controller.instance.compare import canonical_json
from pykro.fnv import fnv64a
from pykro.graph.model import Node
from pykro.runtime.runtime import Runtime

Inputs = dict[str, Any]


def _describe(obj: Mapping[str, Any]) -> tuple[str, str]:
    m = meta(obj)
    where = "/".join(str(p) for p in (m.get("namespace"), m.get("name")) if p)
    return f"{obj.get('kind', '')} {where}", str(m.get("resourceVersion") or "")


def inputs_of(runtime: Runtime, node: Node) -> Inputs:
    """What `node`'s template is rendered from in this reconcile."""
    reads: dict[str, str] = {}
    for dep in node.dependencies:
        observed = runtime.observed(dep)
        for obj in observed if isinstance(observed, list) else [observed] if observed else []:
            name, version = _describe(obj)
            reads[name] = version
    spec = runtime.instance.get("spec") or {}
    fields = {
        str(k): format(fnv64a(canonical_json(v).encode()), "x")
        for k, v in (spec.items() if isinstance(spec, Mapping) else ())
    }
    return {"graph": runtime.graph.spec_hash, "reads": reads, "spec": fields}


def encode(inputs: Inputs) -> str:
    return json.dumps(inputs, sort_keys=True, separators=(",", ":"))


def recorded(live: Mapping[str, Any] | None) -> Inputs | None:
    """The inputs recorded at the workload's last rollout, if pykro recorded any."""
    raw = (meta(live).get("annotations") or {}).get(ROLLOUT_INPUTS_ANNOTATION) if live else None
    try:
        found = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def causes(before: Inputs | None, now: Inputs, instance: str, rgd: str) -> list[str]:
    """What changed between two sets of inputs, most specific first."""
    if before is None:
        return ["inputs not recorded before (first rollout pykro records)"]
    out: list[str] = []
    old_reads: Mapping[str, str] = before.get("reads") or {}
    for name, version in now["reads"].items():
        old = old_reads.get(name)
        if old is None:
            out.append(f"{name} is new")
        elif old != version:
            out.append(f"{name} resourceVersion {old} → {version}")
    old_spec: Mapping[str, str] = before.get("spec") or {}
    changed = sorted(k for k in {*old_spec, *now["spec"]} if old_spec.get(k) != now["spec"].get(k))
    if changed:
        out.append(f"{instance} {', '.join('spec.' + k for k in changed)} changed")
    if before.get("graph") != now["graph"]:
        out.append(f"ResourceGraphDefinition {rgd} changed")
    return out or ["no recorded input changed (the template was edited out of band)"]
