"""JSON patch (RFC 6902) and merge patch (RFC 7386)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pykro.apiserver.machinery.patch import (
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    json_equal,
    parse_pointer,
)

DOC: dict[str, Any] = {
    "metadata": {"name": "x", "labels": {"a/b": "1", "c~d": "2"}},
    "spec": {"items": [1, 2, 3]},
}


def test_add_replace_remove() -> None:
    out = apply_json_patch(
        DOC,
        [
            {"op": "add", "path": "/spec/replicas", "value": 3},
            {"op": "replace", "path": "/metadata/name", "value": "y"},
            {"op": "remove", "path": "/spec/items/0"},
            {"op": "add", "path": "/spec/items/-", "value": 9},
            {"op": "add", "path": "/spec/items/0", "value": 0},
        ],
    )
    assert out["spec"] == {"replicas": 3, "items": [0, 2, 3, 9]}
    assert out["metadata"]["name"] == "y"
    assert DOC["spec"]["items"] == [1, 2, 3], "input must not be modified"


def test_pointer_escaping() -> None:
    assert parse_pointer("/metadata/labels/a~1b") == ["metadata", "labels", "a/b"]
    out = apply_json_patch(
        DOC,
        [
            {"op": "remove", "path": "/metadata/labels/a~1b"},
            {"op": "replace", "path": "/metadata/labels/c~0d", "value": "3"},
        ],
    )
    assert out["metadata"]["labels"] == {"c~d": "3"}


def test_move_copy_test() -> None:
    out = apply_json_patch(
        DOC,
        [
            {"op": "test", "path": "/metadata/name", "value": "x"},
            {"op": "copy", "from": "/spec/items", "path": "/spec/copy"},
            {"op": "move", "from": "/metadata/labels", "path": "/spec/labels"},
        ],
    )
    assert out["spec"]["copy"] == [1, 2, 3]
    assert out["spec"]["labels"] == DOC["metadata"]["labels"]
    assert "labels" not in out["metadata"]


@pytest.mark.parametrize(
    ("ops", "fragment", "code"),
    [
        (
            [{"op": "test", "path": "/metadata/name", "value": "z"}],
            "testing value /metadata/name failed",
            422,
        ),
        ([{"op": "test", "path": "/spec/items/0", "value": True}], "test failed", 422),
        ([{"op": "replace", "path": "/spec/missing", "value": 1}], "doc is missing key: /spec/missing", 422),
        ([{"op": "remove", "path": "/nope"}], "Unable to remove nonexistent key: nope", 422),
        ([{"op": "add", "path": "/a/b/c", "value": 1}], "doc is missing path", 422),
        ([{"op": "add", "path": "/spec/items/7", "value": 1}], "invalid index", 422),
        ([{"op": "move", "from": "/spec", "path": "/spec/x"}], "own child", 422),
        ([{"op": "frobnicate", "path": "/a"}], "Unexpected kind: frobnicate", 400),
        ([{"op": "add", "path": "/a"}], "missing 'value'", 400),
        ({"op": "add"}, "cannot unmarshal", 400),
    ],
)
def test_errors(ops: Any, fragment: str, code: int) -> None:
    with pytest.raises(PatchError, match=fragment) as info:
        apply_json_patch(DOC, ops)
    assert info.value.code == code


def test_merge_patch_rfc7386_examples() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}}
    assert apply_merge_patch(target, {"a": "z", "c": {"f": None}}) == {"a": "z", "c": {"d": "e"}}
    assert apply_merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert apply_merge_patch({"a": "foo"}, {"a": {"b": "c"}}) == {"a": {"b": "c"}}
    assert target == {"a": "b", "c": {"d": "e", "f": "g"}}
    with pytest.raises(PatchError):
        apply_merge_patch(target, ["x"])


def test_json_equal_distinguishes_bool_from_int() -> None:
    assert json_equal(1, 1.0)
    assert not json_equal(True, 1)
    assert json_equal({"a": [1, {"b": None}]}, {"a": [1.0, {"b": None}]})


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=3))
json_values = st.recursive(
    json_scalars,
    lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(st.text(max_size=3), c, max_size=3)),
    max_leaves=8,
)
pointers = st.lists(
    st.one_of(st.text(max_size=3), st.sampled_from(["-", "0", "1", "01", "~", "a/b"])), max_size=3
).map(lambda parts: "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts))
ops = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "bad"]), "path": pointers},
    optional={"value": json_values, "from": pointers},
)


@settings(max_examples=300, deadline=None)
@given(doc=st.dictionaries(st.text(max_size=3), json_values, max_size=4), patch=st.lists(ops, max_size=4))
# "²" passes str.isdigit() but not int(): once a 500 from the server (found by this test).
@example(doc={"a": [1, 2]}, patch=[{"op": "replace", "path": "/a/²", "value": 3}])
@example(doc={"a": [1, 2]}, patch=[{"op": "add", "path": "/a/²", "value": 3}])
@example(doc={"a": [1, 2]}, patch=[{"op": "copy", "from": "/a/²", "path": "/b"}])
def test_json_patch_never_crashes(doc: dict[str, Any], patch: list[dict[str, Any]]) -> None:
    try:
        out = apply_json_patch(doc, patch)
    except PatchError as err:
        assert str(err)
    else:
        assert isinstance(out, dict)


@settings(max_examples=200, deadline=None)
@given(doc=st.dictionaries(st.text(max_size=3), json_values, max_size=4), patch=json_values)
def test_merge_patch_never_crashes_and_is_idempotent(doc: dict[str, Any], patch: Any) -> None:
    try:
        once = apply_merge_patch(doc, patch)
    except PatchError:
        assert not isinstance(patch, dict)
    else:
        assert apply_merge_patch(once, patch) == once
