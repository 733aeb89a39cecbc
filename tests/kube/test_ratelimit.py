"""Token bucket, per-item limiters and backoff, on a manual clock."""

from __future__ import annotations

import asyncio
import random

from hypothesis import given
from hypothesis import strategies as st

from pykro.kube.backoff import Backoff
from pykro.kube.clock import ManualClock
from pykro.kube.ratelimit import (
    BucketRateLimiter,
    ItemExponentialRateLimiter,
    MaxOfRateLimiter,
    TokenBucket,
    default_controller_rate_limiter,
)


async def test_bucket_allows_a_burst_then_the_rate() -> None:
    clock = ManualClock()
    bucket = TokenBucket(qps=10, burst=3, clock=clock)
    assert [bucket.reserve() for _ in range(3)] == [0, 0, 0]
    assert [round(bucket.reserve(), 6) for _ in range(2)] == [0.1, 0.2], "callers queue behind each other"
    await clock.advance(10)
    assert [bucket.reserve() for _ in range(3)] == [0, 0, 0], "refills, but never beyond the burst"
    assert bucket.reserve() > 0


async def test_acquire_waits_on_the_clock() -> None:
    clock = ManualClock()
    bucket = TokenBucket(qps=2, burst=1, clock=clock)
    assert await bucket.acquire() == 0
    waiter = asyncio.ensure_future(bucket.acquire())
    await asyncio.sleep(0)  # let it reserve its token at t=0
    await clock.advance(0.4)
    assert not waiter.done()
    await clock.advance(0.1)
    assert await waiter == 0.5


def test_item_exponential_is_per_item() -> None:
    limiter = ItemExponentialRateLimiter(0.005, 1000)
    assert [limiter.when("a") for _ in range(3)] == [0.005, 0.01, 0.02]
    assert limiter.when("b") == 0.005
    limiter.forget("a")
    assert limiter.when("a") == 0.005
    for _ in range(100):
        limiter.when("c")
    assert limiter.when("c") == 1000


def test_max_of_takes_the_longest_delay() -> None:
    clock = ManualClock()
    limiter = MaxOfRateLimiter(
        ItemExponentialRateLimiter(1, 100), BucketRateLimiter(TokenBucket(1, 1, clock=clock))
    )
    assert limiter.when("a") == 1  # bucket has a token, item says 1
    assert limiter.when("b") == 1  # bucket now says 1 s, item says 1
    assert limiter.when("a") == 2  # item says 2, bucket 2
    assert limiter.num_requeues("a") == 2


def test_client_go_defaults() -> None:
    limiter = default_controller_rate_limiter(clock=ManualClock())
    assert limiter.when("x") == 0.005
    assert [limiter.when(f"k{i}") for i in range(99)][-1] == 0.005, "burst of 100 distinct keys"
    assert limiter.when("k-over") > 0.09, "then 10 per second"


@given(st.integers(min_value=0, max_value=200), st.floats(min_value=0, max_value=0.9))
def test_backoff_stays_within_bounds(steps: int, jitter: float) -> None:
    backoff = Backoff(initial=0.1, maximum=5.0, jitter=jitter, rng=random.Random(steps))
    delays = [backoff.next_delay() for _ in range(steps)]
    assert all(0 <= d <= 5.0 * (1 + jitter) + 1e-9 for d in delays)
    backoff.reset()
    assert backoff.next_delay() <= 0.1 * (1 + jitter) + 1e-9
