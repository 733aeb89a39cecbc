"""Breaking-change detection between instance CRD versions (spec §6.4)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pykro.api.rgd import parse_rgd
from pykro.controller.rgd.compat import breaking_changes, summarize
from pykro.schema.crd import rgd_instance_crd
from tests.controller.rgd.helpers import simple_rgd


def crd_for(spec: dict[str, Any]) -> dict[str, Any]:
    doc = simple_rgd()
    doc["spec"]["schema"]["spec"] = spec
    return rgd_instance_crd(parse_rgd(doc))


BASE = {"name": "string", "size": "integer | default=3 minimum=1 maximum=10", "tier": 'string | enum="a,b,c"'}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"name": None}, "Property spec.name was removed"),
        ({"size": "string"}, "Property spec.size type changed from integer to string"),
        ({"tier": 'string | enum="a,b"'}, "Property spec.tier enum values removed: c"),
        ({"name": "string | required=true"}, "Property spec.name became required"),
        ({"extra": "string | required=true"}, "Property spec.extra was added as required without a default"),
        ({"size": "integer | default=3 minimum=2 maximum=10"}, "Property spec.size minimum increased"),
        ({"size": "integer | default=3 minimum=1 maximum=9"}, "Property spec.size maximum decreased"),
        ({"name": 'string | pattern="^[a-z]+$"'}, "Property spec.name pattern added"),
    ],
)
def test_breaking_changes_are_named(change: dict[str, str | None], expected: str) -> None:
    new = {k: v for k, v in {**BASE, **change}.items() if v is not None}
    assert expected in breaking_changes(crd_for(BASE), crd_for(new))


@pytest.mark.parametrize(
    "change",
    [
        {"extra": "string"},
        {"extra": 'string | required=true default="x"'},
        {"tier": 'string | enum="a,b,c,d"'},
        {"size": "integer | default=4 minimum=0 maximum=20"},
        {"name": 'string | description="who"'},
    ],
)
def test_compatible_changes_pass(change: dict[str, str]) -> None:
    assert breaking_changes(crd_for(BASE), crd_for({**BASE, **change})) == []


def test_removed_version_and_status_subresource_are_breaking() -> None:
    old = crd_for(BASE)
    renamed = copy.deepcopy(old)
    renamed["spec"]["versions"][0]["name"] = "v2"
    assert breaking_changes(old, renamed) == ["Version v1alpha1 was removed"]
    no_status = copy.deepcopy(old)
    del no_status["spec"]["versions"][0]["subresources"]["status"]
    assert "Version v1alpha1 lost its status subresource" in breaking_changes(old, no_status)


def test_summary_names_three_and_counts_the_rest() -> None:
    assert summarize(["a", "b", "c", "d", "e"]) == "a; b; c; and 2 more changes"
    assert summarize(["a"]) == "a"


_fields = st.dictionaries(
    st.from_regex(r"[a-z][a-zA-Z]{0,6}", fullmatch=True),
    st.sampled_from(["string", "integer", "boolean", 'string | default="d"', "integer | minimum=1"]),
    min_size=1,
    max_size=5,
)


@given(_fields)
def test_a_schema_is_compatible_with_itself(fields: dict[str, str]) -> None:
    crd = crd_for(fields)
    assert breaking_changes(crd, copy.deepcopy(crd)) == []


@given(_fields, _fields)
def test_removing_any_field_is_breaking(old: dict[str, str], new: dict[str, str]) -> None:
    removed = set(old) - set(new)
    changes = breaking_changes(crd_for(old), crd_for(new))
    for name in removed:
        assert f"Property spec.{name} was removed" in changes
