"""The Chainsaw runner end to end against pykro's embedded API server.

One server serves the whole module (starting one per test would dominate the run time); tests stay
independent because the runner gives every test its own namespace, and each test checks that what
it created is gone afterwards. Cluster-scoped objects the scenarios create (a Namespace, a CRD) are
deleted by the runner's cleanup before the next test runs.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import yaml

from pykro.apiserver import EmbeddedAPIServer
from pykro.kube.client import KubeClient
from pykro.kube.errors import NotFound
from pykro.schema.gvk import GVK
from pykro.testing.backend import ExistingCluster
from pykro.testing.chainsaw import load_suite, run_suite, summary
from pykro.testing.model import load_test
from pykro.testing.runner import RunOptions, TestResult, run_tests
from pykro.testing.skips import Skips
from tests.paths import KRO_E2E

pytestmark = pytest.mark.asyncio(loop_scope="module")

DATA = Path(__file__).parent / "data"
FAST = RunOptions(max_sleep=0.05, poll_interval=0.05)
CONFIGMAP = GVK("", "v1", "ConfigMap")
NAMESPACE = GVK("", "v1", "Namespace")
CRD = GVK("apiextensions.k8s.io", "v1", "CustomResourceDefinition")
HEADER = "apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: %s}\nspec:\n"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server() -> AsyncIterator[EmbeddedAPIServer]:
    async with EmbeddedAPIServer(data_dir=None, port=0) as api:
        yield api


@pytest_asyncio.fixture(loop_scope="module")
async def kube(server: EmbeddedAPIServer) -> AsyncIterator[KubeClient]:
    async with KubeClient.from_kubeconfig(str(server.kubeconfig_path)) as client:
        yield client


async def _run(
    server: EmbeddedAPIServer, folder: Path, options: RunOptions = FAST
) -> tuple[TestResult, list[str]]:
    lines: list[str] = []
    [result] = await run_tests(server.kubeconfig_path, [load_test(folder)], options, lines.append)
    return result, lines


async def _exists(kube: KubeClient, gvk: GVK, name: str, namespace: str | None = None) -> bool:
    try:
        await kube.get(gvk, name, namespace=namespace)
    except NotFound:
        return False
    return True


async def _leftovers(kube: KubeClient, namespace: str) -> list[str]:
    """What of a finished test is still in the cluster: its namespace and the objects in it."""
    left = [f"namespace {namespace}"] if await _exists(kube, NAMESPACE, namespace) else []
    configmaps = (await kube.list_all(CONFIGMAP, namespace=namespace)).items
    return left + [f"ConfigMap {cm['metadata']['name']}" for cm in configmaps]


def _scenario(tmp_path: Path, name: str, body: str, files: dict[str, str] | None = None) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for file, text in (files or {}).items():
        (folder / file).parent.mkdir(parents=True, exist_ok=True)
        (folder / file).write_text(text)
    (folder / "chainsaw-test.yaml").write_text(HEADER % name + body)
    return folder


async def test_basic_scenario_passes_and_cleans_up(server: EmbeddedAPIServer, kube: KubeClient) -> None:
    result, lines = await _run(server, DATA / "basic")
    assert result.status == "passed", "\n".join(lines)
    assert [s.name for s in result.steps] == ["apply-and-assert", "update", "errors", "wait", "delete"]
    assert result.namespace is not None and result.namespace.startswith("chainsaw-")
    assert lines[0] == f"RUN  basic (namespace {result.namespace})"
    assert lines[-1].startswith("PASS basic (")
    # Everything the test created is gone: ConfigMaps, the Widget and its CRD, the extra Namespace,
    # and the test namespace itself.
    assert await _leftovers(kube, result.namespace) == []
    assert not await _exists(kube, NAMESPACE, "chainsaw-runner-extra")
    assert not await _exists(kube, CRD, "widgets.runner.pykro.test")


async def test_failing_assert_reports_the_diff_and_stops(server: EmbeddedAPIServer, kube: KubeClient) -> None:
    result, lines = await _run(server, DATA / "failing")
    assert result.status == "failed"
    assert [(s.name, s.status) for s in result.steps] == [("mismatch", "failed")]
    [message] = result.steps[0].messages
    assert message.startswith("assert (inline resource) [spec.steps[0].try[1]]") or (
        "spec.steps[0].try[1]" in message
    )
    assert f"ConfigMap 'left' in namespace {result.namespace} does not match" in message
    assert 'data.color: expected "blue", found "red"' in message and "after 1.0s" in message
    assert any(line.startswith("  FAIL step mismatch") for line in lines)
    assert lines[-1].startswith("FAIL failing (")
    assert result.namespace is not None
    assert await _leftovers(kube, result.namespace) == []  # cleanup ran despite the failure


async def test_timeout_override_from_options(server: EmbeddedAPIServer) -> None:
    test = load_test(DATA / "failing")
    assert test.timeouts.assert_ == 1.0  # the test's own value wins over the option default
    result, _lines = await _run(server, DATA / "failing", RunOptions(max_sleep=0.0, poll_interval=0.05))
    assert "after 1.0s" in result.steps[0].messages[0]


async def test_step_and_test_skips_state_their_reason(server: EmbeddedAPIServer) -> None:
    skips = Skips({"basic/update": "updates are tested elsewhere", "basic/errors": "depends on update"})
    result, lines = await _run(
        server, DATA / "basic", RunOptions(max_sleep=0.0, poll_interval=0.05, skips=skips)
    )
    assert result.status == "passed", "\n".join(lines)
    assert "  SKIP step update: updates are tested elsewhere" in lines
    assert [s.status for s in result.steps] == ["passed", "skipped", "skipped", "passed", "passed"]

    whole = RunOptions(skips=Skips({"basic": "not today"}))
    result, lines = await _run(server, DATA / "basic", whole)
    assert (result.status, lines) == ("skipped", ["SKIP basic: not today"])


@pytest.mark.parametrize(
    ("resource", "name", "cause"),
    [
        pytest.param(
            "{apiVersion: v1, kind: ConfigMap, metadata: {name: Bad_Name}}",
            "Bad_Name",
            'metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain',
            id="invalid-name",
        ),
        pytest.param(
            "{apiVersion: v1, kind: ConfigMap, metadata: {name: x}, data: {'bad key!': v}}",
            "x",
            'data[bad key!]: Invalid value: "bad key!"',
            id="invalid-data-key",
        ),
    ],
)
async def test_rejected_apply_fails_with_server_message(
    server: EmbeddedAPIServer, kube: KubeClient, tmp_path: Path, resource: str, name: str, cause: str
) -> None:
    folder = _scenario(
        tmp_path,
        "invalid",
        f"  steps:\n  - try:\n    - apply:\n        resource: {resource}\n"
        "    - apply:\n        file: missing.yaml\n",
    )
    result, _lines = await _run(server, folder)
    assert result.namespace is not None
    try:
        assert result.status == "failed" and result.steps[0].name == "step-1"
        [message] = result.steps[0].messages
        assert f"creating ConfigMap '{name}' in namespace {result.namespace} failed" in message
        assert "422 Invalid" in message and cause in message
        assert "missing.yaml" not in message  # the step stopped at the first failure
    finally:
        assert await _leftovers(kube, result.namespace) == []


async def test_unknown_kind_fails_assert_and_passes_error(server: EmbeddedAPIServer, tmp_path: Path) -> None:
    nope = "{apiVersion: kro.run/v1alpha1, kind: Nope, metadata: {name: x}}"
    folder = _scenario(
        tmp_path,
        "unknown",
        "  steps:\n"
        f"  - name: error-passes\n    try:\n    - error:\n        resource: {nope}\n"
        "    - error:\n        resource: {apiVersion: v1, kind: Nope, metadata: {name: x}}\n"
        "  - name: assert-fails\n    try:\n    - assert:\n"
        f"        timeout: 200ms\n        resource: {nope}\n",
    )
    result, _lines = await _run(server, folder)
    assert [s.status for s in result.steps] == ["passed", "failed"]
    assert "the cluster does not serve kind Nope in kro.run/v1alpha1" in result.steps[1].messages[0]


async def test_run_suite_with_existing_cluster_backend(server: EmbeddedAPIServer) -> None:
    results = await run_suite(
        ExistingCluster(server.kubeconfig_path), load_suite([DATA / "basic", DATA / "failing"]), FAST
    )
    assert [(r.id, r.status) for r in results] == [("basic", "passed"), ("failing", "failed")]
    assert summary(results) == "1 passed, 1 failed"


async def test_delete_waits_for_finalizers_and_cleanup_failures_fail_the_test(
    server: EmbeddedAPIServer, kube: KubeClient, tmp_path: Path
) -> None:
    finalizer = "example.com/hold"
    folder = _scenario(
        tmp_path,
        "stuck",
        "  timeouts: {cleanup: 200ms}\n  steps:\n"
        "  - name: create\n    try:\n    - apply: {file: cm.yaml}\n"
        "  - name: delete\n    try:\n    - delete: {file: cm.yaml, timeout: 200ms}\n",
        {
            "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: "
            f"{{name: stuck, finalizers: [{finalizer}]}}\n"
        },
    )
    result, lines = await _run(server, folder)
    assert [(s.name, s.status) for s in result.steps] == [("create", "passed"), ("delete", "failed")]
    assert "still present 0.2s after deletion: ConfigMap 'stuck'" in result.steps[1].messages[0]
    [cleanup] = result.messages
    assert cleanup.startswith("cleanup of ConfigMap 'stuck'") and "still present" in cleanup
    assert any(line.startswith("  FAIL cleanup of ConfigMap 'stuck'") for line in lines)
    assert result.status == "failed"

    # The finalizer really held the object: it is marked for deletion, and so is its namespace.
    namespace = result.namespace
    assert namespace is not None
    stuck = await kube.get(CONFIGMAP, "stuck", namespace=namespace)
    assert stuck["metadata"]["deletionTimestamp"] and stuck["metadata"]["finalizers"] == [finalizer]
    assert (await kube.get(NAMESPACE, namespace))["metadata"].get("deletionTimestamp")
    # Releasing the finalizer lets both go, leaving nothing behind for the next test.
    await kube.remove_finalizer(CONFIGMAP, "stuck", finalizer, namespace=namespace)
    deadline = asyncio.get_running_loop().time() + 30  # a hang guard, not a speed requirement
    while await _leftovers(kube, namespace) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    assert await _leftovers(kube, namespace) == []


async def test_file_patterns_and_bad_resource_files(
    server: EmbeddedAPIServer, kube: KubeClient, tmp_path: Path
) -> None:
    files = {
        f"manifests/{n}.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {n}}}\n" for n in "ab"
    }
    files["broken.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n"
    folder = _scenario(
        tmp_path,
        "globbed",
        "  steps:\n"
        "  - name: pattern\n    try:\n    - apply: {file: 'manifests/*.yaml'}\n    - assert: {file: "
        "'manifests/*.yaml'}\n"
        "    - assert: {resource: {apiVersion: v1, kind: ConfigMap, (length(@) > `0`): true}}\n"
        "  - name: broken\n    try:\n    - apply: {file: broken.yaml}\n"
        "  - name: never-run\n    try:\n    - apply: {file: 'nothing/*.yaml'}\n",
        files,
    )
    result, _lines = await _run(server, folder)
    assert [(s.name, s.status) for s in result.steps] == [("pattern", "passed"), ("broken", "failed")]
    [message] = result.steps[1].messages
    assert (
        "apply broken.yaml [spec.steps[1].try[0]]" in message and "broken.yaml:4:1: invalid YAML" in message
    )
    assert result.namespace is not None
    assert await _leftovers(kube, result.namespace) == []


async def test_pattern_matching_no_file_fails_the_step(server: EmbeddedAPIServer, tmp_path: Path) -> None:
    folder = _scenario(
        tmp_path, "nomatch", "  steps:\n  - name: empty\n    try:\n    - apply: {file: 'nothing/*.yaml'}\n"
    )
    result, _lines = await _run(server, folder)
    assert [(s.name, s.status) for s in result.steps] == [("empty", "failed")]
    assert "nothing/*.yaml: no file matches this pattern" in result.steps[0].messages[0]


async def _cli(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pykro.testing.chainsaw", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_cli_runs_and_prints_summary(server: EmbeddedAPIServer, tmp_path: Path) -> None:
    kubeconfig = str(server.kubeconfig_path)
    skip_file = tmp_path / "skips.yaml"
    skip_file.write_text("failing: demonstrates a failure\n")
    code, out, err = await _cli(
        str(DATA / "basic"), str(DATA / "failing"), "--kubeconfig", kubeconfig,
        "--skip-file", str(skip_file), "--max-sleep", "0s",
    )  # fmt: skip
    assert (code, err) == (0, ""), out
    assert out.splitlines()[-1] == "1 passed, 0 failed, 1 skipped"
    assert "SKIP failing: demonstrates a failure" in out

    code, out, _ = await _cli(str(DATA / "failing"), "--kubeconfig", kubeconfig, "--timeout", "1s")
    assert code == 1 and out.splitlines()[-1] == "0 passed, 1 failed"
    assert 'data.color: expected "blue", found "red"' in out


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


UPSTREAM = KRO_E2E


@pytest.mark.skipif(not UPSTREAM.is_dir(), reason="upstream kro e2e scenarios not present")
async def test_upstream_instance_crd_asserts_match_what_the_server_serves(
    server: EmbeddedAPIServer, kube: KubeClient, tmp_path: Path
) -> None:
    """Each upstream `instancecrd-assert.yaml` (exact `NamesAccepted` then `Established` conditions,
    `generation: 1`, defaulted `conversion`, `storedVersions`) passes against a CRD created from its
    own spec: once the controller writes that CRD, these asserts hinge on the controller alone."""
    asserts = sorted(UPSTREAM.glob("*/instancecrd-assert.yaml"))
    assert asserts
    for path in asserts:
        expected = yaml.safe_load(path.read_text())
        crd = {"apiVersion": expected["apiVersion"], "kind": expected["kind"], "spec": expected["spec"]}
        crd["metadata"] = {"name": expected["metadata"]["name"]}
        folder = _scenario(
            tmp_path,
            path.parent.name,
            "  steps:\n  - name: crd\n    try:\n    - apply: {file: crd.yaml}\n    - assert: {file: "
            "assert.yaml}\n",
            {"crd.yaml": yaml.safe_dump(crd), "assert.yaml": path.read_text()},
        )
        result, lines = await _run(server, folder)
        assert result.status == "passed", "\n".join(lines)
        assert not await _exists(kube, CRD, crd["metadata"]["name"])  # cleaned up for the next test
