"""A controller: N async workers draining a work queue into a reconcile function."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from pykro.kube.errors import ConnectionFailed, KubeError, NotFound
from pykro.toolkit.metrics import RuntimeMetrics
from pykro.toolkit.queue import ShutDown, WorkQueue

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Result:
    """What a reconcile asks for next. Raising an exception means "error: retry with backoff"."""

    requeue: bool = False
    requeue_after: float | None = None

    @classmethod
    def done(cls) -> Result:
        return cls()

    @classmethod
    def again(cls) -> Result:
        """Requeue now, rate limited (counts as a retry for backoff)."""
        return cls(requeue=True)

    @classmethod
    def after(cls, seconds: float) -> Result:
        """Requeue after `seconds` (the key's backoff is reset)."""
        return cls(requeue_after=seconds)


DONE = Result()

Reconcile = Callable[[K], Awaitable["Result | None"]]


class Controller(Generic[K]):
    """Runs `workers` tasks, each taking a key, calling `reconcile(key)` and acting on the result:

    - `Result.done()` / `None` → forget the key's backoff;
    - `Result.again()` → rate-limited re-add;
    - `Result.after(s)` → forget, then add after `s` seconds;
    - an exception → rate-limited re-add, up to `max_retries` times, then dropped (logged);
      `NotFound` is treated as done (the object is gone; there is nothing to retry).

    The queue guarantees one worker per key at a time.
    """

    def __init__(
        self,
        name: str,
        reconcile: Reconcile[K],
        *,
        queue: WorkQueue[K] | None = None,
        workers: int = 1,
        max_retries: int = 20,
        metrics: RuntimeMetrics | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"controller {name!r} needs at least one worker, got {workers}")
        self.name = name
        self.reconcile = reconcile
        self.metrics = metrics
        self.queue: WorkQueue[K] = queue if queue is not None else WorkQueue(name, metrics=metrics)
        self.workers = workers
        self.max_retries = max_retries
        self._tasks: list[asyncio.Task[None]] = []

    def enqueue(self, key: K) -> None:
        self.queue.add(key)

    def start(self) -> None:
        if self._tasks:
            return
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._worker(), name=f"{self.name} worker {i}") for i in range(self.workers)
        ]

    async def stop(self, *, drain: bool = True, timeout: float | None = 30.0) -> None:
        """Shut the queue down (finishing in-flight keys when `drain`) and end the workers."""
        try:
            await asyncio.wait_for(self.queue.shutdown(drain=drain), timeout)
        except TimeoutError:
            log.warning("controller %s: drain timed out; cancelling workers", self.name)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except ShutDown:
                return
            try:
                await self._process(key)
            finally:
                self.queue.done(key)

    def _log_failure(self, key: K, err: Exception, *, first: bool) -> None:
        """One line per failing key, not one per retry. An API outage is the transport's to report
        (once); an unexpected exception is a bug and keeps its traceback."""
        if isinstance(err, ConnectionFailed):
            log.debug("controller %s: reconcile %r failed: %s; retrying", self.name, key, err)
        elif isinstance(err, KubeError):
            level = logging.WARNING if first else logging.DEBUG
            log.log(
                level, "controller %s: reconcile %r failed: %s; retrying with backoff", self.name, key, err
            )
        elif first:
            log.error("controller %s: reconcile %r failed; retrying", self.name, key, exc_info=True)
        else:
            log.debug("controller %s: reconcile %r failed again: %r", self.name, key, err)

    def _count(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.reconciles.labels(self.name, outcome).inc()

    async def _process(self, key: K) -> None:
        started = time.perf_counter()
        try:
            result = await self.reconcile(key) or DONE
        except asyncio.CancelledError:
            raise
        except NotFound:
            self.queue.forget(key)
            self._count("done")
            return
        except Exception as err:
            retries = self.queue.num_requeues(key)
            if retries < self.max_retries:
                self._log_failure(key, err, first=retries == 0)
                self.queue.add_rate_limited(key)
            else:
                log.error(
                    "controller %s: dropping %r after %d retries",
                    self.name,
                    key,
                    self.max_retries,
                    exc_info=True,
                )
                self.queue.forget(key)
            self._count("error")
            return
        finally:
            if self.metrics is not None:
                self.metrics.work_duration.labels(self.name).observe(time.perf_counter() - started)
        if result.requeue_after is not None:
            self.queue.forget(key)
            self.queue.add_after(key, result.requeue_after)
            self._count("requeue_after")
        elif result.requeue:
            self.queue.add_rate_limited(key)
            self._count("requeue")
        else:
            self.queue.forget(key)
            self._count("done")
