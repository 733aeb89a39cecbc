"""Server-side apply and managedFields tracking for ordinary writes, after structured-merge-diff.

Each manager owns a field set. Apply merges the applied configuration into the live object, refuses to
change a field another manager owns to a different value unless forced (force moves ownership), replaces
the applier's field set with what it applied, and removes fields it dropped that no one else owns.
An apply that changes neither the object nor any field set returns `changed=False` and the live object
untouched (same managedFields times), so the server keeps the resourceVersion and emits no event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pykro.apiserver.machinery.fieldpath import (
    FieldPathError,
    FieldSet,
    Path,
    child_schema,
    field,
    get_path,
    has_prefix,
    is_atomic_map,
    is_untracked,
    is_untyped,
    item_element,
    item_schema,
    list_type,
    path_to_string,
    remove_path,
    schema_at,
    to_field_set,
)
from pykro.apiserver.machinery.managedfields import (
    APPLY,
    UPDATE,
    ManagedFieldsEntry,
    parse_entries,
    parse_managed_fields,
    with_managed_fields,
    without_managed_fields,
)
from pykro.apiserver.machinery.patch import json_equal
from pykro.errors import Problem, PykroError
from pykro.jsontypes import copy_json, encode_json

_EMPTY: Mapping[str, Any] = {}


@dataclass(frozen=True)
class ApplyResult:
    obj: dict[str, Any]
    changed: bool


class ApplyError(PykroError, ValueError):
    """A request apply cannot process.

    `code` is the HTTP status the real server uses: 500 for a configuration that does not fit the schema
    (it reports `failed to create typed patch object (<ns>/<name>; <gvk>): <this message>`), 422 for a
    missing field manager.
    """

    def __init__(self, message: str, code: int = 500) -> None:
        super().__init__(message)
        self.code = code


class ApplyConflict(PykroError, ValueError):
    """Fields owned by other managers would change; the server answers 409 with one cause per field."""

    def __init__(self, conflicts: list[tuple[str, str]]) -> None:
        self.conflicts = conflicts
        super().__init__(
            _conflict_message(conflicts),
            tuple(Problem(path, f"conflict with {manager}") for manager, path in conflicts),
        )

    def causes(self) -> list[dict[str, str]]:
        """`status.details.causes` of the 409 Status."""
        return [
            {"type": "FieldManagerConflict", "message": f"conflict with {manager}", "field": path}
            for manager, path in self.conflicts
        ]


def _conflict_message(conflicts: list[tuple[str, str]]) -> str:
    if len(conflicts) == 1:
        manager, path = conflicts[0]
        return f"Apply failed with 1 conflict: conflict with {manager}: {path}"
    by_manager: dict[str, list[str]] = {}
    for manager, path in conflicts:
        by_manager.setdefault(manager, []).append(path)
    lines = []
    for manager in sorted(by_manager):
        lines.append(f"conflicts with {manager}:")
        lines.extend(f"- {path}" for path in by_manager[manager])
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)


# ---------------------------------------------------------------- public API


def server_side_apply(
    live: Mapping[str, Any] | None,
    applied: Mapping[str, Any],
    *,
    manager: str,
    force: bool,
    schema: Mapping[str, Any],
    now: str,
    subresource: str = "",
    status_subresource: bool = False,
) -> ApplyResult:
    """Apply `applied` for `manager`; `live` is None when the object does not exist yet.

    With `status_subresource` (the kind has one) a main-resource apply ignores `status`, and an apply to
    the `status` subresource ignores everything but `status`, as the real reset strategies do.
    Raises ApplyConflict (409) or ApplyError (bad configuration). Neither argument is modified.
    """
    if not isinstance(applied, Mapping):
        raise ApplyError("error decoding YAML: applied configuration must be an object", 400)
    if not manager:
        raise ApplyError("fieldManager: Required value: is required for apply patch", 422)
    config = _reset(_clean(without_managed_fields(applied)), subresource, status_subresource)
    _check_declared(config, schema, ())
    base = without_managed_fields(copy_json(dict(live))) if live is not None else {}
    entries = _entries(live)
    api_version = str(applied.get("apiVersion", base.get("apiVersion", "")))
    try:
        new_set = to_field_set(config, schema)
        merged = _merge(base, config, schema)
        changed = (
            frozenset().union(*_diff(base, merged, schema, members=False))
            if live is not None
            else frozenset()
        )
    except FieldPathError as err:
        raise ApplyError(str(err)) from err

    mine = ManagedFieldsEntry(manager, APPLY, api_version, now, frozenset(), subresource)
    others: list[ManagedFieldsEntry] = []
    for entry in entries:
        if entry.identity == mine.identity:
            mine = entry
        else:
            others.append(entry)

    conflicts: list[tuple[str, str]] = []
    stolen: list[set[Path]] = []
    for entry in others:
        hit = {p for p in entry.fields if _within(p, changed)}
        stolen.append(hit)
        conflicts.extend((entry.describe(), path_to_string(p)) for p in sorted(hit))
    if conflicts and not force:
        raise ApplyConflict(conflicts)
    sets_changed = any(stolen)
    others = [replace(e, fields=e.fields - hit) if hit else e for e, hit in zip(others, stolen, strict=True)]

    # structured-merge-diff's prune: what the applier owned last time and no manager (the applier's
    # new configuration included) owns now goes, with everything below it; named struct fields count
    # as owned by whoever owns something inside them (`EnsureNamedFieldsAreMembers`), list items and
    # map keys do not. So an item the applier drops goes even when an updater owns a field inside it.
    owned_by_others: set[Path] = set().union(*(e.fields for e in others)) if others else set()
    managed = _with_named_fields(new_set | owned_by_others, schema) | _ALWAYS_APPLIED
    removable = {
        path
        for path in _with_named_fields(mine.fields, schema) - managed
        if not _under_leaf(path, new_set, schema)
    }
    removed = [p for p in removable if not any(p[:i] in removable for i in range(1, len(p)))]
    for path in sorted(removed, key=len):
        remove_path(merged, path, schema)
        _drop_empty_parents(merged, path, schema, managed)
    if removed:
        # fields removed with their parent leave every manager's set (the second `update` of SMD's Apply)
        gone = frozenset(removed)
        others = [replace(e, fields=frozenset(p for p in e.fields if not _within(p, gone))) for e in others]

    new_mine = replace(mine, fields=new_set, api_version=api_version)
    object_changed = live is None or not json_equal(base, merged)
    sets_changed = sets_changed or new_mine.fields != mine.fields
    if not object_changed and not sets_changed and new_mine.api_version == mine.api_version:
        return ApplyResult(copy_json(dict(live)) if live is not None else merged, False)
    new_mine = replace(new_mine, time=now)
    return ApplyResult(with_managed_fields(merged, [*others, new_mine]), True)


def update_managed_fields(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    manager: str,
    operation: str = UPDATE,
    *,
    schema: Mapping[str, Any],
    now: str,
    subresource: str = "",
    status_subresource: bool = False,
) -> dict[str, Any]:
    """`new` with managedFields updated for a non-apply write (create, PUT, PATCH) by `manager`.

    `status_subresource` limits what the write can own as for `server_side_apply`.
    The writer takes the fields it added or changed; other managers lose them. A write that changes
    nothing leaves managedFields (and their times) as they were.
    """
    entries = _entries(old)
    new_meta = new.get("metadata")
    sent = new_meta.get("managedFields") if isinstance(new_meta, Mapping) else None
    stored = (old.get("metadata") or {}).get("managedFields") if old is not None else None
    if sent is not None and (stored is None or encode_json(sent) != encode_json(stored)):
        # A client may rewrite managedFields (e.g. `[]` strips them); a GET-modify-PUT sends them back as-is.
        try:
            sent_entries = parse_entries(sent)
        except ValueError:
            sent_entries = entries  # the real server ignores invalid managedFields from a client
        if [e.identity for e in sent_entries] != [e.identity for e in entries] or any(
            a.fields != b.fields for a, b in zip(sent_entries, entries, strict=False)
        ):
            entries = sent_entries
    before = _reset(without_managed_fields(old), subresource, status_subresource) if old is not None else None
    after = _reset(without_managed_fields(new), subresource, status_subresource)
    try:
        if before is None:
            touched = to_field_set(after, schema, track_maps=True)
            removed: FieldSet = frozenset()
        else:
            touched, removed = _diff(before, after, schema, track_maps=True)
    except FieldPathError as err:
        raise ApplyError(str(err)) from err
    api_version = str(new.get("apiVersion", ""))
    me = ManagedFieldsEntry(manager, operation, api_version, now, frozenset(), subresource)
    result: list[ManagedFieldsEntry] = []
    taken = touched | removed
    for entry in entries:
        if entry.identity == me.identity:
            me = entry
            continue
        lost = frozenset(p for p in entry.fields if _within(p, taken))
        result.append(replace(entry, fields=entry.fields - lost) if lost else entry)
    mine = frozenset(p for p in me.fields if not _within(p, removed)) | touched
    if mine != me.fields:
        me = replace(me, fields=mine, time=now)
    return with_managed_fields(dict(new), [*result, me])


# ---------------------------------------------------------------- helpers


def _entries(obj: Mapping[str, Any] | None) -> list[ManagedFieldsEntry]:
    if obj is None:
        return []
    try:
        return parse_managed_fields(obj)
    except ValueError:
        return []  # corrupt stored managedFields are reset, as the real server does


def _within(path: Path, paths: FieldSet | set[Path]) -> bool:
    """`path` or one of its ancestors is in `paths`."""
    for i in range(1, len(path) + 1):
        if path[:i] in paths:
            return True
    return False


def _reset(obj: Any, subresource: str, status_subresource: bool) -> dict[str, Any]:
    """The part of `obj` a write through `subresource` may change."""
    result = dict(obj)
    if subresource == "status":
        meta = result.get("metadata")
        kept = {k: meta[k] for k in ("name", "namespace") if k in meta} if isinstance(meta, Mapping) else {}
        return {
            k: v
            for k, v in {**result, "metadata": kept}.items()
            if k in ("apiVersion", "kind", "metadata", "status")
        }
    if status_subresource and not subresource:
        result.pop("status", None)
    return result


# The applied configuration always holds these; no managedFields entry lists them.
_ALWAYS_APPLIED: FieldSet = frozenset({("f:apiVersion",), ("f:kind",), ("f:metadata",)})


def _with_named_fields(fields: FieldSet | set[Path], schema: Mapping[str, Any]) -> set[Path]:
    """`fields` plus every declared struct field above one of them (structured-merge-diff's
    `EnsureNamedFieldsAreMembers`); list items and map keys above are not added."""
    out = set(fields)
    for path in fields:
        for i in range(len(path) - 1, 0, -1):
            prefix = path[:i]
            if prefix in out:
                break
            name = prefix[-1]
            props = schema_at(schema, prefix[:-1]).get("properties") if name.startswith("f:") else None
            if isinstance(props, Mapping) and name[2:] in props:
                out.add(prefix)
    return out


def _under_leaf(path: Path, fields: FieldSet, schema: Mapping[str, Any]) -> bool:
    """`path` lies inside a value `fields` owns whole: an atomic or scalar ancestor. An empty struct,
    granular map or associative list owns only itself (`data: {}` leaves the manager owning `f:data`,
    not the keys it used to set)."""
    for i in range(1, len(path)):
        ancestor = path[:i]
        if ancestor in fields and not any(len(p) > i and p[:i] == ancestor for p in fields):
            if not _has_members(schema_at(schema, ancestor)):
                return True
    return False


def _has_members(schema: Mapping[str, Any]) -> bool:
    """Whether server-side apply tracks the members of a value of this schema one by one."""
    if is_untyped(schema):
        return False
    if schema.get("type") == "array" or "items" in schema:
        return list_type(schema) in ("map", "set")
    return schema.get("type") in (None, "object") and not is_atomic_map(schema)


def _clean(value: Any) -> Any:
    """Drop nulls: a null in an applied configuration means 'not specified'. The containers of the
    result are new: `_merge` takes them over without copying."""
    if isinstance(value, Mapping):
        return {
            k: _clean(v) if isinstance(v, (Mapping, list)) else v for k, v in value.items() if v is not None
        }
    if isinstance(value, list):
        return [_clean(v) if isinstance(v, (Mapping, list)) else v for v in value]
    return value


_KINDS = {"object": (Mapping, "map"), "array": (list, "list")}


def _check_declared(value: Any, schema: Mapping[str, Any], path: Path) -> None:
    expected = _KINDS.get(str(schema.get("type")))
    if expected is not None and not isinstance(value, expected[0]):
        got = (
            "list"
            if isinstance(value, list)
            else "map"
            if isinstance(value, Mapping)
            else type(value).__name__
        )
        raise ApplyError(f"{path_to_string(path) or '.'}: expected {expected[1]}, got {got}")
    if isinstance(value, dict) and not is_atomic_map(schema):
        for name, sub in value.items():
            sub_schema = child_schema(schema, str(name))
            here = (*path, field(str(name)))
            if sub_schema is None:
                raise ApplyError(f"{path_to_string(here)}: field not declared in schema")
            _check_declared(sub, sub_schema, here)
    elif isinstance(value, list) and not is_untyped(schema):
        for i, item in enumerate(value):
            _check_declared(item, item_schema(schema), (*path, f"i:{i}"))


def _merge(live: Any, applied: Any, schema: Mapping[str, Any]) -> Any:
    """`applied` merged into `live`; both are decoded JSON, and `applied` (a `_clean` result, nothing
    else holds it) is taken over, not copied."""
    if isinstance(applied, dict):
        if not isinstance(live, dict) or is_atomic_map(schema):
            return applied
        out = dict(live)
        for name, value in applied.items():
            sub = child_schema(schema, name) or _EMPTY
            out[name] = _merge(live[name], value, sub) if name in live else value
        return out
    if isinstance(applied, list):
        kind = list_type(schema)
        if not isinstance(live, list) or kind == "atomic" or is_untyped(schema):
            return applied
        return _merge_members(live, applied, schema, kind == "map")
    return applied


def _merge_members(
    live: list[Any], applied: list[Any], schema: Mapping[str, Any], merge_items: bool
) -> list[Any]:
    """A set or associative list merged as structured-merge-diff's `visitListItems` orders it: items
    both sides hold come in the applied order, live-only items keep their place among them, and new
    items go where the applied order puts them (live [a, c] + applied [b, c] gives [a, b, c])."""
    lhs = [item_element(item, i, schema) for i, item in enumerate(live)]
    rhs = [item_element(item, i, schema) for i, item in enumerate(applied)]
    live_items = dict(zip(lhs, live, strict=True))
    applied_items = dict(zip(rhs, applied, strict=True))
    shared = iter([element for element in rhs if element in live_items])
    next_shared = next(shared, None)
    out: list[Any] = []
    done: set[str] = set()

    def take(element: str) -> None:
        nonlocal next_shared
        done.add(element)
        item = applied_items[element]
        if merge_items and element in live_items:
            out.append(_merge(live_items[element], item, item_schema(schema)))
        else:
            out.append(copy_json(item))  # an applied list may repeat a key: each place its own copy
        if element == next_shared:
            next_shared = next(shared, None)

    li = ri = 0
    while li < len(lhs) or ri < len(rhs):
        if li < len(lhs) and ri < len(rhs):
            if lhs[li] == rhs[ri]:
                take(rhs[ri])
                li, ri = li + 1, ri + 1
                continue
            if lhs[li] in applied_items and next_shared is not None and next_shared != lhs[li]:
                li += 1  # a shared item, but not the one due in this round
                continue
        if li < len(lhs):
            if lhs[li] not in applied_items:
                out.append(live[li])
                li += 1
                continue
            if lhs[li] in done:
                li += 1
        if ri < len(rhs):
            take(rhs[ri])
            ri += 1
    return out


def _diff(
    a: Any, b: Any, schema: Mapping[str, Any], *, track_maps: bool = False, members: bool = True
) -> tuple[FieldSet, FieldSet]:
    """What differs between objects `a` and `b`: (paths `b` adds or changes, paths of `a` that `b` no
    longer has). An added value comes with its members unless `members` is False (enough to tell which
    owned fields a change touches: a member is within its added parent)."""
    diff = _Diff(track_maps, members)
    diff.walk(a, b, schema, ())
    # server-owned fields (a generation bump) belong to nobody
    return (
        frozenset(p for p in diff.changed if p and not is_untracked(p)),
        frozenset(p for p in diff.gone if p and not is_untracked(p)),
    )


class _Diff:
    """The walk behind `_diff`; the values are decoded JSON (dicts, lists, scalars)."""

    def __init__(self, track_maps: bool, members: bool) -> None:
        self.track_maps = track_maps
        self.members = members
        self.changed: set[Path] = set()
        self.gone: set[Path] = set()

    def walk(self, a: Any, b: Any, schema: Mapping[str, Any], path: Path) -> None:
        if a is b:
            return  # apply's merge shares what it did not touch: whole subtrees are skipped
        if isinstance(a, dict) and isinstance(b, dict) and not is_atomic_map(schema):
            for name, value in b.items():
                sub = child_schema(schema, str(name)) or _EMPTY
                here = (*path, field(str(name)))
                if name not in a:
                    self.added(value, sub, here)
                else:
                    self.walk(a[name], value, sub, here)
            self.gone.update((*path, field(str(name))) for name in a if name not in b)
            return
        kind = list_type(schema) if isinstance(a, list) and isinstance(b, list) else "atomic"
        if kind != "atomic" and not is_untyped(schema):
            old = {item_element(item, i, schema): item for i, item in enumerate(a)}
            new = {item_element(item, i, schema): item for i, item in enumerate(b)}
            for element, item in new.items():
                here = (*path, element)
                if element not in old:
                    self.added(item, item_schema(schema), here)
                elif kind == "map":
                    self.walk(old[element], item, item_schema(schema), here)
            self.gone.update((*path, element) for element in old if element not in new)
            return
        if not json_equal(a, b):
            self.changed.add(path)

    def added(self, value: Any, schema: Mapping[str, Any], path: Path) -> None:
        self.changed.add(path)
        if self.members:
            self.changed.update((*path, *p) for p in to_field_set_relative(value, schema, self.track_maps))


def to_field_set_relative(value: Any, schema: Mapping[str, Any], track_maps: bool) -> FieldSet:
    """Field set of a sub-value; metadata stripping does not apply below the root."""
    wrapped = to_field_set({"x": value}, {"properties": {"x": schema}}, track_maps=track_maps)
    return frozenset(p[1:] for p in wrapped if len(p) > 1)


def _drop_empty_parents(obj: dict[str, Any], path: Path, schema: Mapping[str, Any], owned: set[Path]) -> None:
    """Remove containers emptied by pruning unless someone owns them; top-level fields stay."""
    for depth in range(len(path) - 1, 1, -1):
        parent = path[:depth]
        found, value = get_path(obj, parent, schema)
        if not found or value or has_prefix(owned, parent) or not isinstance(value, (dict, list)):
            return
        remove_path(obj, parent, schema_at(schema, ()))
