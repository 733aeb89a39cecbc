"""Monotonic clocks: the real one, and a manual one so time-based logic is testable.

Everything in the client and the controller runtime that waits (rate limiters, backoff,
delayed queue adds, leases) goes through a `Clock`, so tests advance time instead of sleeping.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable
from typing import Protocol


class Clock(Protocol):
    """A source of monotonic time in seconds that can also wait."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> Awaitable[None]:
        """Wait `seconds` from the moment of the call (not from when the awaitable first runs)."""
        ...


class RealClock:
    """`time.monotonic` and `asyncio.sleep`."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> Awaitable[None]:
        return asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """A clock that only moves when `advance` is called; sleepers wake in deadline order."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> Awaitable[None]:
        # The deadline is fixed now, as with real time: a caller that computed `seconds` from
        # `now()` must not miss an `advance` made before its awaitable first runs.
        if seconds <= 0:
            return asyncio.sleep(0)
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._seq), fut))
        return fut

    async def advance(self, seconds: float) -> None:
        """Move time forward, waking every sleeper whose deadline has passed, then let them run."""
        self._now += seconds
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, fut = heapq.heappop(self._sleepers)
            if not fut.done():
                fut.set_result(None)
        # Several loop turns so woken tasks can react (and chain into further awaits).
        for _ in range(5):
            await asyncio.sleep(0)


DEFAULT_CLOCK: Clock = RealClock()
