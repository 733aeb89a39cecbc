"""Server side of strategic merge patch (`application/strategic-merge-patch+json`).

The server only applies what clients send: `kubectl apply` (client-side) computes a three-way patch and
sends, e.g. for a Deployment update,
`{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"..."}},
"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"main"}],
"containers":[{"image":"nginx:1.26","name":"main"}]}}}}`.
Merge keys and strategies come from the schema's `x-kubernetes-patch-merge-key` / `-patch-strategy`;
a list without a merge strategy is replaced wholesale. Custom resources have no strategies; the real
server rejects strategic merge patches for them (415), which is the caller's decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykro.apiserver.machinery.fieldpath import child_schema, item_schema
from pykro.apiserver.machinery.patch import PatchError, json_equal
from pykro.jsontypes import copy_json

_EMPTY: Mapping[str, Any] = {}
_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"
_SET_ORDER = "$setElementOrder/"


def apply_strategic_merge_patch(
    obj: Mapping[str, Any], patch: Any, schema: Mapping[str, Any]
) -> dict[str, Any]:
    """Apply a strategic merge patch to a copy of `obj`, guided by `schema` (the object's schema)."""
    if not isinstance(patch, Mapping):
        raise PatchError("strategic merge patch must be a JSON object", 400)
    result = _merge_map(copy_json(dict(obj)), patch, schema, "")
    return result


def _strategy(schema: Mapping[str, Any]) -> set[str]:
    return {s.strip() for s in str(schema.get("x-kubernetes-patch-strategy", "")).split(",") if s.strip()}


def _merge_map(
    original: dict[str, Any], patch: Mapping[str, Any], schema: Mapping[str, Any], where: str
) -> dict[str, Any]:
    directive = patch.get(_DIRECTIVE)
    if directive is not None:
        if directive == "replace":
            replaced = _strip(patch, schema)
            assert isinstance(replaced, dict)
            return replaced
        if directive == "delete":
            return {}
        if directive != "merge":
            raise PatchError(f"Unknown patch type: {directive!r} at {where or '.'}", 400)
    retain = patch.get(_RETAIN_KEYS)
    if retain is not None:
        if not isinstance(retain, list):
            raise PatchError(f"$retainKeys at {where or '.'} must be a list", 400)
        keep = {str(k) for k in retain}
        original = {k: v for k, v in original.items() if k in keep}
    for key, values in patch.items():
        if isinstance(key, str) and key.startswith(_DELETE_PRIMITIVE):
            name = key[len(_DELETE_PRIMITIVE) :]
            if not isinstance(values, list):
                raise PatchError(f"{key} at {where or '.'} must be a list", 400)
            current = original.get(name)
            if isinstance(current, list):
                original[name] = [v for v in current if not any(json_equal(v, d) for d in values)]
    for key, value in patch.items():
        if not isinstance(key, str):
            raise PatchError(f"invalid key {key!r} at {where or '.'}", 400)
        if key.startswith("$"):
            continue
        sub_schema = child_schema(schema, key) or _EMPTY
        path = f"{where}.{key}" if where else key
        if value is None:
            original.pop(key, None)
        elif key not in original or original[key] is None:
            original[key] = _merge_value(_empty_like(value), value, sub_schema, path)
        else:
            original[key] = _merge_value(original[key], value, sub_schema, path)
    for key, order in patch.items():
        if isinstance(key, str) and key.startswith(_SET_ORDER):
            name = key[len(_SET_ORDER) :]
            if not isinstance(order, list):
                raise PatchError(f"{key} at {where or '.'} must be a list", 400)
            if isinstance(original.get(name), list):
                original[name] = _apply_order(original[name], order, child_schema(schema, name) or _EMPTY)
    return original


def _empty_like(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {}
    if isinstance(value, list):
        return []
    return None


def _merge_value(original: Any, patch: Any, schema: Mapping[str, Any], where: str) -> Any:
    if isinstance(patch, Mapping) and isinstance(original, dict):
        if "replace" in _strategy(schema):
            return _strip(patch, schema)
        return _merge_map(original, patch, schema, where)
    if isinstance(patch, list) and isinstance(original, list):
        return _merge_list(original, patch, schema, where)
    if isinstance(patch, Mapping):
        return _merge_map({}, patch, schema, where)
    if isinstance(patch, list):
        return _merge_list([], patch, schema, where)
    return copy_json(patch)


def _strip(value: Any, schema: Mapping[str, Any]) -> Any:
    """Drop directives from a value that replaces what was there."""
    if isinstance(value, Mapping):
        if value.get(_DIRECTIVE) == "delete":
            return {}
        return {
            k: _strip(v, child_schema(schema, k) or _EMPTY)
            for k, v in value.items()
            if not (isinstance(k, str) and k.startswith("$")) and v is not None
        }
    if isinstance(value, list):
        return [_strip(v, item_schema(schema)) for v in value if not _is_directive_item(v)]
    return copy_json(value)


def _is_directive_item(item: Any) -> bool:
    return isinstance(item, Mapping) and _DIRECTIVE in item and len(item) == 1


def _merge_list(original: list[Any], patch: list[Any], schema: Mapping[str, Any], where: str) -> list[Any]:
    for item in patch:
        if _is_directive_item(item):
            if item[_DIRECTIVE] == "replace":
                return [_strip(i, item_schema(schema)) for i in patch if not _is_directive_item(i)]
            raise PatchError(f"Unknown patch type {item[_DIRECTIVE]!r} in list at {where}", 400)
    strategy = _strategy(schema)
    if "merge" not in strategy:
        return [_strip(i, item_schema(schema)) for i in patch]
    merge_key = schema.get("x-kubernetes-patch-merge-key")
    if not merge_key or not all(isinstance(i, Mapping) for i in [*original, *patch]):
        merged = list(original)
        for item in patch:
            if not any(json_equal(item, m) for m in merged):
                merged.append(copy_json(item))
        return merged
    key = str(merge_key)
    items_schema = item_schema(schema)
    merged = list(original)
    for item in patch:
        if key not in item:
            raise PatchError(f"map: {dict(item)!r} does not contain declared merge key: {key}")
        position = next((i for i, m in enumerate(merged) if json_equal(m.get(key), item[key])), None)
        if item.get(_DIRECTIVE) == "delete":
            if position is not None:
                del merged[position]
            continue
        if position is None:
            merged.append(_merge_map({}, item, items_schema, f"{where}[{key}={item[key]}]"))
        else:
            merged[position] = _merge_map(merged[position], item, items_schema, f"{where}[{key}={item[key]}]")
    return merged


def _apply_order(items: list[Any], order: list[Any], schema: Mapping[str, Any]) -> list[Any]:
    """Reorder the items named in `$setElementOrder`; items the patch did not name keep their slots."""
    key = schema.get("x-kubernetes-patch-merge-key")

    def rank(item: Any) -> int | None:
        for i, wanted in enumerate(order):
            if key and isinstance(item, Mapping) and isinstance(wanted, Mapping):
                if json_equal(item.get(str(key)), wanted.get(str(key))):
                    return i
            elif json_equal(item, wanted):
                return i
        return None

    ranks = [rank(i) for i in items]
    slots = [n for n, r in enumerate(ranks) if r is not None]
    ordered = sorted((items[n] for n in slots), key=lambda it: rank(it) or 0)
    result = list(items)
    for slot, item in zip(slots, ordered, strict=True):
        result[slot] = item
    return result
