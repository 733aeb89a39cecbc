"""The comparisons behind zero-write steady state."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pykro.controller.instance.compare import canonical_json, comparable, contains

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12,
)


@given(json_values)
def test_every_value_contains_itself(value: Any) -> None:
    assert contains(value, value)


def test_server_added_fields_do_not_matter_but_changed_or_missing_ones_do() -> None:
    live = {
        "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate"},
            "containers": [{"name": "a", "image": "x", "protocol": "TCP"}],
        }
    }
    assert contains(live, {"spec": {"replicas": 2, "containers": [{"name": "a", "image": "x"}]}})
    assert not contains(live, {"spec": {"replicas": 3}})
    assert not contains(live, {"spec": {"paused": True}})
    assert not contains(live, {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}})


def test_numbers_compare_as_json_numbers_and_bools_are_not_numbers() -> None:
    assert contains({"a": 1.0}, {"a": 1})
    assert not contains({"a": 1}, {"a": True})
    assert canonical_json({"b": 1.0, "a": [2]}) == canonical_json({"a": [2.0], "b": 1})
    assert canonical_json({"a": 1}) != canonical_json({"a": "1"})


def test_secret_string_data_compares_as_base64_data() -> None:
    desired = {"apiVersion": "v1", "kind": "Secret", "stringData": {"token": "abc"}, "data": {"k": "dg=="}}
    view = comparable(desired)
    assert "stringData" not in view
    assert view["data"] == {"k": "dg==", "token": base64.b64encode(b"abc").decode()}
    live = {"apiVersion": "v1", "kind": "Secret", "data": {"k": "dg==", "token": "YWJj", "extra": "eA=="}}
    assert contains(live, view)
    other = {"apiVersion": "v1", "kind": "ConfigMap", "stringData": {"x": "y"}}
    assert comparable(other) is other
