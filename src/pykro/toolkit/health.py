"""Health and readiness checks plus a tiny HTTP endpoint serving them and Prometheus metrics.

checks = HealthChecks()
checks.add_readiness("informers", informers_synced(manager))
endpoint = await serve(checks, registry, port=8081)   # /healthz, /readyz, /metrics
"""

from __future__ import annotations

import inspect
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from pykro.toolkit.watches import WatchManager

Check = Callable[[], "bool | Awaitable[bool]"]


@dataclass
class HealthChecks:
    """Named liveness and readiness checks; a check passes by returning True."""

    liveness: dict[str, Check] = field(default_factory=dict)
    readiness: dict[str, Check] = field(default_factory=dict)

    def add_liveness(self, name: str, check: Check) -> None:
        self.liveness[name] = check

    def add_readiness(self, name: str, check: Check) -> None:
        self.readiness[name] = check

    @staticmethod
    async def _run(checks: dict[str, Check]) -> dict[str, str]:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                outcome = check()
                if inspect.isawaitable(outcome):
                    outcome = await outcome
                results[name] = "ok" if outcome else "failed"
            except Exception as err:  # a crashing check is a failing check, not a crashed endpoint
                results[name] = f"error: {err}"
        return results

    async def live(self) -> dict[str, str]:
        return await self._run(self.liveness)

    async def ready(self) -> dict[str, str]:
        return await self._run(self.readiness)


def informers_synced(manager: WatchManager) -> Check:
    """Ready when every informer the manager runs has synced its cache."""

    def check() -> bool:
        return all(i.has_synced for i in manager.running_informers())

    return check


@dataclass
class Endpoint:
    url: str
    runner: web.AppRunner

    async def stop(self) -> None:
        await self.runner.cleanup()


async def serve(
    checks: HealthChecks,
    registry: CollectorRegistry | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Endpoint:
    """Serve `/healthz`, `/readyz` (200 or 500, one `name: result` line per check) and `/metrics`."""

    def report(results: dict[str, str]) -> web.Response:
        healthy = all(r == "ok" for r in results.values())
        body = "".join(f"{name}: {result}\n" for name, result in results.items()) or "ok\n"
        return web.Response(status=200 if healthy else 500, text=body)

    async def healthz(_: web.Request) -> web.Response:
        return report(await checks.live())

    async def readyz(_: web.Request) -> web.Response:
        return report(await checks.ready())

    async def metrics(_: web.Request) -> web.Response:
        if registry is None:
            return web.Response(status=404, text="no metrics registry\n")
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    # Bind the socket ourselves so port=0 works and the chosen port is known.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    await web.SockSite(runner, sock).start()
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return Endpoint(f"http://{shown}:{bound}", runner)
