"""`pykro run`: the controller as a process against a cluster (here, the embedded server)."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pykro.cli.main import cli
from pykro.controller.manager import ManagerOptions
from tests.controller.rgd.helpers import cluster, simple_rgd, wait_for

PYKRO = [sys.executable, "-m", "pykro.cli.main"]


async def test_run_serves_rgds_and_stops_cleanly_on_sigterm() -> None:
    async with cluster(controller=False) as env:
        proc = await asyncio.create_subprocess_exec(
            *PYKRO,
            "run",
            "--kubeconfig",
            str(env.kubeconfig),
            "--metrics-bind-address",
            "127.0.0.1:0",
            "--health-probe-bind-address",
            "0",
            "--log-format",
            "json",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            # The process installs the RGD CRD first; creating before that is a NotFound, retried.
            await wait_for(
                lambda: env.client.create(simple_rgd()), timeout=30, what="the RGD kind to be served"
            )
            await env.wait_active("app-config", timeout=30)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 30)
        log = err.decode()
        assert proc.returncode == 0, log
        assert "Traceback" not in log
        assert '"msg": "controller started against https://127.0.0.1:' in log
        assert '"msg": "serving metrics on http://127.0.0.1:' in log


def test_bad_flags_are_reported_without_traceback(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["run", "--metrics-bind-address", "nope"], standalone_mode=False)
    assert "--metrics-bind-address must look like HOST:PORT" in str(result.exception)
    missing = tmp_path / "nope.yaml"
    result = runner.invoke(cli, ["run", "--kubeconfig", str(missing)], standalone_mode=False)
    assert f"{missing}: kubeconfig not found" in str(result.exception)


async def test_cli_exits_1_with_one_line_error(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        *PYKRO,
        "run",
        "--kubeconfig",
        str(tmp_path / "missing"),
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode == 1
    assert err.decode() == f"error: {tmp_path / 'missing'}: --kubeconfig: file not found\n"


def test_graph_revision_flags_reach_the_manager(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import pykro.cli.run as run

    seen: list[ManagerOptions] = []

    async def capture(config: object, options: ManagerOptions) -> None:
        seen.append(options)

    monkeypatch.setattr(run, "_run", capture)
    monkeypatch.setattr(run, "client_config", lambda *args: None)
    result = CliRunner().invoke(
        cli,
        [
            "run",
            "--rgd-max-graph-revisions",
            "9",
            "--rgd-progress-requeue-delay",
            "0.5",
            "--graph-revision-workers",
            "2",
        ],
        standalone_mode=False,
    )
    assert result.exception is None, result.output
    (options,) = seen
    assert (options.max_graph_revisions, options.progress_requeue_delay, options.graph_revision_workers) == (
        9,
        0.5,
        2,
    )
    bad = CliRunner().invoke(cli, ["run", "--rgd-max-graph-revisions", "0"], standalone_mode=False)
    assert "0 is not in the range x>=1" in str(bad.exception)
