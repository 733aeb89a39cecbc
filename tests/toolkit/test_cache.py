"""The indexed cache: keys, indexes, and copies on read."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pykro.jsontypes import copy_json
from pykro.toolkit.cache import NAMESPACE_INDEX, OWNER_UID_INDEX, Indexer, label_index

INSTANCE = "kro.run/instance-id"


def cm(
    name: str,
    ns: str | None = "default",
    *,
    instance: str | None = None,
    owner: str | None = None,
    rv: str = "1",
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "resourceVersion": rv}
    if ns:
        meta["namespace"] = ns
    if instance:
        meta["labels"] = {INSTANCE: instance}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "X", "name": "o", "uid": owner}]
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": ["v"]}}


def test_keys_are_namespace_slash_name() -> None:
    idx = Indexer()
    idx.upsert(cm("a", "ns1"))
    idx.upsert(cm("node", None))
    assert sorted(idx.keys()) == ["node", "ns1/a"]
    assert idx.get_by_name("a", "ns1") is not None and idx.get_by_name("node") is not None


def test_reads_are_copies() -> None:
    idx = Indexer()
    idx.upsert(cm("a"))
    first = idx.get("default/a")
    assert first is not None
    first["data"]["k"].append("mutated")
    first["metadata"]["name"] = "evil"
    for obj in (idx.get("default/a"), idx.list()[0], idx.by_index(NAMESPACE_INDEX, "default")[0]):
        assert obj is not None
        assert obj["data"]["k"] == ["v"] and obj["metadata"]["name"] == "a"


def test_indexes_follow_updates_and_deletes() -> None:
    idx = Indexer({"instance": label_index(INSTANCE)})
    idx.upsert(cm("a", instance="i1", owner="u1"))
    idx.upsert(cm("b", instance="i1"))
    idx.upsert(cm("c", "other", instance="i2", owner="u1"))
    assert idx.index_keys("instance", "i1") == {"default/a", "default/b"}
    assert idx.index_keys(OWNER_UID_INDEX, "u1") == {"default/a", "other/c"}
    idx.upsert(cm("a", instance="i2", rv="2"))  # relabelled, owner dropped
    assert idx.index_keys("instance", "i1") == {"default/b"}
    assert idx.index_keys("instance", "i2") == {"default/a", "other/c"}
    assert idx.index_keys(OWNER_UID_INDEX, "u1") == {"other/c"}
    idx.remove("other/c")
    assert idx.index_keys(OWNER_UID_INDEX, "u1") == set()
    assert [o["metadata"]["name"] for o in idx.list("default")] == ["a", "b"]


def test_added_index_covers_existing_objects() -> None:
    idx = Indexer()
    idx.upsert(cm("a", instance="i1"))
    idx.add_index("instance", label_index(INSTANCE))
    assert idx.index_keys("instance", "i1") == {"default/a"}


def test_unknown_index_is_named_in_the_error() -> None:
    with pytest.raises(KeyError, match="no index named 'nope'"):
        Indexer().index_keys("nope", "x")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@settings(max_examples=200)
@given(json_values)
def test_copy_json_is_an_equal_unshared_copy(value: Any) -> None:
    copied = copy_json(value)
    assert copied == value

    def containers(v: Any) -> list[int]:
        if isinstance(v, dict):
            return [id(v), *(i for x in v.values() for i in containers(x))]
        if isinstance(v, list):
            return [id(v), *(i for x in v for i in containers(x))]
        return []

    assert not set(containers(copied)) & set(containers(value))


@settings(max_examples=200)
@given(st.dictionaries(st.text(), json_values))
def test_what_is_stored_reads_back_equal_and_unshared(data: dict[str, Any]) -> None:
    """Objects are kept frozen as JSON bytes: every read, the list and the previous version an update
    returns equal what went in (big integers included)."""
    idx = Indexer()
    stored = {**cm("a"), "data": data}
    idx.upsert(copy_json(stored))
    assert idx.get("default/a") == stored
    assert idx.list() == [stored]
    assert idx.upsert(cm("a", rv="2")) == stored
    assert idx.remove("default/a") == cm("a", rv="2")
    assert len(idx) == 0
