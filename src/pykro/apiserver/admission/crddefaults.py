"""A CRD's `default` values must satisfy their own schema, as kube-apiserver's CRD validation
requires: `integer | minimum=10 default=5` is refused when the CRD is created, with the cause at
`spec.versions[i].schema.openAPIV3Schema.properties[spec].properties[x].default`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pykro.apiserver.admission.validation import validate_value
from pykro.apiserver.machinery.status import Cause


def default_causes(crd: Mapping[str, Any]) -> list[Cause]:
    """Causes for every `default` in the CRD's version schemas that its own schema refuses."""
    causes: list[Cause] = []
    versions = (crd.get("spec") or {}).get("versions") or []
    for index, version in enumerate(versions if isinstance(versions, list) else []):
        schema = ((version or {}).get("schema") or {}).get("openAPIV3Schema")
        if not isinstance(schema, Mapping):
            continue
        for path, node in _nodes(schema, f"spec.versions[{index}].schema.openAPIV3Schema", 0):
            if "default" in node:
                own = {k: v for k, v in node.items() if k != "default"}
                causes += validate_value(node["default"], own, f"{path}.default")
    return causes


def _nodes(schema: Mapping[str, Any], path: str, depth: int) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every sub-schema with its field path, as apiextensions validation names them."""
    if depth > 64:  # a structural schema is a tree; this only bounds hostile input
        return
    yield path, schema
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        for name, sub in properties.items():
            if isinstance(sub, Mapping):
                yield from _nodes(sub, f"{path}.properties[{name}]", depth + 1)
    for key in ("items", "additionalProperties"):
        sub = schema.get(key)
        if isinstance(sub, Mapping):
            yield from _nodes(sub, f"{path}.{key}", depth + 1)
