"""Token bucket and per-item rate limiters (the client-go `workqueue` and `flowcontrol` models)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol

from pykro.kube.clock import DEFAULT_CLOCK, Clock


class TokenBucket:
    """A token bucket refilled at `qps` tokens per second holding at most `burst` tokens.

    `reserve()` takes a token now and returns how long the caller must wait for it to be
    valid (tokens may go negative, which queues callers fairly, like Go's `rate.Limiter.Reserve`).
    """

    def __init__(self, qps: float, burst: int, *, clock: Clock = DEFAULT_CLOCK) -> None:
        if qps <= 0 or burst < 1:
            raise ValueError(f"token bucket needs qps > 0 and burst >= 1, got qps={qps}, burst={burst}")
        self.qps = qps
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock.now()

    def _refill(self) -> None:
        now = self._clock.now()
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
        self._last = now

    def reserve(self) -> float:
        """Take one token; return the delay in seconds before it may be used."""
        self._refill()
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    async def acquire(self) -> float:
        """Wait for a token; return the time waited (for metrics)."""
        delay = self.reserve()
        if delay > 0:
            await self._clock.sleep(delay)
        return delay


class RateLimiter(Protocol):
    """Decides how long an item waits before it is retried (client-go `RateLimiter`)."""

    def when(self, item: Hashable) -> float: ...

    def forget(self, item: Hashable) -> None: ...

    def num_requeues(self, item: Hashable) -> int: ...


class ItemExponentialRateLimiter:
    """`base * 2**failures`, capped at `max_delay`, counted per item until `forget`."""

    def __init__(self, base: float = 0.005, max_delay: float = 1000.0) -> None:
        self.base = base
        self.max_delay = max_delay
        self._failures: dict[Hashable, int] = {}

    def when(self, item: Hashable) -> float:
        failures = self._failures.get(item, 0)
        self._failures[item] = failures + 1
        if failures > 64:  # 2**64 overflows any sane cap; skip the float math
            return self.max_delay
        return float(min(self.base * (2**failures), self.max_delay))

    def forget(self, item: Hashable) -> None:
        self._failures.pop(item, None)

    def num_requeues(self, item: Hashable) -> int:
        return self._failures.get(item, 0)


class BucketRateLimiter:
    """An overall token bucket shared by all items; it has no per-item state."""

    def __init__(self, bucket: TokenBucket) -> None:
        self.bucket = bucket

    def when(self, item: Hashable) -> float:
        return self.bucket.reserve()

    def forget(self, item: Hashable) -> None:
        return None

    def num_requeues(self, item: Hashable) -> int:
        return 0


class MaxOfRateLimiter:
    """The longest delay of several limiters (client-go `MaxOfRateLimiter`)."""

    def __init__(self, *limiters: RateLimiter) -> None:
        if not limiters:
            raise ValueError("MaxOfRateLimiter needs at least one limiter")
        self.limiters = limiters

    def when(self, item: Hashable) -> float:
        return max(limiter.when(item) for limiter in self.limiters)

    def forget(self, item: Hashable) -> None:
        for limiter in self.limiters:
            limiter.forget(item)

    def num_requeues(self, item: Hashable) -> int:
        return max(limiter.num_requeues(item) for limiter in self.limiters)


def default_controller_rate_limiter(
    *,
    base: float = 0.005,
    max_delay: float = 1000.0,
    qps: float = 10.0,
    burst: int = 100,
    clock: Clock = DEFAULT_CLOCK,
) -> MaxOfRateLimiter:
    """client-go's `DefaultControllerRateLimiter`: per-item 5 ms→1000 s, overall 10 qps / burst 100."""
    return MaxOfRateLimiter(
        ItemExponentialRateLimiter(base, max_delay),
        BucketRateLimiter(TokenBucket(qps, burst, clock=clock)),
    )
