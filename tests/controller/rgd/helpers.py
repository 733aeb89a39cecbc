"""Shared by the RGD controller, manager, CLI and e2e tests: an embedded server with pykro's
controller beside it, a client, and polling helpers."""

from __future__ import annotations

import asyncio
import copy
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pykro.apiserver import EmbeddedAPIServer
from pykro.controller.manager import Manager, ManagerOptions
from pykro.kube import KubeClient, NotFound, load_kubeconfig
from pykro.schema.gvk import GVK

RGD = GVK("kro.run", "v1alpha1", "ResourceGraphDefinition")
CRD = GVK("apiextensions.k8s.io", "v1", "CustomResourceDefinition")
CM = GVK("", "v1", "ConfigMap")
T = TypeVar("T")

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples"


async def wait_for(
    probe: Callable[[], Awaitable[T | None]], *, timeout: float = 10.0, what: str = "condition"
) -> T:
    """Poll `probe` until it returns something truthy; fail with `what` after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: Any = None
    while True:
        try:
            last = await probe()
        except NotFound:
            last = None
        if last:
            return last
        if loop.time() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")
        await asyncio.sleep(0.05)


def simple_rgd(
    name: str = "app-config", kind: str = "AppConfig", data: str = "${schema.spec.value}"
) -> dict[str, Any]:
    """One ConfigMap per instance: the smallest RGD that exercises compile, CRD and serving."""
    return {
        "apiVersion": "kro.run/v1alpha1",
        "kind": "ResourceGraphDefinition",
        "metadata": {"name": name},
        "spec": {
            "schema": {
                "apiVersion": "v1alpha1",
                "kind": kind,
                "spec": {"value": 'string | default="x"'},
                "status": {"cmName": "${cm.metadata.name}"},
            },
            "resources": [
                {
                    "id": "cm",
                    "template": {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": {"name": "${schema.metadata.name}-cm"},
                        "data": {"value": data},
                    },
                }
            ],
        },
    }


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == kind:
            return dict(c)
    return {}


@dataclass
class Env:
    server: EmbeddedAPIServer
    client: KubeClient
    manager: Manager | None

    @property
    def kubeconfig(self) -> Path:
        return Path(self.server.kubeconfig_path)

    async def rgd(self, name: str) -> dict[str, Any]:
        return await self.client.get(RGD, name)

    async def wait_rgd(
        self,
        name: str,
        predicate: Callable[[dict[str, Any]], bool],
        *,
        timeout: float = 10.0,
        what: str = "RGD status",
    ) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            obj = await self.rgd(name)
            return obj if predicate(obj) else None

        return await wait_for(probe, timeout=timeout, what=f"{name}: {what}")

    async def wait_active(self, name: str, *, timeout: float = 10.0) -> dict[str, Any]:
        return await self.wait_rgd(
            name,
            lambda o: (o.get("status") or {}).get("state") == "Active",
            timeout=timeout,
            what="state Active",
        )

    async def exists(self, gvk: GVK, name: str, namespace: str | None = None) -> bool:
        try:
            await self.client.get(gvk, name, namespace=namespace)
        except NotFound:
            return False
        return True

    async def wait_gone(
        self, gvk: GVK, name: str, namespace: str | None = None, *, timeout: float = 10.0
    ) -> None:
        async def probe() -> bool:
            return not await self.exists(gvk, name, namespace)

        await wait_for(probe, timeout=timeout, what=f"{gvk.kind} {name} to be deleted")


async def kubectl(env: Env, *args: str, stdin: str | None = None) -> str:
    """Run kubectl against `env` without blocking the loop the server runs on; its output (exit 0)."""
    proc = await asyncio.create_subprocess_exec(
        "kubectl",
        *args,
        env={**os.environ, "KUBECONFIG": str(env.kubeconfig)},
        stdin=asyncio.subprocess.PIPE if stdin is not None else None,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin else None), 60)
    assert proc.returncode == 0, out.decode()
    return out.decode()


@asynccontextmanager
async def cluster(
    options: ManagerOptions | None = None,
    *,
    controller: bool = True,
    data_dir: Path | None = None,
    **server_options: Any,
) -> AsyncIterator[Env]:
    """An embedded API server (`server_options` go to it), a client, and (unless `controller=False`)
    a running Manager."""
    async with EmbeddedAPIServer(data_dir, **server_options) as server:
        async with KubeClient(load_kubeconfig(server.kubeconfig_path)) as client:
            if not controller:
                yield Env(server, client, None)
                return
            manager = Manager(server.kubeconfig_path, options or ManagerOptions(requeue_interval=0.5))
            await manager.start()
            env = Env(server, client, manager)
            try:
                yield env
            finally:
                await manager.stop()
                if env.manager is not None and env.manager is not manager:
                    await env.manager.stop()  # a test that restarted the controller left its successor here


def with_spec(rgd: dict[str, Any], **schema_changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(rgd)
    out["spec"]["schema"].update(schema_changes)
    return out
