"""What several benchmarks share: where the upstream kro data lives, an API server in its own
process (so its CPU does not count against the code measured), and the process's RSS."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KRO = Path(os.environ.get("PYKRO_SHARED_DIR", REPO.parent / "shared")) / "kro"

_SERVER_SCRIPT = """
import asyncio, sys
from pykro.apiserver import EmbeddedAPIServer

async def main() -> None:
    async with EmbeddedAPIServer(data_dir=None, port=0, workload_delay=float(sys.argv[1])) as server:
        print(server.kubeconfig_path, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main())
"""


@asynccontextmanager
async def api_server_process(workload_delay: float = 0.0) -> AsyncIterator[tuple[Path, int]]:
    """An in-memory embedded API server in a child process; yields its kubeconfig path and its pid.
    `workload_delay`: seconds each simulated workload controller round waits (slower rollouts)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVER_SCRIPT, str(workload_delay)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        line = await asyncio.get_running_loop().run_in_executor(None, proc.stdout.readline)
        yield Path(line.strip()), proc.pid
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


@asynccontextmanager
async def api_server(workload_delay: float = 0.0) -> AsyncIterator[Path]:
    """`api_server_process` when only the kubeconfig path is needed."""
    async with api_server_process(workload_delay) as (kubeconfig, _):
        yield kubeconfig


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
