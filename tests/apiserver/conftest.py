"""Fixtures: a fresh in-memory server per test, and one shared server in a thread for subprocess clients."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import ssl
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from pykro.apiserver import EmbeddedAPIServer


class Api:
    """A raw HTTPS client that trusts the server's CA and sends its admin token."""

    def __init__(self, server: EmbeddedAPIServer, session: aiohttp.ClientSession) -> None:
        self.server = server
        self.session = session
        self.ssl = ssl.create_default_context(cafile=str(server.ca_path))

    def headers(self, extra: dict[str, str] | None = None, token: str | None = None) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.server.token if token is None else token}"}
        h.update(extra or {})
        return h

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        token: str | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        h = self.headers(headers, token)
        if data is not None:
            h["Content-Type"] = content_type
        async with self.session.request(
            method, self.server.url + path, data=data, headers=h, ssl=self.ssl
        ) as resp:
            text = await resp.read()
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, text.decode()

    async def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, body: Any, **kw: Any) -> tuple[int, Any]:
        return await self.request("POST", path, body, **kw)

    async def put(self, path: str, body: Any, **kw: Any) -> tuple[int, Any]:
        return await self.request("PUT", path, body, **kw)

    async def patch(
        self, path: str, body: Any, content_type: str = "application/merge-patch+json", **kw: Any
    ) -> tuple[int, Any]:
        return await self.request("PATCH", path, body, content_type=content_type, **kw)

    async def delete(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return await self.request("DELETE", path, body, **kw)

    async def watch(
        self, path: str, *, until: int, timeout: float = 5.0, headers: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """Collect `until` watch events (or fewer if the stream ends or `timeout` passes)."""
        events: list[dict[str, Any]] = []

        async def run() -> None:
            async with self.session.get(
                self.server.url + path, headers=self.headers(headers), ssl=self.ssl
            ) as resp:
                assert resp.status == 200, await resp.text()
                async for line in resp.content:
                    if line.strip():
                        events.append(json.loads(line))
                        if len(events) >= until:
                            return

        try:
            await asyncio.wait_for(run(), timeout)
        except TimeoutError:
            pass
        return events


def cm(name: str, data: dict[str, str] | None = None, **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **meta}, "data": data or {}}


WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {
            "plural": "widgets",
            "singular": "widget",
            "kind": "Widget",
            "shortNames": ["wd"],
            "categories": ["all"],
        },
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                    {
                        "name": "Ready",
                        "type": "string",
                        "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
                    },
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                ],
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {"size": {"type": "integer", "description": "How big."}},
                            },
                            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                        },
                    }
                },
            }
        ],
    },
}


def single_version_crd(plural: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A namespaced `example.com/v1` CRD whose one version's schema declares `spec`."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": plural, "kind": kind},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": spec}}},
                }
            ],
        },
    }


@pytest.fixture
async def server(request: pytest.FixtureRequest) -> AsyncIterator[EmbeddedAPIServer]:
    """A test module may set `SERVER_OPTIONS` (e.g. `{"workloads": False}`) for its servers."""
    async with EmbeddedAPIServer(**getattr(request.module, "SERVER_OPTIONS", {})) as srv:
        yield srv


@pytest.fixture
async def api(server: EmbeddedAPIServer) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(server, session)


class ThreadedServer:
    """An EmbeddedAPIServer running on its own event loop thread, for synchronous clients."""

    def __init__(self, data_dir: Path | None = None, **options: Any) -> None:
        self.server = EmbeddedAPIServer(data_dir, **options)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> EmbeddedAPIServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(30)
        return self.server

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@pytest.fixture(scope="session")
def shared_server() -> Iterator[EmbeddedAPIServer]:
    with ThreadedServer() as srv:
        yield srv


@pytest.fixture(scope="session")
def quiet_server() -> Iterator[EmbeddedAPIServer]:
    """A shared server without the simulated controllers: nothing but clients writes to it."""
    with ThreadedServer(workloads=False) as srv:
        yield srv


KUBECTL = os.environ.get("PYKRO_KUBECTL", "kubectl")


class KubectlIn:
    """kubectl against a server, working in one namespace (or the kubeconfig's, `default`, when None)."""

    def __init__(self, server: EmbeddedAPIServer, namespace: str | None = None) -> None:
        self.kubeconfig = str(server.kubeconfig_path)
        self.namespace = namespace

    def run(
        self, *args: str, stdin: str | None = None, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        scope = ["-n", self.namespace] if self.namespace is not None else []
        proc = subprocess.run(
            [KUBECTL, "--kubeconfig", self.kubeconfig, *scope, *args],
            input=stdin,
            text=True,
            capture_output=True,
            timeout=60,
            env={**os.environ, **(env or {})},
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {proc.stderr}")
        return proc

    def out(self, *args: str, stdin: str | None = None) -> str:
        return self.run(*args, stdin=stdin).stdout

    def apply(self, obj: dict[str, Any], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("apply", "-f", "-", *args, stdin=yaml.safe_dump(obj), check=check)

    def get(self, *args: str) -> Any:
        return json.loads(self.out("get", *args, "-o", "json"))


@contextmanager
def kubectl_namespace(server: EmbeddedAPIServer, namespace: str) -> Iterator[KubectlIn]:
    """A fresh namespace driven by kubectl (the test is skipped without kubectl)."""
    if shutil.which(KUBECTL) is None:
        pytest.skip(f"{KUBECTL} not found")
    k = KubectlIn(server, namespace)
    k.run("create", "namespace", namespace)
    try:
        yield k
    finally:
        k.run("delete", "namespace", namespace, "--wait=false", check=False)
