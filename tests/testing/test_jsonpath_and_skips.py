"""kubectl-JSONPath subset for `wait`, and the skip list."""

from __future__ import annotations

from pathlib import Path

import pytest

from pykro.errors import PykroError
from pykro.testing import jsonpath
from pykro.testing.skips import default_skips, load_skips, parse_skips

OBJ = {
    "metadata": {"name": "x", "labels": {"app.kubernetes.io/name": "demo"}},
    "status": {
        "replicas": 3,
        "ready": True,
        "conditions": [{"type": "Synced", "status": "False"}, {"type": "Ready", "status": "True"}],
    },
}


@pytest.mark.parametrize(
    ("path", "values"),
    [
        ("{.status.conditions[?(@.type=='Ready')].status}", ["True"]),
        ('{.status.conditions[?(@.type=="Synced")].status}', ["False"]),
        ("{.status.conditions[?(@.type!='Ready')].type}", ["Synced"]),
        ("{.status.conditions[*].type}", ["Synced", "Ready"]),
        ("{.status.conditions[0].type}", ["Synced"]),
        ("{.status.conditions[-1].type}", ["Ready"]),
        ("{.status.replicas}", [3]),
        (".status.missing", []),
        ("{.metadata.labels.app\\.kubernetes\\.io/name}", ["demo"]),
    ],
)
def test_find(path: str, values: list[object]) -> None:
    assert jsonpath.find(path, OBJ) == values


def test_render_matches_kubectl_text() -> None:
    assert [jsonpath.render(v) for v in (True, 3, "True", {"a": 1})] == ["true", "3", "True", '{"a":1}']


@pytest.mark.parametrize("path", ["status", "{.a[?(@.x~'y')]}", "{.a[1:2]}", "{.a[}"])
def test_unsupported_paths_are_clean_errors(path: str) -> None:
    with pytest.raises(PykroError, match="JSONPath"):
        jsonpath.find(path, {"a": [{"x": "y"}]})


def test_default_skips_state_a_reason_for_every_entry() -> None:
    skips = default_skips()
    assert all(reason.strip() for reason in skips.reasons.values())
    assert skips.for_test("check-rgd-creation") is None


def test_step_keys_and_merge(tmp_path: Path) -> None:
    path = tmp_path / "skips.yaml"
    path.write_text("t1/step-a: not yet\nt2: never\n")
    other = tmp_path / "more.yaml"
    other.write_text("t3: later\n")
    skips = load_skips(path).merged(load_skips(other))
    assert skips.for_step("t1", "step-a") == "not yet" and skips.for_step("t1", "step-b") is None
    assert (
        skips.for_test("t2") == "never" and skips.for_test("t3") == "later" and skips.for_test("t1") is None
    )


@pytest.mark.parametrize(
    ("text", "why"), [("a: ''", "non-empty reason"), ("a/b/c: r", "test-folder"), ("- a", "one mapping")]
)
def test_bad_skip_files(text: str, why: str) -> None:
    with pytest.raises(PykroError, match=why):
        parse_skips(text, "skips.yaml")
