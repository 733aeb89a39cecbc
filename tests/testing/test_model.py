"""Parsing Chainsaw Test files, including every upstream kro scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from pykro.errors import PykroError
from pykro.testing.chainsaw import load_suite
from pykro.testing.model import (
    Apply,
    Assert,
    Delete,
    Diagnostic,
    Sleep,
    Unsupported,
    Wait,
    discover,
    load_test,
    parse_duration,
    parse_test,
)
from tests.paths import KRO_E2E

E2E = KRO_E2E
UPSTREAM = sorted(p.parent for p in E2E.glob("*/chainsaw-test.yaml"))


@pytest.mark.parametrize("folder", UPSTREAM, ids=lambda p: p.name)
def test_every_upstream_test_parses_and_references_existing_files(folder: Path) -> None:
    test = load_test(folder)
    assert test.steps and test.folder == folder
    for step in test.steps:
        assert step.try_, step.name
        for op in step.try_:
            assert not isinstance(op, Unsupported), op
            if isinstance(op, Apply | Assert | Delete) and op.file:
                assert (folder / op.file).is_file(), op.file


def test_upstream_suite_loads_with_unique_ids() -> None:
    tests = load_suite([E2E])
    assert len(tests) == len(UPSTREAM) >= 11
    assert len({t.id for t in tests}) == len(tests)


def test_upstream_operation_details() -> None:
    deletion = load_test(E2E / "check-rgd-deletion")
    delete = deletion.steps[1].try_[0]
    assert isinstance(delete, Delete) and delete.ref is not None
    assert delete.ref["kind"] == "ResourceGraphDefinition"
    finally_sleep = deletion.steps[1].finally_[0]
    assert isinstance(finally_sleep, Sleep) and finally_sleep.duration == 20.0
    assert isinstance(deletion.steps[1].catch[0], Diagnostic)

    wait = load_test(E2E / "cel-random-namespaced-function").steps[1].try_[1]
    assert isinstance(wait, Wait) and wait.timeout == 120.0
    assert wait.target["namespace"] == "($namespace)" and "jsonPath" in wait.condition

    markers = load_test(E2E / "check-validation-markers")
    errors = [op for step in markers.steps for op in step.try_ if isinstance(op, Assert) and op.absent]
    assert [op.file for op in errors][:1] == ["invalid-instance-min-items.yaml"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5s", 5.0), ("2m", 120.0), ("1m30s", 90.0), ("500ms", 0.5), ("1h", 3600.0), ("0", 0.0)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text, where="x", source="f") == seconds


@pytest.mark.parametrize("text", ["5", "five", "5 s", "1x"])
def test_bad_duration(text: str) -> None:
    with pytest.raises(PykroError, match="invalid duration"):
        parse_duration(text, where="spec.timeouts.assert", source="t.yaml")


def _doc(steps: object) -> dict[str, object]:
    return {
        "apiVersion": "chainsaw.kyverno.io/v1alpha1",
        "kind": "Test",
        "metadata": {"name": "t"},
        "spec": {"steps": steps},
    }


@pytest.mark.parametrize(
    ("steps", "where", "why"),
    [
        ([{"try": [{"apply": {}}]}], "spec.steps[0].try[0].apply", "exactly one of 'file' or 'resource'"),
        (
            [{"try": [{"apply": {"file": "a"}, "assert": {"file": "b"}}]}],
            "spec.steps[0].try[0]",
            "exactly one action",
        ),
        ([{"try": [{"bogus": {}}]}], "spec.steps[0].try[0].bogus", "unknown operation"),
        (
            [{"try": [{"sleep": {"duration": "soon"}}]}],
            "spec.steps[0].try[0].sleep.duration",
            "invalid duration",
        ),
        (
            [{"try": [{"wait": {"apiVersion": "v1", "kind": "Pod", "for": {}}}]}],
            "spec.steps[0].try[0].wait.for",
            "exactly one",
        ),
        ([{"try": "apply"}], "spec.steps[0].try", "expected a list"),
        ([], "spec.steps", "at least one step"),
    ],
)
def test_malformed_tests_name_the_field(steps: object, where: str, why: str) -> None:
    with pytest.raises(PykroError) as info:
        parse_test(_doc(steps), Path("/x/t"))
    [problem] = info.value.problems
    assert problem.path == where and why in problem.message and problem.source.endswith("chainsaw-test.yaml")


def test_not_a_test_document() -> None:
    with pytest.raises(PykroError, match="not a Chainsaw Test"):
        parse_test({"apiVersion": "v1", "kind": "ConfigMap"}, Path("/x"))


def test_unsupported_operations_parse_but_are_marked(tmp_path: Path) -> None:
    test = parse_test(
        _doc([{"try": [{"script": {"content": "echo"}}, {"apply": {"file": "a", "expect": []}}]}]), tmp_path
    )
    assert [type(op) for op in test.steps[0].try_] == [Unsupported, Unsupported]


def test_discover_errors(tmp_path: Path) -> None:
    with pytest.raises(PykroError, match="no such directory"):
        discover([tmp_path / "missing"])
    with pytest.raises(PykroError, match="no chainsaw-test.yaml"):
        discover([tmp_path])


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "chainsaw-test.yaml").write_text("apiVersion: x\nspec: [\n")
    with pytest.raises(PykroError) as info:
        load_test(tmp_path)
    assert "chainsaw-test.yaml:" in info.value.problems[0].source
