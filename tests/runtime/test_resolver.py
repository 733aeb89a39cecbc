import pytest

from pykro.cel.library import OMIT_KEY
from pykro.runtime.resolver import PathError, drop_omitted, render, set_at


def test_set_at_writes_nested_map_and_list_paths() -> None:
    doc = {"spec": {"containers": [{"name": "a", "image": "${x}"}], "replicas": "${r}"}}
    set_at(doc, ("spec", "containers", 0, "image"), "nginx")
    set_at(doc, ("spec", "replicas"), 3)
    assert doc == {"spec": {"containers": [{"name": "a", "image": "nginx"}], "replicas": 3}}


def test_set_at_rejects_paths_the_template_does_not_have() -> None:
    with pytest.raises(PathError, match=r"spec\.containers\[2\]"):
        set_at({"spec": {"containers": []}}, ("spec", "containers", 2, "image"), "x")


def test_drop_omitted_removes_keys_and_elements_holding_the_sentinel() -> None:
    omit = {OMIT_KEY: True}
    doc = {"a": omit, "b": [1, omit, {"c": omit, "d": 2}], "e": "keep"}
    assert drop_omitted(doc) == {"b": [1, {"d": 2}], "e": "keep"}


def test_render() -> None:
    assert (
        render(("spec", "template", "spec", "containers", 0, "image"))
        == "spec.template.spec.containers[0].image"
    )
