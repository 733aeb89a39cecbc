"""Random bodies through apply and update tracking: a result or a clean error, never a crash."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pykro.apiserver.registry.apply import ApplyConflict, ApplyError, server_side_apply, update_managed_fields
from tests.apiserver.test_strategicmerge import DEPLOYMENT

KEYS = [
    "name",
    "image",
    "replicas",
    "containers",
    "template",
    "spec",
    "metadata",
    "labels",
    "finalizers",
    "selector",
    "matchLabels",
    "ports",
    "containerPort",
    "args",
    "x",
]
values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from(["a", "main", ""])),
    lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(st.sampled_from(KEYS), c, max_size=4)),
    max_leaves=15,
)
bodies = st.builds(
    lambda spec, meta: {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", **meta},
        "spec": spec,
    },
    values,
    st.dictionaries(st.sampled_from(["labels", "finalizers", "annotations"]), values, max_size=2),
)


def attempt(
    live: dict[str, Any] | None, body: dict[str, Any], manager: str, force: bool
) -> dict[str, Any] | None:
    try:
        return server_side_apply(live, body, manager=manager, force=force, schema=DEPLOYMENT, now="t").obj
    except (ApplyError, ApplyConflict) as err:
        assert str(err)
        return None


@settings(max_examples=300, deadline=None)
@given(a=bodies, b=bodies, force=st.booleans())
def test_random_bodies(a: dict[str, Any], b: dict[str, Any], force: bool) -> None:
    live = attempt(None, a, "m1", False)
    after = attempt(live, b, "m2", force)
    if after is not None:
        again = server_side_apply(after, b, manager="m2", force=force, schema=DEPLOYMENT, now="t2")
        assert not again.changed
    try:
        update_managed_fields(live, b, "editor", schema=DEPLOYMENT, now="t3")
    except ApplyError as err:
        assert str(err)
