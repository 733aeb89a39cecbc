"""The `EmbeddedServer` backend: it starts its own embedded API server (and controller hook) per suite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from pykro.testing.backend import EmbeddedServer
from pykro.testing.chainsaw import load_suite, run_suite, summary
from pykro.testing.runner import RunOptions

DATA = Path(__file__).parent / "data"


async def test_basic_and_failing_scenarios_with_controller_hook() -> None:
    started: list[Path] = []

    @asynccontextmanager
    async def controller(kubeconfig: Path) -> AsyncIterator[None]:
        started.append(kubeconfig)
        assert kubeconfig.is_file()
        yield

    backend = EmbeddedServer(start_controller=controller)
    tests = load_suite([DATA / "basic", DATA / "failing"])
    results = await run_suite(backend, tests, RunOptions(max_sleep=0.0, poll_interval=0.05))
    assert len(started) == 1
    assert [(r.id, r.status) for r in results] == [("basic", "passed"), ("failing", "failed")], [
        (r.id, [(s.name, s.messages) for s in r.steps], r.messages) for r in results
    ]
    assert 'data.color: expected "blue", found "red"' in results[1].steps[0].messages[0]
    assert summary(results) == "1 passed, 1 failed"


async def test_embedded_backend_installs_the_rgd_crd() -> None:
    from pykro.kube.client import KubeClient
    from pykro.schema.gvk import GVK

    async with (
        EmbeddedServer().session() as kubeconfig,
        KubeClient.from_kubeconfig(str(kubeconfig)) as client,
    ):
        resource = await client.resource(GVK("kro.run", "v1alpha1", "ResourceGraphDefinition"))
        assert (resource.plural, resource.namespaced) == ("resourcegraphdefinitions", False)


async def test_cli_without_kubeconfig_uses_the_embedded_server() -> None:
    import asyncio
    import sys

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pykro.testing.chainsaw", str(DATA / "basic"), "--max-sleep", "0s",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    lines = out.decode().splitlines()
    assert proc.returncode == 0, out.decode() + err.decode()
    assert lines[-1] == "1 passed, 0 failed"
    assert "PASS step delete" in "\n".join(lines)
