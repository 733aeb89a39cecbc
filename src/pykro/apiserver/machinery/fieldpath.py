"""Field sets as Kubernetes managedFields encode them (`FieldsV1`), and the schema walk that builds them.

A field set is a frozenset of paths; a path is a tuple of path elements spelled exactly as in `FieldsV1`:
`f:<name>` (struct/map field), `k:<json>` (list-map item by its key fields), `v:<json>` (set item),
`i:<n>` (list index). Keeping the serialized spelling avoids a second representation and makes set
algebra (union, difference) plain Python.

Schema helpers here decide, like structured-merge-diff, whether a node is a scalar, an atomic value,
a granular map/struct, an associative list (`x-kubernetes-list-type: map`) or a set.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

Path = tuple[str, ...]
FieldSet = frozenset[Path]

# Fields the server owns; managedFields never list them (as fieldmanager strips them).
_UNTRACKED: frozenset[Path] = frozenset(
    {
        ("f:apiVersion",),
        ("f:kind",),
        ("f:metadata", "f:name"),
        ("f:metadata", "f:namespace"),
        ("f:metadata", "f:uid"),
        ("f:metadata", "f:resourceVersion"),
        ("f:metadata", "f:generation"),
        ("f:metadata", "f:creationTimestamp"),
        ("f:metadata", "f:deletionTimestamp"),
        ("f:metadata", "f:deletionGracePeriodSeconds"),
        ("f:metadata", "f:managedFields"),
        ("f:metadata", "f:selfLink"),
    }
)

_EMPTY: Mapping[str, Any] = {}
# Key fields the built-in types default although the published OpenAPI omits the default.
_KEY_DEFAULTS: Mapping[str, Any] = {"protocol": "TCP"}


class FieldPathError(ValueError):
    """An object that cannot be mapped onto its schema (e.g. a list-map item without its key)."""


# ---------------------------------------------------------------- schema classification


def is_untyped(schema: Mapping[str, Any]) -> bool:
    return not (
        "type" in schema or "properties" in schema or "items" in schema or "additionalProperties" in schema
    )


# What schemas are mostly made of (CRD dicts, the registry views' read-only `properties`), checked
# before the Mapping ABC: `isinstance(x, Mapping)` is slow, for a mappingproxy most of all (never cached).
_SCHEMA_MAPPINGS = (dict, MappingProxyType)


def child_schema(schema: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    """Schema of field `name`, `{}` (untyped) when unknown fields are kept, None when undeclared."""
    props = schema.get("properties")
    if props is not None and (isinstance(props, _SCHEMA_MAPPINGS) or isinstance(props, Mapping)):
        if name in props:
            sub = props[name]
            return sub if isinstance(sub, _SCHEMA_MAPPINGS) or isinstance(sub, Mapping) else _EMPTY
    extra = schema.get("additionalProperties")
    if extra is not None and (isinstance(extra, _SCHEMA_MAPPINGS) or isinstance(extra, Mapping)):
        return extra
    # An object declaring no fields at all (`{type: object}`, as CRDs write metadata) is taken as free-form.
    free_form = schema.get("type") == "object" and "properties" not in schema and extra is None
    if extra is True or free_form or schema.get("x-kubernetes-preserve-unknown-fields") or is_untyped(schema):
        return _EMPTY
    if schema.get("x-kubernetes-embedded-resource") and name in ("apiVersion", "kind", "metadata"):
        return _EMPTY
    return None


def item_schema(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    items = schema.get("items")
    return items if isinstance(items, Mapping) else _EMPTY


def list_type(schema: Mapping[str, Any]) -> str:
    """`atomic`, `set` or `map`; falls back to the patch strategy like schemaconv does."""
    declared = schema.get("x-kubernetes-list-type")
    if declared in ("atomic", "set", "map"):
        return str(declared)
    strategy = str(schema.get("x-kubernetes-patch-strategy", ""))
    if "merge" in strategy.split(","):
        if schema.get("x-kubernetes-patch-merge-key"):
            return "map"
        return "set"
    return "atomic"


def list_keys(schema: Mapping[str, Any]) -> list[str]:
    keys = schema.get("x-kubernetes-list-map-keys")
    if isinstance(keys, (list, tuple)) and keys:
        return [str(k) for k in keys]
    merge_key = schema.get("x-kubernetes-patch-merge-key")
    return [str(merge_key)] if merge_key else []


def is_atomic_map(schema: Mapping[str, Any]) -> bool:
    return schema.get("x-kubernetes-map-type") == "atomic"


def is_granular_map_type(schema: Mapping[str, Any]) -> bool:
    """A map keyed by arbitrary strings (labels, data), as opposed to a struct with declared fields."""
    return "properties" not in schema and (
        isinstance(schema.get("additionalProperties"), Mapping) or schema.get("type") in (None, "object")
    )


# ---------------------------------------------------------------- path elements


def field(name: str) -> str:
    return f"f:{name}"


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def key_element(item: Mapping[str, Any], keys: list[str], schema: Mapping[str, Any]) -> str:
    """`k:{...}` for a list-map item; a missing key field takes its schema default when it has one."""
    found: dict[str, Any] = {}
    for key in keys:
        if key in item and item[key] is not None:
            found[key] = item[key]
            continue
        sub = child_schema(item_schema(schema), key) or _EMPTY
        if "default" in sub:
            found[key] = sub["default"]
        elif key in _KEY_DEFAULTS:
            found[key] = _KEY_DEFAULTS[key]
    if not found:
        raise FieldPathError(f"associative list with keys has an element that omits key field {keys[0]!r}")
    return "k:" + _dumps(found)


def value_element(value: Any) -> str:
    return "v:" + _dumps(value)


def item_element(item: Any, index: int, schema: Mapping[str, Any]) -> str:
    """Path element of a list item under `schema` (the list's schema)."""
    kind = list_type(schema)
    if kind == "map" and isinstance(item, Mapping):
        keys = list_keys(schema)
        if keys:
            return key_element(item, keys, schema)
    if kind == "set":
        return value_element(item)
    return f"i:{index}"


def element_to_string(element: str) -> str:
    """Human form used in conflict messages: `.name`, `[name="x"]`, `[="v"]`, `[0]`."""
    prefix, body = element[:2], element[2:]
    if prefix == "f:":
        return "." + body
    if prefix == "k:":
        try:
            parts = json.loads(body)
        except ValueError:
            return f"[{body}]"
        return "[" + ",".join(f"{k}={_dumps(v)}" for k, v in parts.items()) + "]"
    if prefix == "v:":
        return f"[={body}]"
    if prefix == "i:":
        return f"[{body}]"
    return element


def path_to_string(path: Path) -> str:
    return "".join(element_to_string(e) for e in path)


# ---------------------------------------------------------------- object navigation


def _matches(element: str, index: int, item: Any, list_schema: Mapping[str, Any]) -> bool:
    try:
        return item_element(item, index, list_schema) == element
    except FieldPathError:
        return False


def get_path(obj: Any, path: Path, schema: Mapping[str, Any]) -> tuple[bool, Any]:
    """(found, value) of `path` in `obj`."""
    node, node_schema = obj, schema
    for element in path:
        if element.startswith("f:") and isinstance(node, Mapping):
            name = element[2:]
            if name not in node:
                return False, None
            node, node_schema = node[name], child_schema(node_schema, name) or _EMPTY
        elif isinstance(node, list):
            for i, item in enumerate(node):
                if _matches(element, i, item, node_schema):
                    node, node_schema = item, item_schema(node_schema)
                    break
            else:
                return False, None
        else:
            return False, None
    return True, node


def remove_path(obj: Any, path: Path, schema: Mapping[str, Any]) -> None:
    """Delete the node at `path` from `obj` in place; missing paths are ignored."""
    if not path:
        return
    found, parent = get_path(obj, path[:-1], schema)
    if not found:
        return
    parent_schema = schema_at(schema, path[:-1])
    last = path[-1]
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif isinstance(parent, list):
        parent[:] = [item for i, item in enumerate(parent) if not _matches(last, i, item, parent_schema)]


def schema_at(schema: Mapping[str, Any], path: Path) -> Mapping[str, Any]:
    node = schema
    for element in path:
        node = (child_schema(node, element[2:]) or _EMPTY) if element.startswith("f:") else item_schema(node)
    return node


# ---------------------------------------------------------------- building field sets


def to_field_set(obj: Any, schema: Mapping[str, Any], *, track_maps: bool = False) -> FieldSet:
    """The fields `obj` sets, as apply records them (`track_maps=False`) or as an update does.

    Structs are not members themselves; scalars, atomic values, empty objects and list items are.
    `track_maps` also records granular maps (`.` under `f:labels`), which Update entries carry.
    """
    out: set[Path] = set()
    _walk(obj, schema, (), out, track_maps)
    return frozenset(p for p in out if p and not is_untracked(p))


def is_untracked(path: Path) -> bool:
    """A server-owned field (from the object's root) that no managedFields entry lists."""
    return path[:1] in _UNTRACKED or path[:2] in _UNTRACKED


def _walk(value: Any, schema: Mapping[str, Any], path: Path, out: set[Path], track_maps: bool) -> None:
    """`value` is decoded JSON: dicts, lists and scalars."""
    if isinstance(value, dict):
        if is_atomic_map(schema) or not value:
            out.add(path)
            return
        if track_maps and path and is_granular_map_type(schema):
            out.add(path)
        for name, sub in value.items():
            here = (*path, field(str(name)))
            if not isinstance(sub, (dict, list)):
                out.add(here)  # a scalar is a member whatever its schema
                continue
            sub_schema = child_schema(schema, str(name))
            _walk(sub, sub_schema if sub_schema is not None else _EMPTY, here, out, track_maps)
    elif isinstance(value, list):
        kind = list_type(schema)
        if kind == "atomic" or (is_untyped(schema)):
            out.add(path)
            return
        if not value:
            out.add(path)
            return
        sub_schema = item_schema(schema)
        for i, item in enumerate(value):
            item_path = (*path, item_element(item, i, schema))
            out.add(item_path)
            if kind == "map" and isinstance(item, Mapping):
                _walk(item, sub_schema, item_path, out, track_maps)
    else:
        out.add(path)


def has_prefix(paths: Iterable[Path], prefix: Path) -> bool:
    """True when some path in `paths` is `prefix` or below it."""
    n = len(prefix)
    return any(p[:n] == prefix for p in paths)


# ---------------------------------------------------------------- FieldsV1 JSON


def to_fields_v1(fields: FieldSet) -> dict[str, Any]:
    """Serialize to the nested `fieldsV1` mapping (`{}` leaves, `.` marks a member with children).

    Keys come in the real server's order, `.` first and then sorted. Visiting the paths in sorted order
    builds every node's children in that order, and reaches each member before its descendants, so its
    `.` goes in first; a member that gets no children is a plain `{}` leaf.
    """
    root: dict[str, Any] = {}
    members: list[dict[str, Any]] = []
    for path in sorted(fields):
        node = root
        for element in path:
            child = node.get(element)
            if child is None:
                child = node[element] = {}
            node = child
        node["."] = {}
        members.append(node)
    for node in members:
        if len(node) == 1:
            del node["."]
    return root


def from_fields_v1(tree: Mapping[str, Any]) -> FieldSet:
    """Parse a `fieldsV1` mapping; raises FieldPathError on a malformed one."""
    out: set[Path] = set()
    _parse(tree, (), out)
    return frozenset(out)


def _parse(node: Mapping[str, Any], path: Path, out: set[Path]) -> None:
    if not isinstance(node, Mapping):
        raise FieldPathError(f"fieldsV1 node at {path_to_string(path) or '.'} is not an object")
    if not node and path:
        out.add(path)
        return
    for element, sub in node.items():
        if element == ".":
            if path:
                out.add(path)
            continue
        if element[:2] not in ("f:", "k:", "v:", "i:"):
            raise FieldPathError(f"invalid fieldsV1 path element {element!r}")
        _parse(sub, (*path, element), out)
