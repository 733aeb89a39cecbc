"""The API server's rules, offline: what the embedded server does to a custom resource on create, and
which objects a label selector picks.

This is the only module of `pykro validate`/`pykro render` that imports `pykro.apiserver`, so they judge
an instance exactly as the server (and so kube-apiserver) would (unknown fields, defaults, types,
required fields, enums, bounds and `x-kubernetes-validations` CEL rules) and the import paths live
in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pykro.apiserver.admission.crddefaults import default_causes
from pykro.apiserver.admission.structural import default_and_prune
from pykro.apiserver.admission.validation import validate
from pykro.apiserver.machinery.selectors import parse_label_selector
from pykro.apiserver.machinery.status import ApiError
from pykro.errors import Problem


def _openapi_schema(crd: Mapping[str, Any]) -> Mapping[str, Any]:
    """The structural schema of the CRD's storage version (generated instance CRDs have one version)."""
    versions = crd["spec"]["versions"]
    version = next((v for v in versions if v.get("storage")), versions[0])
    schema: Mapping[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def admit_instance(obj: Mapping[str, Any], crd: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The instance as the server would store it (pruned, defaulted) and every reason it would refuse it.

    Unknown fields are refused, as `kubectl apply`'s strict field validation does."""
    schema = _openapi_schema(crd)
    unknown: list[str] = []
    admitted = default_and_prune(obj, schema, unknown)
    problems = [Problem(path, "unknown field") for path in unknown]
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping) or not (metadata.get("name") or metadata.get("generateName")):
        problems.append(Problem("metadata.name", "Required value: name or generateName is required"))
    causes = validate(admitted, None, schema)
    problems.extend(Problem(cause.field, cause.message) for cause in causes)
    return admitted, problems


def label_selector_matcher(selector: str) -> Callable[[Mapping[str, str] | None], bool]:
    """A predicate on label maps for a `app=web,tier in (a,b)` selector; ValueError when it is malformed."""
    try:
        matches: Callable[[Mapping[str, str] | None], bool] = parse_label_selector(selector).matches
    except ApiError as err:
        raise ValueError(err.message) from None
    return matches


_SPEC = "spec.versions[0].schema.openAPIV3Schema.properties[spec]"


def refused_defaults(crd: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(SimpleSchema field, reason) for every default of a generated instance CRD that the server
    refuses because it breaks its own schema; the field is spelled as in the RGD (`spec.schema.spec.x`)."""
    refused = []
    for cause in default_causes(crd):
        field = cause.field.removeprefix(_SPEC).removesuffix(".default")
        where = "spec.schema.spec" + re.sub(r"\.properties\[([^]]+)\]", r".\1", field)
        refused.append((where, cause.message.replace(cause.field, where + " default")))
    return refused
