"""Helpers for tests against `pykro.apiserver.EmbeddedAPIServer` (shared with tests/toolkit)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from pykro.kube import KubeClient, load_kubeconfig
from pykro.schema.gvk import GVK

CONFIGMAP = GVK("", "v1", "ConfigMap")
NAMESPACE = GVK("", "v1", "Namespace")
CRD = GVK("apiextensions.k8s.io", "v1", "CustomResourceDefinition")
WIDGET = GVK("example.com", "v1", "Widget")


@asynccontextmanager
async def embedded_server(data_dir: Path | None = None, port: int = 0, **options: Any) -> AsyncIterator[Any]:
    from pykro.apiserver import EmbeddedAPIServer

    async with EmbeddedAPIServer(data_dir=data_dir, port=port, **options) as server:
        yield server


def client_for(server: Any, **options: Any) -> KubeClient:
    options.setdefault("qps", 1000.0)
    options.setdefault("burst", 1000)
    options.setdefault("max_retries", 3)
    return KubeClient(load_kubeconfig(server.kubeconfig_path, **options))


@pytest.fixture
async def server() -> AsyncIterator[Any]:
    """A fresh in-memory embedded API server (a fixture: conftest.py files import it)."""
    async with embedded_server() as srv:
        yield srv


@pytest.fixture
async def client(server: Any) -> AsyncIterator[KubeClient]:
    async with client_for(server) as c:
        yield c


def configmap(name: str, namespace: str = "default", **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": dict(data),
    }


def widget_crd(*, status: bool = True) -> dict[str, Any]:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"size": {"type": "integer"}, "color": {"type": "string"}},
            },
            "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}},
        },
    }
    version: dict[str, Any] = {
        "name": "v1",
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": schema},
    }
    if status:
        version["subresources"] = {"status": {}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "versions": [version],
        },
    }


async def eventually(
    check: Callable[[], Awaitable[bool] | bool], timeout: float = 10.0, every: float = 0.02
) -> None:
    """Poll `check` until it is true; fail with a clear message after `timeout`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(every)


async def install_widget_crd(client: KubeClient) -> None:
    await client.create(widget_crd())

    async def served() -> bool:
        try:
            await client.list(WIDGET, namespace="default")
        except Exception:
            return False
        return True

    await eventually(served)


class TcpRelay:
    """A byte relay in front of the API server whose connections a test can cut (a network fault,
    not a server: TLS and HTTP pass through untouched)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self._writers -= {writer, up_writer}

    def cut(self) -> int:
        """Drop every open connection (both sides); returns how many were cut."""
        writers = list(self._writers)
        for w in writers:
            transport = w.transport
            transport.abort()
        self._writers.clear()
        return len(writers)

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def kubeconfig_via(server: Any, url: str, path: Path) -> Path:
    """A copy of the server's kubeconfig pointing at `url` (e.g. a relay)."""
    import yaml

    doc = yaml.safe_load(Path(server.kubeconfig_path).read_text())
    for cluster in doc["clusters"]:
        cluster["cluster"]["server"] = url
    path.write_text(yaml.safe_dump(doc))
    return path
