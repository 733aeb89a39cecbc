"""Upstream kro's Chainsaw e2e scenarios (../shared/kro/e2e) against the embedded server + controller.

Runs `python -m pykro.testing.chainsaw` as the CI does and reports which scenarios pass (run with
`-s` to see the list). Every scenario the suite holds must pass, and the eleven known ones (CORE)
must be among them, so a runner that silently finds nothing cannot pass.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from tests.controller.rgd.helpers import REPO

SUITE = Path(os.environ.get("PYKRO_SHARED_DIR", REPO.parent / "shared")) / "kro" / "e2e"
CORE = {
    "cel-random-namespaced-function",
    "check-arbitary-objects",
    "check-external-references",
    "check-instance-creation",
    "check-instance-update",
    "check-multi-resource-rgd",
    "check-required-default-interactions",
    "check-rgd-creation",
    "check-rgd-deletion",
    "check-unknown-fields",
    "check-validation-markers",
}
RESULT = re.compile(r"^(PASS|FAIL|SKIP)\s+([^\s:]+)")


@pytest.mark.slow
@pytest.mark.skipif(not SUITE.is_dir(), reason=f"upstream kro e2e scenarios not found at {SUITE}")
async def test_upstream_chainsaw_scenarios() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pykro.testing.chainsaw",
        str(SUITE),
        "--timeout",
        "8s",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 600)
    text = out.decode()
    results = {m.group(2): m.group(1) for line in text.splitlines() if (m := RESULT.match(line))}
    print("\n".join(f"{status} {name}" for name, status in sorted(results.items())))
    assert proc.returncode in (0, 1), text  # 2 = the suite could not be loaded
    assert CORE <= set(results), f"scenarios missing from the run: {CORE - set(results)}\n{text}"
    failed = {name for name, status in results.items() if status != "PASS"}
    assert not failed, f"scenarios failed or skipped: {sorted(failed)}\n{text}"
