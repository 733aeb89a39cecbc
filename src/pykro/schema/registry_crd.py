"""Reading an `apiextensions.k8s.io/v1` CustomResourceDefinition into registry entries.

Checks what the API server would reject (missing names, bad scope, non-structural schemas) and reports
every problem with its path inside the CRD. The structural check is the subset of the API server's rules
that decides whether a schema can be typed: every field has a `type` (unless it is int-or-string or
preserves unknown fields), arrays have `items`, objects use `properties` or `additionalProperties` but
not both, and JSON-Schema features Kubernetes forbids (`$ref`, `definitions`, ...) are absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pykro.errors import Problem, PykroError
from pykro.schema.builtin import INT_OR_STRING, PRESERVE_UNKNOWN, whole_object
from pykro.schema.gvk import GVK
from pykro.schema.registry_types import KindInfo

CRD_API_VERSION = "apiextensions.k8s.io/v1"
_TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean"})
_FORBIDDEN = ("$ref", "$schema", "definitions", "dependencies", "additionalItems", "patternProperties", "id")
_LIST_TYPES = frozenset({"atomic", "set", "map"})
_ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class CrdVersion:
    """One served version of a CRD: its kind info and its whole-object schema (plain dicts)."""

    info: KindInfo
    schema: dict[str, Any]


def thaw(value: Any) -> Any:
    """Plain dict/list copy of nested Mappings and sequences (handles frozen API models)."""
    if isinstance(value, Mapping):
        return {str(k): thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value


def structural_problems(schema: Any, path: str) -> list[Problem]:
    """Every way `schema` (a CRD version's openAPIV3Schema) fails to be structural."""
    problems: list[Problem] = []
    _check_node(schema, path, problems, in_logic=False)
    if not problems and isinstance(schema, Mapping):
        if schema.get("type") != "object":
            problems.append(Problem(f"{path}.type", 'the root schema must have type "object"'))
        meta = schema.get("properties", {}).get("metadata")
        if isinstance(meta, Mapping):
            extra = set(meta.get("properties", {})) - {"name", "generateName"}
            if extra:
                problems.append(
                    Problem(
                        f"{path}.properties.metadata",
                        f"metadata may only restrict name and generateName, not {', '.join(sorted(extra))}",
                    )
                )
    return problems


def _check_node(node: Any, path: str, problems: list[Problem], *, in_logic: bool) -> None:
    if not isinstance(node, Mapping):
        problems.append(Problem(path, f"a schema must be a mapping, got {type(node).__name__}"))
        return
    for key in _FORBIDDEN:
        if key in node:
            problems.append(Problem(f"{path}.{key}", f"{key} is not allowed in a CRD schema"))
    kind = node.get("type")
    free = node.get(INT_OR_STRING) is True or node.get(PRESERVE_UNKNOWN) is True
    if kind is None:
        if not in_logic and not free:
            problems.append(
                Problem(f"{path}.type", "missing type: every field of a structural schema needs one")
            )
    elif kind not in _TYPES:
        problems.append(Problem(f"{path}.type", f"type {kind!r} is not one of {', '.join(sorted(_TYPES))}"))
    elif node.get(INT_OR_STRING) is True:
        problems.append(Problem(f"{path}.type", f"type must be empty when {INT_OR_STRING} is true"))
    if kind == "array" and "items" not in node and not in_logic:
        problems.append(Problem(f"{path}.items", "an array schema needs items"))
    if "properties" in node and "additionalProperties" in node:
        problems.append(Problem(path, "properties and additionalProperties are mutually exclusive"))
    list_type = node.get("x-kubernetes-list-type")
    if list_type is not None and list_type not in _LIST_TYPES:
        problems.append(
            Problem(f"{path}.x-kubernetes-list-type", f"must be atomic, set or map, not {list_type!r}")
        )
    if list_type == "map" and not node.get("x-kubernetes-list-map-keys"):
        problems.append(
            Problem(f"{path}.x-kubernetes-list-map-keys", "required when x-kubernetes-list-type is map")
        )

    properties = node.get("properties", {})
    if not isinstance(properties, Mapping):
        problems.append(Problem(f"{path}.properties", "properties must be a mapping"))
        properties = {}
    for name, sub in properties.items():
        _check_node(sub, f"{path}.properties.{name}", problems, in_logic=in_logic)
    items = node.get("items")
    if items is not None:
        _check_node(items, f"{path}.items", problems, in_logic=in_logic)
    extra = node.get("additionalProperties")
    if isinstance(extra, Mapping):
        _check_node(extra, f"{path}.additionalProperties", problems, in_logic=in_logic)
    for key in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(node.get(key, ())):
            _check_node(sub, f"{path}.{key}[{i}]", problems, in_logic=True)
    if isinstance(node.get("not"), Mapping):
        _check_node(node["not"], f"{path}.not", problems, in_logic=True)


def _text(doc: Mapping[str, Any], key: str, path: str, problems: list[Problem]) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value:
        problems.append(Problem(f"{path}.{key}" if path else key, "required: a non-empty string"))
        return ""
    return value


def _mapping(doc: Any, key: str, path: str, problems: list[Problem]) -> Mapping[str, Any]:
    value = doc.get(key) if isinstance(doc, Mapping) else None
    if not isinstance(value, Mapping):
        problems.append(Problem(f"{path}.{key}" if path else key, "required: a mapping"))
        return {}
    return value


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, Sequence) else ()


def parse_crd(crd: Mapping[str, Any]) -> tuple[str, list[CrdVersion]]:
    """The CRD's name and its served versions; raises `PykroError` listing every problem found."""
    problems: list[Problem] = []
    if not isinstance(crd, Mapping):
        raise PykroError("a CustomResourceDefinition must be a mapping")
    if crd.get("apiVersion") != CRD_API_VERSION or crd.get("kind") != "CustomResourceDefinition":
        raise PykroError(
            f"not an {CRD_API_VERSION} CustomResourceDefinition "
            f"(apiVersion={crd.get('apiVersion')!r}, kind={crd.get('kind')!r})",
            (Problem("apiVersion", f"must be {CRD_API_VERSION} with kind CustomResourceDefinition"),),
        )
    name = _text(_mapping(crd, "metadata", "", problems), "name", "metadata", problems)
    spec = _mapping(crd, "spec", "", problems)
    group = _text(spec, "group", "spec", problems)
    names = _mapping(spec, "names", "spec", problems)
    kind = _text(names, "kind", "spec.names", problems)
    plural = _text(names, "plural", "spec.names", problems)
    scope = spec.get("scope")
    if scope not in ("Namespaced", "Cluster"):
        problems.append(Problem("spec.scope", f"must be Namespaced or Cluster, not {scope!r}"))
    if name and plural and group and name != f"{plural}.{group}":
        problems.append(
            Problem("metadata.name", f"must be <plural>.<group> = {plural}.{group!s}, not {name!r}")
        )
    if spec.get("preserveUnknownFields") is True:
        problems.append(Problem("spec.preserveUnknownFields", "must be false in apiextensions.k8s.io/v1"))
    versions = spec.get("versions")
    if not isinstance(versions, Sequence) or isinstance(versions, str) or not versions:
        problems.append(Problem("spec.versions", "required: a non-empty list"))
        versions = []

    served: list[CrdVersion] = []
    for i, version in enumerate(versions):
        where = f"spec.versions[{i}]"
        if not isinstance(version, Mapping):
            problems.append(Problem(where, "must be a mapping"))
            continue
        version_name = _text(version, "name", where, problems)
        if not version.get("served", False):
            continue
        schema = _mapping(
            _mapping(version, "schema", where, problems), "openAPIV3Schema", f"{where}.schema", problems
        )
        if not schema:
            continue
        problems.extend(structural_problems(schema, f"{where}.schema.openAPIV3Schema"))
        subresources = version.get("subresources") or {}
        info = KindInfo(
            gvk=GVK(group, version_name, kind),
            plural=plural,
            namespaced=scope == "Namespaced",
            subresources=frozenset(
                k for k in ("status", "scale") if isinstance(subresources, Mapping) and k in subresources
            ),
            short_names=_strings(names.get("shortNames", ())),
            singular=names.get("singular") or kind.lower(),
            list_kind=names.get("listKind") or f"{kind}List",
            verbs=_ALL_VERBS,
            categories=_strings(names.get("categories", ())),
        )
        served.append(CrdVersion(info, whole_object(thaw(schema))))
    if versions and not served and not problems:
        problems.append(Problem("spec.versions", "no version is served"))
    if problems:
        raise PykroError(f"invalid CustomResourceDefinition {name or '(unnamed)'}", tuple(problems))
    return name, served
