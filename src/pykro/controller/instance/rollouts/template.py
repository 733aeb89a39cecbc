"""A workload's pod template: where it is, whether an apply would change it, and the template kro
last applied (to apply everything else while a template change waits)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pykro.controller.instance.compare import contains
from pykro.controller.instance.fields import owned_fields, stale
from pykro.jsontypes import copy_json

Obj = dict[str, Any]
Path = tuple[str, ...]

# Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and any kind with `spec.template`;
# CronJobs keep theirs one level down.
_PATHS: tuple[Path, ...] = (("spec", "template"), ("spec", "jobTemplate", "spec", "template"))


def _at(obj: Any, path: Path) -> Any:
    for key in path:
        if not isinstance(obj, Mapping) or key not in obj:
            return None
        obj = obj[key]
    return obj


def template_path(desired: Mapping[str, Any]) -> Path | None:
    """Where `desired` keeps a pod template (a map with a `spec`), or None: not a workload."""
    for path in _PATHS:
        found = _at(desired, path)
        if isinstance(found, Mapping) and isinstance(found.get("spec"), Mapping):
            return path
    return None


def _owned_at(live: Mapping[str, Any], manager: str, path: Path) -> Mapping[str, Any]:
    owned: Any = owned_fields(live, manager)
    for key in path:
        owned = owned.get(f"f:{key}") if isinstance(owned, Mapping) else None
    return owned if isinstance(owned, Mapping) else {}


def template_changes(live: Mapping[str, Any], desired: Mapping[str, Any], manager: str, path: Path) -> bool:
    """Would applying `desired` as `manager` change `live`'s pod template?"""
    want, have = _at(desired, path), _at(live, path)
    if have is None:
        return True
    return not contains(have, want) or stale(_owned_at(live, manager, path), want)


def _project(value: Any, owned: Mapping[str, Any]) -> Any:
    """The parts of `value` the `fieldsV1` set `owned` covers."""
    if isinstance(value, Mapping):
        out: Obj = {}
        for key, sub in owned.items():
            name = key[2:]
            if key.startswith("f:") and name in value:
                out[name] = _project(value[name], sub) if sub else copy_json(value[name])
        return out
    if isinstance(value, list):
        picked: list[tuple[int, Any]] = []
        for key, sub in owned.items():
            if key.startswith("k:"):
                fields = json.loads(key[2:])
                for index, item in enumerate(value):
                    if isinstance(item, Mapping) and all(item.get(k) == v for k, v in fields.items()):
                        projected = _project(item, sub) if sub else copy_json(item)
                        picked.append((index, {**fields, **projected}))
                        break
            elif key.startswith("v:"):
                element = json.loads(key[2:])
                if element in value:
                    picked.append((value.index(element), element))
            elif key.startswith("i:") and key[2:].isdigit() and int(key[2:]) < len(value):
                index = int(key[2:])
                picked.append((index, _project(value[index], sub) if sub else copy_json(value[index])))
        return [item for _, item in sorted(picked, key=lambda pair: pair[0])]
    return copy_json(value)


def with_applied_template(live: Mapping[str, Any], desired: Obj, manager: str, path: Path) -> Obj:
    """`desired` with its pod template replaced by the one `manager` last applied to `live`, so an
    apply changes everything but the template."""
    applied = _project(_at(live, path), _owned_at(live, manager, path))
    out = copy_json(desired)
    parent = out
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = applied
    return out
