"""Deciding whether a server-side apply would change anything, without sending it.

Re-applying an unchanged object is a no-op for the server, but it is still a write request
(and some servers bump the resourceVersion anyway). A child is skipped when every field of the
desired object already has that value in the live object *and* our field manager owns no field
the desired object dropped (otherwise the apply is needed to remove it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykro.controller.instance.compare import comparable, contains


def owned_fields(live: Mapping[str, Any], manager: str) -> Mapping[str, Any]:
    """The `fieldsV1` set `manager` owns through apply (empty when it owns nothing)."""
    meta = live.get("metadata") or {}
    for entry in meta.get("managedFields") or ():
        if (
            entry.get("manager") == manager
            and entry.get("operation", "Apply") == "Apply"
            and not entry.get("subresource")
        ):
            fields = entry.get("fieldsV1")
            return fields if isinstance(fields, Mapping) else {}
    return {}


def stale(owned: Mapping[str, Any], desired: Any) -> bool:
    """Does `owned` cover a map field `desired` no longer has, or more list items than it has?"""
    if not isinstance(desired, Mapping):
        if isinstance(desired, list):
            items = [k for k in owned if k[:2] in ("k:", "v:", "i:")]
            return len(items) > len(desired)
        return False
    for key, sub in owned.items():
        if not key.startswith("f:"):
            continue
        name = key[2:]
        if name not in desired:
            return True
        if isinstance(sub, Mapping) and sub and stale(sub, desired[name]):
            return True
    return False


def up_to_date(live: Mapping[str, Any], desired: Mapping[str, Any], manager: str) -> bool:
    """True when applying `desired` as `manager` would not change `live`."""
    view = comparable(desired)
    if not contains(live, view):
        return False
    ownership_view = {**desired, **({"data": view["data"]} if "data" in view else {})}
    return not stale(owned_fields(live, manager), ownership_view)
