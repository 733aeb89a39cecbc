"""The PATCH verb's patch types, as functions from the current object to the patched one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pykro.apiserver.machinery import media
from pykro.apiserver.machinery.patch import apply_json_patch, apply_merge_patch
from pykro.apiserver.machinery.strategicmerge import apply_strategic_merge_patch

Patcher = Callable[[dict[str, Any]], Any]


def patcher(patch_type: str, patch: Any, schema: Mapping[str, Any]) -> Patcher:
    """JSON patch (RFC 6902), JSON merge patch (RFC 7386) or strategic merge patch (built-ins only;
    `schema` carries its merge keys and strategies)."""
    if patch_type == media.JSON_PATCH:
        return lambda current: apply_json_patch(current, patch)
    if patch_type == media.MERGE_PATCH:
        return lambda current: apply_merge_patch(current, patch)
    return lambda current: apply_strategic_merge_patch(current, patch, schema)
