"""FrozenDict/freeze/thaw and GVK."""

from __future__ import annotations

import pytest

from pykro.api.frozen import FrozenDict, freeze, thaw
from pykro.schema.gvk import GVK


def test_freeze_thaw_round_trip() -> None:
    data = {"a": [1, {"b": [2, 3]}], "c": {"d": None}}
    frozen = freeze(data)
    assert isinstance(frozen, FrozenDict) and isinstance(frozen["a"], tuple)
    assert frozen == freeze(data) and thaw(frozen) == data
    assert hash(frozen) == hash(freeze(thaw(frozen)))
    thawed = thaw(frozen)
    thawed["a"][1]["b"].append(4)
    assert frozen["a"][1]["b"] == (2, 3)


def test_frozen_dict_is_read_only() -> None:
    frozen = FrozenDict({"a": 1})
    with pytest.raises(TypeError):
        frozen["a"] = 2  # type: ignore[index]
    assert list(frozen) == ["a"] and len(frozen) == 1


@pytest.mark.parametrize(
    ("api_version", "kind", "group", "version"),
    [
        ("v1", "Pod", "", "v1"),
        ("apps/v1", "Deployment", "apps", "v1"),
        ("kro.run/v1alpha1", "WebApp", "kro.run", "v1alpha1"),
    ],
)
def test_gvk_round_trip(api_version: str, kind: str, group: str, version: str) -> None:
    gvk = GVK.from_api_version(api_version, kind)
    assert (gvk.group, gvk.version, gvk.kind) == (group, version, kind)
    assert gvk.api_version == api_version
    assert gvk == GVK(group, version, kind) and len({gvk, GVK(group, version, kind)}) == 1
