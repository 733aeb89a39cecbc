"""Built-in Kubernetes type definitions, normalized to structural OpenAPI v3.

The definitions come from the `kubernetes-validate` package, one JSON file per Kubernetes release
(`kubernetes-json-schema/v1.XX.0-local/_definitions.json`, ~1.4 MB). That file is JSON-Schema flavoured
(`type: [X, "null"]`, refs to `#/$defs/...`); `normalize_schema` turns each definition into the shape a
real API server publishes and structural-schema consumers expect. Nothing is read at import time: the
file is parsed on first use and each definition is normalized the first time it is looked up.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pykro.errors import PykroError
from pykro.schema.gvk import GVK

# Newest release within kubectl's +/-1 minor version skew of the kubectl 1.32 we test with, so the
# embedded API server and real clients agree; override with PYKRO_KUBERNETES_VERSION.
DEFAULT_KUBERNETES_VERSION = "1.33"
VERSION_ENV_VAR = "PYKRO_KUBERNETES_VERSION"

REF_PREFIX = "#/components/schemas/"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

INT_OR_STRING = "x-kubernetes-int-or-string"
PRESERVE_UNKNOWN = "x-kubernetes-preserve-unknown-fields"

# Definitions whose published form is a wire-format trick rather than a schema.
_INT_OR_STRING_TYPES = frozenset(
    {"io.k8s.apimachinery.pkg.util.intstr.IntOrString", "io.k8s.apimachinery.pkg.api.resource.Quantity"}
)
_DATE_TIME_TYPES = frozenset(
    {"io.k8s.apimachinery.pkg.apis.meta.v1.Time", "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"}
)
# Objects holding arbitrary JSON: without the flag a structural pruner would drop their content.
_FREE_FORM_OBJECTS = frozenset(
    {"io.k8s.apimachinery.pkg.runtime.RawExtension", "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1"}
)


@functools.cache
def definitions_root() -> Path:
    # Locate the package without importing it: its __init__ pulls in jsonschema (~100 ms).
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise PykroError("the kubernetes-validate package (built-in Kubernetes schemas) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"


@functools.cache
def available_versions() -> tuple[str, ...]:
    """Kubernetes minor versions ("1.33") whose definitions are installed, oldest first."""
    found = []
    for entry in definitions_root().glob("v*.*.*-local"):
        major, minor, _ = entry.name[1:].removesuffix("-local").split(".")
        found.append((int(major), int(minor)))
    return tuple(f"{major}.{minor}" for major, minor in sorted(found))


def effective_version(kubernetes_version: str | None = None) -> str:
    """Canonical "1.33" form of a requested version ("v1.33", "1.33.2"); None means env var or default."""
    requested = kubernetes_version or os.environ.get(VERSION_ENV_VAR) or DEFAULT_KUBERNETES_VERSION
    parts = requested.strip().removeprefix("v").split(".")
    canonical = ".".join(parts[:2])
    if (
        len(parts) < 2
        or not all(p.isascii() and p.isdigit() for p in parts[:2])
        or canonical not in available_versions()
    ):
        raise PykroError(
            f"unsupported Kubernetes version {requested!r}: schemas are installed for "
            f"{', '.join(available_versions())} (set {VERSION_ENV_VAR} or pass kubernetes_version)"
        )
    return canonical


@functools.cache
def _raw_definitions(version: str) -> dict[str, Any]:
    path = definitions_root() / f"v{version}.0-local" / "_definitions.json"
    with path.open("rb") as f:
        defs: dict[str, Any] = json.load(f)["$defs"]
    return defs


def _ref_target(ref: str) -> str:
    # kubernetes-validate writes "#/$defs/X" or "/api/_definitions.json#/$defs/X"; servers
    # "#/components/schemas/X".
    return ref.rpartition("/")[2]


def _is_int_or_string(node: Mapping[str, Any]) -> bool:
    variants = node.get("oneOf") or node.get("anyOf")
    if node.get("format") == "int-or-string":
        return True
    if not isinstance(variants, list) or len(variants) != 2:
        return False
    types = {_single_type(v.get("type")) for v in variants if isinstance(v, Mapping)}
    return "string" in types and bool(types & {"integer", "number"})


def _single_type(value: Any) -> Any:
    if isinstance(value, list):
        rest = [t for t in value if t != "null"]
        return rest[0] if len(rest) == 1 else rest
    return value


def normalize_schema(node: Mapping[str, Any], *, top_level_kind: bool = False) -> dict[str, Any]:
    """One schema node (and its subtree) in structural OpenAPI v3 form.

    Accepts both the kubernetes-validate shape and a live server's /openapi/v3 shape (`allOf: [{$ref}]`,
    `format: int-or-string`). `$ref`s stay references (to `#/components/schemas/<name>`); descriptions are
    kept.
    """
    out: dict[str, Any] = {}
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and "$ref" in all_of[0] and "$ref" not in node:
        node = {**{k: v for k, v in node.items() if k != "allOf"}, "$ref": all_of[0]["$ref"]}
    if _is_int_or_string(node):
        out = {k: v for k, v in node.items() if k not in ("oneOf", "anyOf", "type", "format")}
        out[INT_OR_STRING] = True
        return out
    for key, value in node.items():
        if key == "$ref":
            out[key] = REF_PREFIX + _ref_target(value)
        elif key == "type":
            out[key] = _single_type(value)
        elif key == "properties":
            out[key] = {name: normalize_schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, Mapping):
            out[key] = normalize_schema(value)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [normalize_schema(sub) for sub in value]
        else:
            out[key] = value
    if top_level_kind:
        # openapi2jsonschema pins apiVersion/kind with an enum; servers publish plain strings.
        for field in ("apiVersion", "kind"):
            prop = out.get("properties", {}).get(field)
            if isinstance(prop, dict):
                prop.pop("enum", None)
    if "type" not in out and not (
        {"$ref", INT_OR_STRING, PRESERVE_UNKNOWN, "allOf", "anyOf", "oneOf"} & out.keys()
    ):
        out[PRESERVE_UNKNOWN] = True  # e.g. apiextensions JSON: any JSON value
    return out


def _normalize_definition(name: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    if name in _INT_OR_STRING_TYPES:
        out = {k: v for k, v in raw.items() if k == "description"}
        out[INT_OR_STRING] = True
        return out
    out = normalize_schema(raw, top_level_kind="x-kubernetes-group-version-kind" in raw)
    if name in _DATE_TIME_TYPES:
        out["type"], out["format"] = "string", "date-time"
    if name in _FREE_FORM_OBJECTS:
        out["type"], out[PRESERVE_UNKNOWN] = "object", True
    return out


class NormalizedDefinitions(Mapping[str, dict[str, Any]]):
    """Read-only name -> normalized definition mapping that normalizes each entry on first access.

    Returned dicts are shared: callers must not mutate them (copy first).
    """

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._raw = raw
        self._done: dict[str, dict[str, Any]] = {}

    def __getitem__(self, name: str) -> dict[str, Any]:
        done = self._done.get(name)
        if done is None:
            done = self._done[name] = _normalize_definition(name, self._raw[name])
        return done

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


@functools.cache
def _definitions(version: str) -> NormalizedDefinitions:
    return NormalizedDefinitions(_raw_definitions(version))


def builtin_definitions(kubernetes_version: str | None = None) -> Mapping[str, dict[str, Any]]:
    """Normalized built-in definitions keyed by OpenAPI name (`io.k8s.api.apps.v1.Deployment`).

    `$ref`s point at `#/components/schemas/<name>`; `description` and `x-kubernetes-group-version-kind` are
    kept, so the mapping can be served as-is under `components.schemas` of `/openapi/v3`.
    """
    return _definitions(effective_version(kubernetes_version))


@functools.cache
def definition_names(version: str) -> Mapping[GVK, str]:
    """GVK -> definition name for every definition that describes exactly one kind."""
    index: dict[GVK, str] = {}
    for name, raw in _raw_definitions(version).items():
        gvks = raw.get("x-kubernetes-group-version-kind")
        if isinstance(gvks, list) and len(gvks) == 1:
            entry = gvks[0]
            index[GVK(entry["group"], entry["version"], entry["kind"])] = name
    return index


def whole_object(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A kind's schema with `metadata` referring to the full ObjectMeta, whatever the source declared
    (CRDs say only `metadata: {type: object}`); apiVersion and kind are ensured."""
    properties = dict(schema.get("properties", {}))
    declared = properties.get("metadata", {})
    metadata: dict[str, Any] = {"$ref": REF_PREFIX + OBJECT_META}
    if isinstance(declared, Mapping) and "description" in declared:
        metadata["description"] = declared["description"]
    properties["metadata"] = metadata
    for field in ("apiVersion", "kind"):
        properties.setdefault(field, {"type": "string"})
    return {**schema, "type": "object", "properties": properties}
