"""Structural schema handling of custom resources, as apiextensions-apiserver does it before
validation: unknown fields are pruned (kept under `x-kubernetes-preserve-unknown-fields`; embedded
resources keep apiVersion/kind/metadata), nulls of non-nullable fields are dropped or defaulted, and
defaults are applied top-down (so `default: {}` chains materialize nested defaults)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykro.apiserver.admission.messages import join_path
from pykro.jsontypes import copy_json

_EMPTY: Mapping[str, Any] = {}
_ROOT_META = ("apiVersion", "kind", "metadata")


def default_and_prune(
    obj: Mapping[str, Any], schema: Mapping[str, Any], unknown: list[str] | None = None
) -> dict[str, Any]:
    """A copy of `obj` with unknown fields pruned, non-nullable nulls dropped and defaults applied.

    The paths of pruned unknown fields are appended to `unknown` when given.
    """
    result = copy_json(dict(obj))
    default_and_prune_in_place(result, schema, unknown)
    return result


def default_and_prune_in_place(
    obj: dict[str, Any], schema: Mapping[str, Any], unknown: list[str] | None = None
) -> None:
    """`default_and_prune` changing `obj` itself (for a caller that owns it)."""
    _prune(obj, schema, root=True, unknown=unknown, path="")
    _default(obj, schema, root=True)


def prune(
    obj: Mapping[str, Any], schema: Mapping[str, Any], unknown: list[str] | None = None
) -> dict[str, Any]:
    """A copy of `obj` without the fields `schema` does not declare (and non-nullable nulls)."""
    result = copy_json(dict(obj))
    prune_in_place(result, schema, unknown)
    return result


def prune_in_place(obj: dict[str, Any], schema: Mapping[str, Any], unknown: list[str] | None = None) -> None:
    """`prune` changing `obj` itself (for a caller that owns it)."""
    _prune(obj, schema, root=True, unknown=unknown, path="")


def unknown_fields(obj: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """Paths pruning would drop, for `fieldValidation=Strict|Warn` (`unknown field "spec.x"`)."""
    found: list[str] = []
    _prune(copy_json(dict(obj)), schema, root=True, unknown=found, path="")
    return found


def _prune(
    value: Any, schema: Mapping[str, Any], *, root: bool, unknown: list[str] | None, path: str
) -> None:
    if isinstance(value, dict):
        props = schema.get("properties")
        props = props if isinstance(props, Mapping) else _EMPTY
        extra = schema.get("additionalProperties")
        keep_unknown = bool(schema.get("x-kubernetes-preserve-unknown-fields")) or extra is True
        embedded = bool(schema.get("x-kubernetes-embedded-resource"))
        for name in list(value):
            child = value[name]
            here = join_path(path, str(name))
            if (root or embedded) and name in _ROOT_META:
                continue  # ObjectMeta and type info are the server's business, not the CRD schema's
            if name in props:
                sub = props[name]
            elif isinstance(extra, Mapping):
                sub = extra
            elif keep_unknown:
                continue
            else:
                if unknown is not None:
                    unknown.append(here)
                del value[name]
                continue
            if child is None and not sub.get("nullable") and "default" not in sub:
                del value[name]
                continue
            if isinstance(child, (dict, list)):
                _prune(child, sub, root=False, unknown=unknown, path=here)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, Mapping):
            for i, item in enumerate(value):
                _prune(item, items, root=False, unknown=unknown, path=f"{path}[{i}]")


def _default(value: Any, schema: Mapping[str, Any], *, root: bool = False, prune: bool = True) -> None:
    """Apply defaults top-down. A default put in is pruned as it goes in (defaults are pruned too), as
    pruning the whole object again would, the rest being pruned already; `prune` is False below the
    metadata that pruning leaves alone."""
    if isinstance(value, dict):
        props = schema.get("properties")
        keeps_meta = root or bool(schema.get("x-kubernetes-embedded-resource"))
        if isinstance(props, Mapping):
            for name, sub in props.items():
                if not isinstance(sub, Mapping):
                    continue
                if "default" in sub and (
                    name not in value or (value[name] is None and not sub.get("nullable"))
                ):
                    value[name] = copy_json(sub["default"])
                    if prune and not (keeps_meta and name in _ROOT_META):
                        _prune(value[name], sub, root=False, unknown=None, path="")
        extra = schema.get("additionalProperties")
        for name, child in value.items():
            sub = props.get(name) if isinstance(props, Mapping) and name in props else extra
            if isinstance(sub, Mapping):
                _default(child, sub, prune=prune and not (keeps_meta and name in _ROOT_META))
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, Mapping):
            for i, item in enumerate(value):
                if item is None and "default" in items and not items.get("nullable"):
                    value[i] = copy_json(items["default"])
                    if prune:
                        _prune(value[i], items, root=False, unknown=None, path="")
                _default(value[i], items, prune=prune)
