"""Spec hash (spec §4.8): decides whether an RGD change needs a new GraphRevision.

FNV-1a 64-bit (hex) of the canonical JSON of the normalized spec: defaults filled in, keys sorted,
resources sorted by id and each resource's readyWhen/includeWhen sorted (forEach order kept), so
cosmetic reorderings hash the same.
"""

from __future__ import annotations

import json
from typing import Any

from pykro.api.frozen import thaw
from pykro.api.model import Resource, RGDSpec
from pykro.fnv import fnv64a


def _resource(r: Resource) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.id,
        "readyWhen": sorted(r.ready_when),
        "includeWhen": sorted(r.include_when),
        "forEach": [{d.name: d.expression} for d in r.for_each],
    }
    if r.template is not None:
        out["template"] = thaw(r.template)
    if r.external_ref is not None:
        out["externalRef"] = r.external_ref.to_object()
    return out


def normalized_spec(spec: RGDSpec) -> dict[str, Any]:
    s = spec.schema
    return {
        "schema": {
            "kind": s.kind,
            "apiVersion": s.api_version,
            "group": s.group or "kro.run",
            "scope": s.scope or "Namespaced",
            "spec": thaw(s.spec),
            "types": thaw(s.types),
            "status": thaw(s.status),
            "additionalPrinterColumns": thaw(s.additional_printer_columns),
            "shortNames": list(s.short_names),
            "categories": list(s.categories),
            "metadata": {"labels": dict(s.crd_labels), "annotations": dict(s.crd_annotations)},
        },
        "resources": [_resource(r) for r in sorted(spec.resources, key=lambda r: r.id)],
    }


def spec_hash(spec: RGDSpec) -> str:
    """16 hex digits."""
    canonical = json.dumps(normalized_spec(spec), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{fnv64a(canonical.encode('utf-8')):016x}"
