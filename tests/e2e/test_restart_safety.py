"""Restart safety: the controller dies after its k-th write (for every k) while creating or deleting
an instance; a fresh controller must converge with nothing lost or duplicated.

"Dies" = from that write on, no request of the old controller reaches the server (as if the process
was killed), then it is stopped and a new Manager starts from nothing but the cluster's state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pykro.controller.manager import Manager, ManagerOptions
from pykro.kube import ConnectionFailed
from pykro.schema.gvk import GVK
from tests.controller.rgd.helpers import CM, Env, cluster, simple_rgd, wait_for

APP = GVK("kro.run", "v1alpha1", "AppConfig")
NS = "default"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OPTIONS = ManagerOptions(requeue_interval=0.3, workers=2)


def chained_rgd() -> dict[str, Any]:
    """Two ConfigMaps, the second reading the first: ordering and data flow across a restart."""
    rgd = simple_rgd()
    rgd["spec"]["resources"].append(
        {
            "id": "second",
            "template": {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "${schema.metadata.name}-second"},
                "data": {"from": "${cm.data.value}"},
            },
        }
    )
    return rgd


class Killable:
    """Counts the manager's writes; after `limit` of them every request fails as if the process were gone."""

    def __init__(self, manager: Manager, limit: int | None) -> None:
        self.writes = 0
        self.limit = limit
        self.dead = False
        transport = manager.client.transport
        original = transport.request

        async def request(method: str, path: str, **kwargs: Any) -> Any:
            if self.dead:
                raise ConnectionFailed("controller killed")
            if method in WRITES:
                self.writes += 1
                if self.limit is not None and self.writes >= self.limit:
                    self.dead = True  # this write lands; nothing after it does
            return await original(method, path, **kwargs)

        transport.request = request  # type: ignore[method-assign]

    async def killed(self) -> bool:
        return self.dead


@asynccontextmanager
async def controller(env: Env, limit: int | None = None) -> AsyncIterator[Killable]:
    manager = Manager(env.kubeconfig, OPTIONS)
    killable = Killable(manager, limit)
    await manager.start()
    try:
        yield killable
    finally:
        await manager.stop()


def instance(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "kro.run/v1alpha1",
        "kind": "AppConfig",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"value": name},
    }


async def converged(env: Env, name: str) -> bool:
    obj = await env.client.get(APP, name, namespace=NS)
    if (obj.get("status") or {}).get("state") != "ACTIVE":
        return False
    first = await env.client.get(CM, f"{name}-cm", namespace=NS)
    second = await env.client.get(CM, f"{name}-second", namespace=NS)
    return first["data"] == {"value": name} and second["data"] == {"from": name}


async def owned_configmaps(env: Env, name: str) -> list[str]:
    page = await env.client.list(CM, namespace=NS)
    return sorted(c["metadata"]["name"] for c in page.items if c["metadata"]["name"].startswith(f"{name}-"))


async def test_creation_and_deletion_survive_a_kill_after_every_write() -> None:
    async with cluster(OPTIONS, controller=False) as env:
        async with controller(env):  # installs the RGD CRD
            await env.client.create(chained_rgd())
            await env.wait_active("app-config")

        # How many writes a clean creation and deletion take.
        async with controller(env) as clean:
            await env.client.create(instance("probe"))
            await wait_for(lambda: converged(env, "probe"), timeout=15, what="probe to converge")
            creation_writes = clean.writes
            await env.client.delete(APP, "probe", namespace=NS)
            await env.wait_gone(APP, "probe", NS, timeout=15)
            deletion_writes = clean.writes - creation_writes
        assert creation_writes >= 3 and deletion_writes >= 1

        for k in range(1, creation_writes + 1):
            name = f"create-{k}"
            await env.client.create(instance(name))
            async with controller(env, limit=k) as dying:
                await wait_for(dying.killed, timeout=10, what=f"write {k} of the creation")
            async with controller(env):
                await wait_for(
                    lambda n=name: converged(env, n), timeout=15, what=f"{name} to converge after restart"
                )
            assert await owned_configmaps(env, name) == [f"{name}-cm", f"{name}-second"]

        for k in range(1, deletion_writes + 1):
            name = f"delete-{k}"
            await env.client.create(instance(name))
            async with controller(env):
                await wait_for(lambda n=name: converged(env, n), timeout=15, what=f"{name} to converge")
            await env.client.delete(APP, name, namespace=NS)
            async with controller(env, limit=k) as dying:
                await wait_for(dying.killed, timeout=10, what=f"write {k} of the deletion")
            async with controller(env):
                await env.wait_gone(APP, name, NS, timeout=15)
                await wait_for(
                    lambda n=name: _none_left(env, n), timeout=15, what=f"{name}'s ConfigMaps to go"
                )


async def _none_left(env: Env, name: str) -> bool:
    return not await owned_configmaps(env, name)
