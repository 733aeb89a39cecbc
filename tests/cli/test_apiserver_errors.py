"""`pykro apiserver` and `pykro up` refuse a bad port or address with one line and exit status 1."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def _pykro(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pykro.cli.main", *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_port_out_of_range(tmp_path: Path) -> None:
    done = _pykro("apiserver", "--data-dir", str(tmp_path / "d"), "--port", "70000")
    assert (done.returncode, done.stderr) == (
        1,
        "error: --port: 70000 is not a TCP port (0-65535; 0 picks a free one)\n",
    )
    assert not (tmp_path / "d").exists(), "nothing is created for a server that cannot start"


def test_unresolvable_bind_address(tmp_path: Path) -> None:
    done = _pykro("apiserver", "--data-dir", str(tmp_path / "d"), "--bind", "no-such-host.invalid")
    assert (done.returncode, done.stderr) == (
        1,
        "error: --bind: cannot resolve address 'no-such-host.invalid'\n",
    )


@pytest.mark.parametrize("command", ["apiserver", "up"])
def test_port_in_use(tmp_path: Path, busy_port: int, command: str) -> None:
    done = _pykro(command, "--data-dir", str(tmp_path / "d"), "--port", str(busy_port))
    assert (done.returncode, done.stderr) == (
        1,
        f"error: --port: port {busy_port} on 127.0.0.1 is already in use\n",
    )


async def test_the_data_dir_is_private_and_held_by_one_server(tmp_path: Path) -> None:
    import stat

    from pykro.apiserver import EmbeddedAPIServer

    data = tmp_path / "data"
    async with EmbeddedAPIServer(data) as server:
        mode = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [data, *data.iterdir()]}
        assert mode["data"] == 0o700
        assert mode["state.db"] == mode["state.db-wal"] == mode["state.db-shm"] == 0o600
        assert mode["kubeconfig"] == mode["server.key"] == mode["ca.key"] == 0o600
        before = Path(server.kubeconfig_path).read_text()
        done = await asyncio.to_thread(_pykro, "apiserver", "--data-dir", str(data))
        assert (done.returncode, done.stderr) == (
            1,
            f"error: --data-dir: {data} is in use by another pykro API server\n",
        )
        assert Path(server.kubeconfig_path).read_text() == before, "the running server's kubeconfig is kept"
    # Stopping releases the lock: the next server starts.
    async with EmbeddedAPIServer(data):
        pass


@pytest.mark.parametrize("command", ["apiserver", "up"])
def test_an_event_ttl_that_is_not_a_duration(tmp_path: Path, command: str) -> None:
    done = _pykro(command, "--data-dir", str(tmp_path / "d"), "--event-ttl", "soon")
    assert (done.returncode, done.stderr) == (
        1,
        "error: --event-ttl: want a positive duration such as 1h, 30m or 90s, got 'soon'\n",
    )
