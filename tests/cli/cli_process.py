"""Run `pykro` as a user does: a separate process (`python -m pykro.cli.main`) on this checkout's sources.
Also the example the CLI tests use most."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.paths import REPO

ROLLOUT = REPO / "examples/config-rollout"
ROLLOUT_RGD, ROLLOUT_INSTANCE = ROLLOUT / "rgd.yaml", ROLLOUT / "instance.yaml"


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run(
        [sys.executable, "-m", "pykro.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        cwd=REPO,
    )
