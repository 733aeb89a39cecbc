"""Breaking-change detection between two versions of a generated instance CRD (spec §6.4).

A change is breaking when objects the old schema accepted may be rejected (or lose data) under
the new one. Covered: version renamed or no longer served, status subresource removed, property
removed, type changed, property newly required (or required without a default), default dropped
from a required property, enum value removed, pattern added or changed, and numeric/length/size
bounds added or tightened. Loosening, additions of optional fields and description/default
changes are compatible.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_LOWER_BOUNDS = ("minimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "maxLength", "maxItems", "maxProperties")
_MAX_DEPTH = 64  # schemas are trees, but never trust depth of user input


def breaking_changes(old_crd: Mapping[str, Any], new_crd: Mapping[str, Any]) -> list[str]:
    """Human-readable descriptions of every breaking change from `old_crd` to `new_crd`."""
    old_versions = {str(v.get("name")): v for v in _versions(old_crd)}
    new_versions = {str(v.get("name")): v for v in _versions(new_crd)}
    changes: list[str] = []
    for name, old in old_versions.items():
        new = new_versions.get(name)
        if new is None:
            changes.append(f"Version {name} was removed")
            continue
        if old.get("served", True) and not new.get("served", True):
            changes.append(f"Version {name} is no longer served")
        if "status" in (old.get("subresources") or {}) and "status" not in (new.get("subresources") or {}):
            changes.append(f"Version {name} lost its status subresource")
        _compare(_root(old), _root(new), "", changes, 0)
    return changes


def summarize(changes: list[str], limit: int = 3) -> str:
    """kro's summary: the first `limit` descriptions, then "and N more changes"."""
    shown = "; ".join(changes[:limit])
    rest = len(changes) - limit
    return f"{shown}; and {rest} more changes" if rest > 0 else shown


def _versions(crd: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    versions = (crd.get("spec") or {}).get("versions") or []
    return [v for v in versions if isinstance(v, Mapping)]


def _root(version: Mapping[str, Any]) -> Mapping[str, Any]:
    schema = (version.get("schema") or {}).get("openAPIV3Schema")
    return schema if isinstance(schema, Mapping) else {}


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _compare(old: Mapping[str, Any], new: Mapping[str, Any], path: str, out: list[str], depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    where = path or "<root>"
    if old.get("type") != new.get("type") and old.get("type") is not None:
        out.append(f"Property {where} type changed from {old.get('type')} to {new.get('type')}")
        return  # nothing below a retyped field is comparable
    if new.get("pattern") is not None and new.get("pattern") != old.get("pattern"):
        out.append(f"Property {where} pattern {'changed' if old.get('pattern') else 'added'}")
    old_enum, new_enum = old.get("enum"), new.get("enum")
    if new_enum is not None:
        removed = (
            [v for v in (old_enum or []) if v not in new_enum] if old_enum is not None else ["(any value)"]
        )
        if removed:
            out.append(f"Property {where} enum values removed: {', '.join(map(str, removed))}")
    for bound in _LOWER_BOUNDS:
        if new.get(bound) is not None and (old.get(bound) is None or new[bound] > old[bound]):
            out.append(f"Property {where} {bound} {'added' if old.get(bound) is None else 'increased'}")
    for bound in _UPPER_BOUNDS:
        if new.get(bound) is not None and (old.get(bound) is None or new[bound] < old[bound]):
            out.append(f"Property {where} {bound} {'added' if old.get(bound) is None else 'decreased'}")
    old_props: Mapping[str, Any] = old.get("properties") or {}
    new_props: Mapping[str, Any] = new.get("properties") or {}
    old_required = set(old.get("required") or ())
    for name in new.get("required") or ():
        prop = new_props.get(name) or {}
        if name in old_required:
            if "default" in (old_props.get(name) or {}) and "default" not in prop:
                out.append(f"Property {_child(path, name)} is required and lost its default")
        elif name in old_props:
            out.append(f"Property {_child(path, name)} became required")
        elif "default" not in prop:
            out.append(f"Property {_child(path, name)} was added as required without a default")
    for name, old_prop in old_props.items():
        new_prop = new_props.get(name)
        if new_prop is None:
            out.append(f"Property {_child(path, name)} was removed")
        elif isinstance(old_prop, Mapping) and isinstance(new_prop, Mapping):
            _compare(old_prop, new_prop, _child(path, name), out, depth + 1)
    for key, suffix in (("items", "[*]"), ("additionalProperties", ".*")):
        old_sub, new_sub = old.get(key), new.get(key)
        if isinstance(old_sub, Mapping) and isinstance(new_sub, Mapping):
            _compare(old_sub, new_sub, f"{path}{suffix}", out, depth + 1)
