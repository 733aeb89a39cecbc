"""The Chainsaw runner end to end, over HTTP, against a small fake API server."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from pykro.testing.backend import ExistingCluster
from pykro.testing.chainsaw import load_suite, run_suite, summary
from pykro.testing.model import load_test
from pykro.testing.runner import RunOptions, TestResult, run_tests
from pykro.testing.skips import Skips
from tests.testing.fake_apiserver import serve

DATA = Path(__file__).parent / "data"
FAST = RunOptions(max_sleep=0.05, poll_interval=0.05)


async def _run(tmp_path: Path, name: str, options: RunOptions = FAST) -> tuple[TestResult, list[str], dict]:  # type: ignore[type-arg]
    lines: list[str] = []
    async with serve(tmp_path) as (fake, kubeconfig):
        [result] = await run_tests(kubeconfig, [load_test(DATA / name)], options, lines.append)
        return result, lines, dict(fake.objects)


async def test_basic_scenario_passes_and_cleans_up(tmp_path: Path) -> None:
    result, lines, left = await _run(tmp_path, "basic")
    assert result.status == "passed", "\n".join(lines)
    assert [s.name for s in result.steps] == ["apply-and-assert", "update", "errors", "wait", "delete"]
    assert result.namespace is not None and result.namespace.startswith("chainsaw-")
    assert lines[0] == f"RUN  basic (namespace {result.namespace})"
    assert lines[-1].startswith("PASS basic (")
    # Everything the test created is gone: ConfigMaps, the cluster-scoped Namespace, the test namespace.
    assert left == {}


async def test_failing_assert_reports_the_diff_and_stops(tmp_path: Path) -> None:
    result, lines, left = await _run(tmp_path, "failing")
    assert result.status == "failed"
    assert [(s.name, s.status) for s in result.steps] == [("mismatch", "failed")]
    [message] = result.steps[0].messages
    assert (
        message.startswith("assert (inline resource) [spec.steps[0].try[1]]")
        or "spec.steps[0].try[1]" in message
    )
    assert "ConfigMap 'left'" in message and "does not match" in message
    assert 'data.color: expected "blue", found "red"' in message and "after 1.0s" in message
    assert any(line.startswith("  FAIL step mismatch") for line in lines)
    assert lines[-1].startswith("FAIL failing (")
    assert left == {}  # cleanup ran despite the failure


async def test_timeout_override_from_options(tmp_path: Path) -> None:
    test = load_test(DATA / "failing")
    assert test.timeouts.assert_ == 1.0  # the test's own value wins over the option default
    result, _lines, _ = await _run(tmp_path, "failing", RunOptions(max_sleep=0.0, poll_interval=0.05))
    assert "after 1.0s" in result.steps[0].messages[0]


async def test_step_and_test_skips_state_their_reason(tmp_path: Path) -> None:
    skips = Skips({"basic/update": "updates are tested elsewhere", "basic/errors": "depends on update"})
    result, lines, _ = await _run(
        tmp_path, "basic", RunOptions(max_sleep=0.0, poll_interval=0.05, skips=skips)
    )
    assert result.status == "passed"
    assert "  SKIP step update: updates are tested elsewhere" in lines
    assert [s.status for s in result.steps] == ["passed", "skipped", "skipped", "passed", "passed"]

    whole = RunOptions(skips=Skips({"basic": "not today"}))
    result, lines, _ = await _run(tmp_path, "basic", whole)
    assert (result.status, lines) == ("skipped", ["SKIP basic: not today"])


async def test_rejected_apply_fails_with_server_message(tmp_path: Path) -> None:
    folder = tmp_path / "invalid"
    folder.mkdir()
    (folder / "chainsaw-test.yaml").write_text(
        "apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: invalid}\nspec:\n  steps:\n"
        "  - try:\n    - apply:\n        resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: x}, data: {invalid: 'true'}}\n"
        "    - apply:\n        file: missing.yaml\n"
    )
    lines: list[str] = []
    async with serve(tmp_path) as (_fake, kubeconfig):
        [result] = await run_tests(kubeconfig, [load_test(folder)], FAST, lines.append)
    assert result.status == "failed" and result.steps[0].name == "step-1"
    [message] = result.steps[0].messages
    assert (
        "creating ConfigMap 'x'" in message
        and "422 Invalid" in message
        and "data.invalid: Forbidden" in message
    )


async def test_unknown_kind_fails_assert_and_passes_error(tmp_path: Path) -> None:
    folder = tmp_path / "unknown"
    folder.mkdir()
    (folder / "chainsaw-test.yaml").write_text(
        "apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: unknown}\nspec:\n  steps:\n"
        "  - name: error-passes\n    try:\n    - error:\n        resource: {apiVersion: kro.run/v1alpha1, kind: Nope, metadata: {name: x}}\n"
        "  - name: assert-fails\n    try:\n    - assert:\n        timeout: 200ms\n"
        "        resource: {apiVersion: kro.run/v1alpha1, kind: Nope, metadata: {name: x}}\n"
    )
    lines: list[str] = []
    async with serve(tmp_path) as (_fake, kubeconfig):
        [result] = await run_tests(kubeconfig, [load_test(folder)], FAST, lines.append)
    assert [s.status for s in result.steps] == ["passed", "failed"]
    assert "does not serve kind Nope" in result.steps[1].messages[0]


async def test_run_suite_with_existing_cluster_backend(tmp_path: Path) -> None:
    async with serve(tmp_path) as (_fake, kubeconfig):
        results = await run_suite(
            ExistingCluster(kubeconfig), load_suite([DATA / "basic", DATA / "failing"]), FAST
        )
    assert [(r.id, r.status) for r in results] == [("basic", "passed"), ("failing", "failed")]
    assert summary(results) == "1 passed, 1 failed"


async def _cli(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pykro.testing.chainsaw", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_cli_runs_and_prints_summary(tmp_path: Path) -> None:
    skip_file = tmp_path / "skips.yaml"
    skip_file.write_text("failing: demonstrates a failure\n")
    async with serve(tmp_path) as (_fake, kubeconfig):
        code, out, err = await _cli(
            str(DATA / "basic"), str(DATA / "failing"), "--kubeconfig", str(kubeconfig),
            "--skip-file", str(skip_file), "--max-sleep", "0s",
        )  # fmt: skip
        assert (code, err) == (0, ""), out
        assert out.splitlines()[-1] == "1 passed, 0 failed, 1 skipped"
        assert "SKIP failing: demonstrates a failure" in out

        code, out, _ = await _cli(str(DATA / "failing"), "--kubeconfig", str(kubeconfig), "--timeout", "1s")
        assert code == 1 and out.splitlines()[-1] == "0 passed, 1 failed"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["/nonexistent/dir"], "/nonexistent/dir: no such directory"),
        ([str(DATA / "malformed")], "malformed/chainsaw-test.yaml:11:1: invalid YAML"),
        ([str(DATA / "basic"), "--timeout", "soon"], "--timeout: invalid duration"),
        ([str(DATA / "basic"), "--kubeconfig", "/nonexistent/kubeconfig"], "kubeconfig not found"),
    ],
)
async def test_cli_user_errors_are_clean(args: list[str], expected: str) -> None:
    code, out, err = await _cli(*args)
    assert code == 2 and "Traceback" not in err + out
    assert err.startswith("error: ") and expected in err


async def test_delete_waits_for_finalizers_and_cleanup_failures_fail_the_test(tmp_path: Path) -> None:
    folder = tmp_path / "stuck"
    folder.mkdir()
    (folder / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stuck, finalizers: [example.com/hold]}\n"
    )
    (folder / "chainsaw-test.yaml").write_text(
        "apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: stuck}\nspec:\n"
        "  timeouts: {cleanup: 200ms}\n  steps:\n"
        "  - name: create\n    try:\n    - apply: {file: cm.yaml}\n"
        "  - name: delete\n    try:\n    - delete: {file: cm.yaml, timeout: 200ms}\n"
    )
    lines: list[str] = []
    async with serve(tmp_path) as (fake, kubeconfig):
        [result] = await run_tests(kubeconfig, [load_test(folder)], FAST, lines.append)
        [(key, obj)] = [(k, v) for k, v in fake.objects.items() if k[0] == "configmaps"]
    assert key[2] == "stuck" and obj["metadata"]["deletionTimestamp"]
    assert [(s.name, s.status) for s in result.steps] == [("create", "passed"), ("delete", "failed")]
    assert "still present 0.2s after deletion: ConfigMap 'stuck'" in result.steps[1].messages[0]
    [cleanup] = result.messages
    assert cleanup.startswith("cleanup of ConfigMap 'stuck'") and "still present" in cleanup
    assert any(line.startswith("  FAIL cleanup of ConfigMap 'stuck'") for line in lines)


async def test_file_patterns_and_bad_resource_files(tmp_path: Path) -> None:
    folder = tmp_path / "globbed"
    (folder / "manifests").mkdir(parents=True)
    for name in ("a", "b"):
        (folder / "manifests" / f"{name}.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\n"
        )
    (folder / "broken.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n")
    (folder / "chainsaw-test.yaml").write_text(
        "apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: globbed}\nspec:\n  steps:\n"
        "  - name: pattern\n    try:\n    - apply: {file: 'manifests/*.yaml'}\n    - assert: {file: 'manifests/*.yaml'}\n"
        "    - assert: {resource: {apiVersion: v1, kind: ConfigMap, (length(@) > `0`): true}}\n"
        "  - name: broken\n    try:\n    - apply: {file: broken.yaml}\n"
    )
    lines: list[str] = []
    async with serve(tmp_path) as (fake, kubeconfig):
        [result] = await run_tests(kubeconfig, [load_test(folder)], FAST, lines.append)
        assert not fake.objects
    assert [(s.name, s.status) for s in result.steps] == [("pattern", "passed"), ("broken", "failed")]
    [message] = result.steps[1].messages
    assert (
        "apply broken.yaml [spec.steps[1].try[0]]" in message and "broken.yaml:4:1: invalid YAML" in message
    )
