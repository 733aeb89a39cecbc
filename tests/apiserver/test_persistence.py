"""Durability: restart and kill -9 keep objects, resourceVersions and resumable watches; CLI lifecycle."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import aiohttp
import pytest
import yaml

from pykro.apiserver import EmbeddedAPIServer
from pykro.apiserver.storage.persistence import Record, SqliteBackend
from tests.apiserver.conftest import WIDGET_CRD, Api, cm

CMS = "/api/v1/namespaces/default/configmaps"


async def test_restart_keeps_objects_versions_crds_and_watch_window(tmp_path: Path) -> None:
    async with EmbeddedAPIServer(tmp_path) as srv, aiohttp.ClientSession() as s:
        api = Api(srv, s)
        _, a = await api.post(CMS, cm("a", {"k": "v"}))
        await api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", WIDGET_CRD)
        await api.post(
            "/apis/example.com/v1/namespaces/default/widgets",
            {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}},
        )
        _, b = await api.post(CMS, cm("b"))
        await api.delete(f"{CMS}/b")
        token = srv.token
        ca = srv.ca_path.read_bytes()
    async with EmbeddedAPIServer(tmp_path) as srv, aiohttp.ClientSession() as s:
        api = Api(srv, s)
        assert srv.token == token and srv.ca_path.read_bytes() == ca
        _, again = await api.get(f"{CMS}/a")
        assert again == a
        _, w = await api.get("/apis/example.com/v1/namespaces/default/widgets/w")
        assert w["metadata"]["name"] == "w"
        events = await api.watch(
            f"{CMS}?watch=true&resourceVersion={a['metadata']['resourceVersion']}", until=2
        )
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
            ("ADDED", "b"),
            ("DELETED", "b"),
        ]
        _, c = await api.post(CMS, cm("c"))
        assert int(c["metadata"]["resourceVersion"]) > int(
            events[-1]["object"]["metadata"]["resourceVersion"]
        )


def _start_cli(data_dir: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pykro.cli.main", "apiserver", "--data-dir", str(data_dir)],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        if line.startswith("serving"):
            return proc
        if proc.poll() is not None:
            break
    raise AssertionError("server did not start")


def _kubectl(data_dir: Path, *args: str) -> str:
    return subprocess.run(
        ["kubectl", "--kubeconfig", str(data_dir / "kubeconfig"), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout


def test_cli_survives_kill_9_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    proc = _start_cli(tmp_path)
    kubeconfig = yaml.safe_load((tmp_path / "kubeconfig").read_text())
    server = kubeconfig["clusters"][0]["cluster"]["server"]
    assert server.startswith("https://127.0.0.1:") and not server.endswith(":0")
    for i in range(20):
        _kubectl(tmp_path, "create", "configmap", f"k{i}", f"--from-literal=i={i}")
    before = _kubectl(
        tmp_path,
        "get",
        "cm",
        "-o",
        "jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}",
    )
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)

    proc = _start_cli(tmp_path)
    after = _kubectl(
        tmp_path,
        "get",
        "cm",
        "-o",
        "jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}",
    )
    assert after == before and before.count("=") == 20
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0


async def test_in_memory_mode_writes_kubeconfig_to_temp_dir() -> None:
    async with EmbeddedAPIServer() as srv:
        path = srv.kubeconfig_path
        cfg = yaml.safe_load(path.read_text())
        assert cfg["clusters"][0]["cluster"]["server"] == srv.url
        assert cfg["users"][0]["user"]["token"] == srv.token
        assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not path.exists()


async def test_durable_writes_commit_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite commits (fsync) run on the backend's own thread, never on the loop's thread."""
    committed_on: set[str] = set()
    original = SqliteBackend._commit

    def spy(self: SqliteBackend, conn: sqlite3.Connection, records: list[Record]) -> None:
        committed_on.add(threading.current_thread().name)
        original(self, conn, records)

    monkeypatch.setattr(SqliteBackend, "_commit", spy)
    async with EmbeddedAPIServer(tmp_path) as srv, aiohttp.ClientSession() as s:
        api = Api(srv, s)
        await asyncio.gather(*(api.post(CMS, cm(f"x{i}")) for i in range(50)))
        _, listed = await api.get(CMS)
        assert len(listed["items"]) == 50
    assert committed_on == {"pykro-sqlite"}
    assert threading.current_thread().name not in committed_on


async def test_failed_commit_is_500_and_server_refuses_further_writes(tmp_path: Path) -> None:
    async with EmbeddedAPIServer(tmp_path) as srv, aiohttp.ClientSession() as s:
        api = Api(srv, s)
        await api.post(CMS, cm("ok"))
        saboteur = sqlite3.connect(tmp_path / "state.db", isolation_level=None)
        saboteur.execute(
            "CREATE TRIGGER fail BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )
        status, err = await api.post(CMS, cm("lost"))
        assert status == 500 and "disk on fire" in err["message"]
        status, err = await api.post(CMS, cm("later"))
        assert status == 500 and "restart" in err["message"]
        saboteur.execute("DROP TRIGGER fail")
        saboteur.close()
    async with EmbeddedAPIServer(tmp_path) as srv, aiohttp.ClientSession() as s:
        _, listed = await Api(srv, s).get(CMS)
        assert [i["metadata"]["name"] for i in listed["items"]] == ["ok"]


async def test_bind_address_is_in_the_certificate_and_ca_is_kept(tmp_path: Path) -> None:
    async with EmbeddedAPIServer(tmp_path) as srv:
        ca = srv.ca_path.read_bytes()
    for bind, prefix in (("::1", "https://[::1]:"), ("127.0.0.2", "https://127.0.0.2:")):
        async with EmbeddedAPIServer(tmp_path, bind=bind) as srv, aiohttp.ClientSession() as s:
            assert srv.url.startswith(prefix) and srv.ca_path.read_bytes() == ca
            status, _ = await Api(srv, s).get("/api/v1/namespaces/default")  # TLS verified against the CA
            assert status == 200
