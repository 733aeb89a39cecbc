"""`pykro up`: the embedded API server and the controller in one foreground process."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from pykro.kube import KubeClient, load_kubeconfig
from tests.controller.rgd.helpers import RGD, simple_rgd, wait_for

PYKRO = [sys.executable, "-m", "pykro.cli.main"]


@asynccontextmanager
async def pykro_up(*args: str) -> AsyncIterator[tuple[asyncio.subprocess.Process, Path]]:
    proc = await asyncio.create_subprocess_exec(
        *PYKRO,
        "up",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert first.startswith("export KUBECONFIG="), first
        yield proc, Path(first.strip().split("=", 1)[1])
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)


async def finish(proc: asyncio.subprocess.Process) -> tuple[str, str]:
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    return out.decode(), err.decode()


async def test_up_serves_a_cluster_with_the_controller_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    data = tmp_path / "state"
    async with pykro_up("--data-dir", str(data)) as (proc, kubeconfig):
        assert kubeconfig == (data / "kubeconfig").resolve()
        async with KubeClient(load_kubeconfig(kubeconfig)) as client:
            await client.create(simple_rgd())

            async def active() -> bool:
                return bool(
                    ((await client.get(RGD, "app-config")).get("status") or {}).get("state") == "Active"
                )

            await wait_for(active, timeout=20, what="the RGD to become Active")
        proc.send_signal(signal.SIGINT)
        out, err = await finish(proc)
    assert proc.returncode == 0, err
    assert "Traceback" not in err + out
    assert "pykro is up" in out and "kubectl apply -f examples/config-rollout/rgd.yaml" in out
    assert "shutting down" in out
    assert (data / "state.db").is_file()  # state persists for the next `pykro up`


async def test_up_demo_narrates_the_config_rollout(tmp_path: Path) -> None:
    async with pykro_up("--data-dir", str(tmp_path), "--demo") as (proc, _):
        assert proc.stdout is not None
        seen: list[str] = []

        async def milestone() -> bool:
            line = (await proc.stdout.readline()).decode()  # type: ignore[union-attr]
            seen.append(line)
            return "Deployment pod template now carries secret-version" in line

        await wait_for(milestone, timeout=40, what="the demo's rotation to reach the Deployment")
        proc.send_signal(signal.SIGINT)
        out, err = await finish(proc)
    text = "".join(seen) + out
    assert proc.returncode == 0, err
    assert "Traceback" not in text + err
    for step in (
        "applied ResourceGraphDefinition configrollout.kro.run",
        "CRD configrollouts.kro.run established",
        "RGD Active, topological order secret → config → deployment",
        "applied ConfigRollout default/demo",
        "Secret demo-credentials created",
        "ConfigMap demo-config created",
        "Deployment demo created",
        "rotated the password in the instance spec",
        "Secret updated (resourceVersion",
    ):
        assert step in text
