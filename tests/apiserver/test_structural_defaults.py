"""Defaulting and pruning of custom resources on random schemas against their definition: prune, apply
defaults top-down, prune again (defaults are pruned too); the in-place form equals the copying one."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from pykro.apiserver.admission.structural import default_and_prune, default_and_prune_in_place, prune
from pykro.jsontypes import copy_json

ROOT_META = ("apiVersion", "kind", "metadata")

NAMES = ["a", "b", "metadata", "kind", "x"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from(["s", ""]))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(NAMES), inner, max_size=3)
    ),
    max_leaves=10,
)


def _schema(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    obj = st.fixed_dictionaries(
        {
            "type": st.just("object"),
            "properties": st.dictionaries(st.sampled_from(NAMES), children, max_size=3),
        },
        optional={
            "default": st.dictionaries(st.sampled_from(NAMES), values, max_size=3),
            "nullable": st.booleans(),
            "x-kubernetes-embedded-resource": st.booleans(),
            "x-kubernetes-preserve-unknown-fields": st.booleans(),
            "additionalProperties": children,
        },
    )
    array = st.fixed_dictionaries(
        {"type": st.just("array"), "items": children},
        optional={"default": st.lists(values, max_size=2), "nullable": st.booleans()},
    )
    return st.one_of(obj, array)


leaf = st.fixed_dictionaries(
    {"type": st.just("string")}, optional={"default": values, "nullable": st.booleans()}
)
schemas = st.recursive(leaf, _schema, max_leaves=8).map(
    lambda s: {"type": "object", "properties": {"spec": s, "status": s}}
)
objects = st.dictionaries(
    st.sampled_from(["spec", "status", "metadata", "kind", "other"]), values, max_size=4
)


def defaulted(value: Any, schema: dict[str, Any]) -> None:
    """Defaults applied top-down in place, nothing pruned."""
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for name, sub in props.items():
            if "default" in sub and (name not in value or (value[name] is None and not sub.get("nullable"))):
                value[name] = copy_json(sub["default"])
        for name, child in value.items():
            sub = props.get(name, schema.get("additionalProperties"))
            if sub is not None:
                defaulted(child, sub)
    elif isinstance(value, list) and "items" in schema:
        items = schema["items"]
        for i, item in enumerate(value):
            if item is None and "default" in items and not items.get("nullable"):
                value[i] = copy_json(items["default"])
            defaulted(value[i], items)


def by_definition(obj: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    pruned = prune(obj, schema)
    defaulted(pruned, schema)
    return prune(pruned, schema)


@given(objects, schemas)
@example(
    {"spec": {}},
    {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"a": {"type": "object", "properties": {}, "default": {"x": 1, "a": None}}},
            }
        },
    },
)
@example(
    {"spec": {}},
    {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "x-kubernetes-embedded-resource": True,
                "properties": {"metadata": {"type": "object", "properties": {}, "default": {"x": 1}}},
            }
        },
    },
)
@example(
    {},
    {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "default": {},
                "x-kubernetes-embedded-resource": True,
                "properties": {
                    "metadata": {
                        "type": "object",
                        "default": {},
                        "properties": {"a": {"type": "string", "default": {"a": None}}},
                    }
                },
            }
        },
    },
)
def test_default_and_prune_is_its_definition(obj: dict[str, Any], schema: dict[str, Any]) -> None:
    admitted = default_and_prune(obj, schema)
    assert json.dumps(admitted) == json.dumps(by_definition(obj, schema))
    in_place = copy_json(obj)
    default_and_prune_in_place(in_place, schema)
    assert json.dumps(in_place) == json.dumps(admitted)
