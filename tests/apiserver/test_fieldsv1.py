"""`fieldsV1` serialization against its definition, key order included (clients see the JSON text)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from pykro.apiserver.machinery.fieldpath import FieldSet, Path, from_fields_v1, to_fields_v1
from pykro.apiserver.machinery.managedfields import ManagedFieldsEntry, parse_entries, serialize_entries

ELEMENTS = [
    "f:a",
    "f:b",
    "f:metadata",
    "f:é",
    'k:{"name":"x"}',
    'k:{"port":80}',
    'v:"a"',
    "v:1",
    "i:0",
    "i:10",
]
field_sets = st.frozensets(
    st.lists(st.sampled_from(ELEMENTS), min_size=1, max_size=4).map(tuple), max_size=12
)


def by_definition(fields: FieldSet) -> dict[str, Any]:
    """Every path a node; a member that has children also holds `.`; keys sorted with `.` first."""

    def node(prefix: Path) -> dict[str, Any]:
        n = len(prefix)
        children = sorted({p[n] for p in fields if len(p) > n and p[:n] == prefix})
        out: dict[str, Any] = {".": {}} if prefix and prefix in fields and children else {}
        for child in children:
            out[child] = node((*prefix, child))
        return out

    return node(())


@given(field_sets)
@example(frozenset({("f:a",), ("f:a", "f:b"), ("f:a", "f:b", "i:0")}))
@example(frozenset({("f:b", "f:a"), ("f:a",), ("f:b",)}))
def test_fields_v1_is_its_definition(fields: FieldSet) -> None:
    serialized = to_fields_v1(fields)
    assert json.dumps(serialized) == json.dumps(by_definition(fields))
    assert from_fields_v1(serialized) == fields


@given(field_sets)
def test_serialized_entries_are_fresh_and_canonical(fields: FieldSet) -> None:
    """Remembered serializations are what serializing gives, and no two results share a mapping."""
    entry = ManagedFieldsEntry("m", "Update", "v1", "t", fields)
    first = serialize_entries([entry])
    for item in first:
        item["fieldsV1"]["f:changed"] = {}
    second = serialize_entries([entry])
    assert json.dumps(second) == json.dumps(serialize_entries([entry]))
    assert [json.dumps(item["fieldsV1"]) for item in second] == [json.dumps(to_fields_v1(fields))] * len(
        second
    )
    assert parse_entries(second) == [entry] * len(second)
