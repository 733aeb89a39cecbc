"""`metadata.managedFields` entries: parse, serialize, identify and describe them.

Every write parses the stored entries and serializes the new ones, and most entries are the same from
one write to the next (a status PUT changes one manager's fields at most). So field sets are remembered
by their `fieldsV1` JSON text and the JSON text by field set (bounded): an unchanged entry costs a
lookup. What a caller gets is always its own fresh `fieldsV1` mapping.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pykro.apiserver.machinery.fieldpath import FieldPathError, FieldSet, from_fields_v1, to_fields_v1
from pykro.errors import PykroError
from pykro.jsontypes import decode_json, encode_json

APPLY = "Apply"
UPDATE = "Update"


class ManagedFieldsError(PykroError, ValueError):
    """`metadata.managedFields` that is not a list of valid entries."""


@dataclass(frozen=True)
class ManagedFieldsEntry:
    manager: str
    operation: str  # "Apply" or "Update"
    api_version: str
    time: str
    fields: FieldSet
    subresource: str = ""

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """What makes two entries the same manager: apply entries ignore the apiVersion."""
        version = "" if self.operation == APPLY else self.api_version
        return (self.manager, self.operation, version, self.subresource)

    def describe(self) -> str:
        """The manager as conflict messages print it: `"kubectl" using apps/v1`."""
        text = json.dumps(self.manager)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource)}"
        if self.operation == UPDATE:
            text += f" using {self.api_version}"
        return text


def parse_managed_fields(obj: Mapping[str, Any]) -> list[ManagedFieldsEntry]:
    """Entries of `obj.metadata.managedFields` (empty when absent)."""
    meta = obj.get("metadata")
    raw = meta.get("managedFields") if isinstance(meta, Mapping) else None
    if raw is None:
        return []
    return parse_entries(raw)


def parse_entries(raw: Any) -> list[ManagedFieldsEntry]:
    if not isinstance(raw, list):
        raise ManagedFieldsError("metadata.managedFields must be a list")
    entries = []
    for i, item in enumerate(raw):
        where = f"metadata.managedFields[{i}]"
        if not isinstance(item, Mapping):
            raise ManagedFieldsError(f"{where} must be an object")
        operation = item.get("operation", "")
        if operation not in (APPLY, UPDATE):
            raise ManagedFieldsError(f'{where}.operation: Unsupported value: "{operation}"')
        if item.get("fieldsType", "FieldsV1") != "FieldsV1":
            raise ManagedFieldsError(f'{where}.fieldsType: Unsupported value: "{item.get("fieldsType")}"')
        try:
            fields = _field_set(item.get("fieldsV1") or {})
        except FieldPathError as err:
            raise ManagedFieldsError(f"{where}.fieldsV1: {err}") from err
        entries.append(
            ManagedFieldsEntry(
                manager=str(item.get("manager", "")),
                operation=str(operation),
                api_version=str(item.get("apiVersion", "")),
                time=str(item.get("time", "")),
                fields=fields,
                subresource=str(item.get("subresource", "")),
            )
        )
    return entries


_MEMO_SIZE = 4096
_field_sets: dict[bytes, FieldSet] = {}
_fields_v1_texts: dict[FieldSet, bytes] = {}


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> None:
    if len(memo) >= _MEMO_SIZE:
        del memo[next(iter(memo))]  # the oldest
    memo[key] = value


def _field_set(tree: Any) -> FieldSet:
    """`from_fields_v1(tree)`, remembered by the tree's JSON text."""
    try:
        text = encode_json(tree)
    except (TypeError, ValueError):
        return from_fields_v1(tree)
    fields = _field_sets.get(text)
    if fields is None:
        fields = from_fields_v1(tree)
        _remember(_field_sets, text, fields)
    return fields


def _fields_v1_json(fields: FieldSet) -> bytes:
    """`to_fields_v1(fields)` as JSON text, remembered by field set."""
    text = _fields_v1_texts.get(fields)
    if text is None:
        text = encode_json(to_fields_v1(fields))
        _remember(_fields_v1_texts, fields, text)
    return text


def serialize_entries(entries: Iterable[ManagedFieldsEntry]) -> list[dict[str, Any]]:
    """Entries as the server stores them: empty ones dropped, sorted like the real field manager."""
    kept = sorted(
        (e for e in entries if e.fields),
        key=lambda e: (e.operation, e.time, e.manager, e.api_version, e.subresource),
    )
    out = []
    for e in kept:
        item: dict[str, Any] = {
            "apiVersion": e.api_version,
            "fieldsType": "FieldsV1",
            "fieldsV1": decode_json(_fields_v1_json(e.fields)),
            "manager": e.manager,
            "operation": e.operation,
        }
        if e.subresource:
            item["subresource"] = e.subresource
        if e.time:
            item["time"] = e.time
        out.append(item)
    return out


def with_managed_fields(obj: Mapping[str, Any], entries: Iterable[ManagedFieldsEntry]) -> dict[str, Any]:
    """A shallow copy of `obj` whose metadata.managedFields holds `entries` (removed when none)."""
    result = dict(obj)
    meta = dict(result.get("metadata") or {})
    serialized = serialize_entries(entries)
    if serialized:
        meta["managedFields"] = serialized
    else:
        meta.pop("managedFields", None)
    result["metadata"] = meta
    return result


def without_managed_fields(obj: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(obj)
    meta = result.get("metadata")
    if isinstance(meta, Mapping) and "managedFields" in meta:
        result["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return result


def manager_from_user_agent(user_agent: str) -> str:
    """Default manager name: the User-Agent up to the first `/` (`kubectl/v1.32 ...` -> `kubectl`)."""
    return user_agent.split("/", 1)[0].strip()[:128]
