"""A de-duplicating work queue drained by one asyncio task: the shape of every in-server controller.

Keys are enqueued synchronously (from event listeners); the worker waits `delay` seconds after
something arrives, then reconciles each pending key once. A key whose write lost a race (409) is
retried on the next round; any other failure is logged and dropped, as a controller would requeue
it with backoff and the next event for the object enqueues it again anyway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from pykro.apiserver.machinery.status import ApiError

log = logging.getLogger(__name__)
K = TypeVar("K", bound=Hashable)

_MAX_RETRIES = 20


class KeyQueue(Generic[K]):
    def __init__(self, name: str, reconcile: Callable[[K], Awaitable[None]], delay: float = 0.0) -> None:
        self.name = name
        self.reconcile = reconcile
        self.delay = delay
        self._pending: dict[K, int] = {}  # key -> retries so far; dict keeps arrival order
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None

    def add(self, key: K, retries: int = 0) -> None:
        if key not in self._pending:
            self._pending[key] = retries
        self._idle.clear()
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"pykro-apiserver-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    @property
    def is_idle(self) -> bool:
        return self._idle.is_set()

    async def idle(self) -> None:
        """Wait until nothing is pending (tests and benchmarks use it to wait for convergence)."""
        await self._idle.wait()

    async def _run(self) -> None:
        while True:
            if not self._pending:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
            if self.delay > 0:
                await asyncio.sleep(self.delay)
            batch, self._pending = self._pending, {}
            for key, retries in batch.items():
                await self._one(key, retries)
            await asyncio.sleep(0)  # let the writes just made publish their events before the next round

    async def _one(self, key: K, retries: int) -> None:
        try:
            await self.reconcile(key)
        except ApiError as err:
            if err.code == 409 and retries < _MAX_RETRIES:
                self.add(key, retries + 1)
            elif err.code not in (404, 409):
                log.warning("%s: %s: %s", self.name, key, err.message)
        except Exception:
            log.exception("%s: reconciling %s failed", self.name, key)
