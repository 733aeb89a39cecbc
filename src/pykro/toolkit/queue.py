"""A rate-limited, de-duplicating work queue with client-go's semantics.

- A key is queued at most once (`dirty`), however often it is added.
- A key being processed (`processing`) is never handed to a second worker; an add during
  processing is remembered and the key is re-queued by `done`.
- `add_after` delays an add; `add_rate_limited` delays by the rate limiter's verdict for
  that key (per-item exponential backoff combined with an overall token bucket); `forget`
  resets the key's backoff.
- `shutdown(drain=True)` stops accepting keys and waits for in-flight keys to be done.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque
from collections.abc import Hashable
from typing import Generic, TypeVar

from pykro.kube.clock import DEFAULT_CLOCK, Clock
from pykro.kube.ratelimit import RateLimiter, default_controller_rate_limiter
from pykro.toolkit.metrics import RuntimeMetrics

K = TypeVar("K", bound=Hashable)


class ShutDown(Exception):
    """Raised by `get` once the queue is shut down and (when draining) empty."""


class WorkQueue(Generic[K]):
    def __init__(
        self,
        name: str = "default",
        *,
        rate_limiter: RateLimiter | None = None,
        clock: Clock = DEFAULT_CLOCK,
        metrics: RuntimeMetrics | None = None,
    ) -> None:
        self.name = name
        self.clock = clock
        self.rate_limiter = (
            rate_limiter if rate_limiter is not None else default_controller_rate_limiter(clock=clock)
        )
        self.metrics = metrics
        self._queue: deque[K] = deque()
        self._dirty: set[K] = set()
        self._processing: set[K] = set()
        self._shutting_down = False
        self._drain = False
        self._getters: deque[asyncio.Future[None]] = deque()
        self._drained: asyncio.Event = asyncio.Event()
        self._delayed: list[tuple[float, int, K]] = []
        self._delayed_deadline: dict[K, float] = {}
        self._seq = itertools.count()
        self._delay_wakeup = asyncio.Event()
        self._delay_task: asyncio.Task[None] | None = None

    # -- state -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._queue)

    def pending(self) -> list[K]:
        """The keys waiting for a worker, oldest first (a snapshot: not those being processed,
        nor delayed ones whose time has not come). `len(queue)` is its length."""
        return list(self._queue)

    @property
    def processing(self) -> frozenset[K]:
        return frozenset(self._processing)

    @property
    def delayed(self) -> int:
        return len(self._delayed_deadline)

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def _report_depth(self) -> None:
        if self.metrics is not None:
            self.metrics.queue_depth.labels(self.name).set(len(self._queue))

    # -- adding ------------------------------------------------------------------------------
    def add(self, key: K) -> None:
        if self._shutting_down or key in self._dirty:
            return
        self._dirty.add(key)
        if self.metrics is not None:
            self.metrics.queue_adds.labels(self.name).inc()
        if key in self._processing:
            return  # `done` re-queues it: one worker per key at a time
        self._queue.append(key)
        self._report_depth()
        self._notify()

    def _notify(self) -> None:
        while self._getters:
            getter = self._getters.popleft()
            if not getter.done():
                getter.set_result(None)
                return

    def _notify_all(self) -> None:
        while self._getters:
            getter = self._getters.popleft()
            if not getter.done():
                getter.set_result(None)

    def add_after(self, key: K, delay: float) -> None:
        """Add `key` once `delay` seconds have passed; an earlier pending deadline wins."""
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(key)
            return
        deadline = self.clock.now() + delay
        current = self._delayed_deadline.get(key)
        if current is not None and current <= deadline:
            return
        self._delayed_deadline[key] = deadline
        heapq.heappush(self._delayed, (deadline, next(self._seq), key))
        self._delay_wakeup.set()
        if self._delay_task is None or self._delay_task.done():
            self._delay_task = asyncio.get_running_loop().create_task(self._run_delayed())

    def add_rate_limited(self, key: K) -> None:
        if self.metrics is not None:
            self.metrics.retries.labels(self.name).inc()
        self.add_after(key, self.rate_limiter.when(key))

    def forget(self, key: K) -> None:
        self.rate_limiter.forget(key)

    def num_requeues(self, key: K) -> int:
        return self.rate_limiter.num_requeues(key)

    async def _run_delayed(self) -> None:
        while not self._shutting_down:
            now = self.clock.now()
            while self._delayed and self._delayed[0][0] <= now:
                deadline, _, key = heapq.heappop(self._delayed)
                if self._delayed_deadline.get(key) == deadline:
                    del self._delayed_deadline[key]
                    self.add(key)
            self._delay_wakeup.clear()
            if not self._delayed:
                await self._delay_wakeup.wait()
                continue
            sleeper = asyncio.ensure_future(self.clock.sleep(self._delayed[0][0] - now))
            waker = asyncio.ensure_future(self._delay_wakeup.wait())
            try:
                await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
                waker.cancel()

    # -- consuming ---------------------------------------------------------------------------
    async def get(self) -> K:
        """The next key; marks it processing until `done(key)`. Raises `ShutDown` when finished."""
        while not self._queue:
            if self._shutting_down:
                raise ShutDown(self.name)
            getter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except asyncio.CancelledError:
                # Pass a wake-up we may have consumed on to the next waiter.
                if getter.done() and not getter.cancelled():
                    self._notify()
                raise
        key = self._queue.popleft()
        self._processing.add(key)
        self._dirty.discard(key)
        self._report_depth()
        return key

    def done(self, key: K) -> None:
        self._processing.discard(key)
        if key in self._dirty:
            self._queue.append(key)
            self._report_depth()
            self._notify()
        self._check_drained()

    def _check_drained(self) -> None:
        if self._shutting_down and not self._processing and not self._queue:
            self._drained.set()

    async def shutdown(self, *, drain: bool = False) -> None:
        """Stop accepting keys. With `drain`, wait for in-flight keys to be `done` first;
        queued-but-unstarted keys are still handed out while draining."""
        self._shutting_down = True
        self._delay_wakeup.set()
        if self._delay_task is not None:
            self._delay_task.cancel()
            try:
                await self._delay_task
            except asyncio.CancelledError:
                pass
        self._notify_all()
        self._check_drained()
        if drain:
            await self._drained.wait()
