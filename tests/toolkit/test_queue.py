"""Work queue semantics, driven by a manual clock."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import CollectorRegistry

from pykro.kube.clock import ManualClock
from pykro.kube.ratelimit import ItemExponentialRateLimiter, default_controller_rate_limiter
from pykro.toolkit.metrics import RuntimeMetrics
from pykro.toolkit.queue import ShutDown, WorkQueue


def make_queue(clock: ManualClock, **kw: object) -> WorkQueue[str]:
    return WorkQueue("test", clock=clock, rate_limiter=default_controller_rate_limiter(clock=clock), **kw)  # type: ignore[arg-type]


async def test_duplicate_adds_are_collapsed() -> None:
    q = make_queue(ManualClock())
    for key in ["a", "b", "a", "a", "b", "c"]:
        q.add(key)
    assert len(q) == 3
    assert [await q.get() for _ in range(3)] == ["a", "b", "c"]


async def test_key_added_while_processing_is_requeued_only_after_done() -> None:
    q = make_queue(ManualClock())
    q.add("a")
    key = await q.get()
    q.add("a")
    q.add("a")
    assert len(q) == 0, "a key being processed must not be handed to another worker"
    assert q.processing == {"a"}
    q.done(key)
    assert len(q) == 1
    assert await q.get() == "a"


async def test_two_workers_never_hold_the_same_key() -> None:
    q = make_queue(ManualClock())
    active: set[str] = set()
    overlaps = 0
    handled = 0

    async def worker() -> None:
        nonlocal overlaps, handled
        while True:
            try:
                key = await q.get()
            except ShutDown:
                return
            if key in active:
                overlaps += 1
            active.add(key)
            await asyncio.sleep(0)
            q.add(key) if handled < 50 else None
            handled += 1
            active.discard(key)
            q.done(key)

    workers = [asyncio.create_task(worker()) for _ in range(4)]
    for i in range(20):
        q.add(f"k{i % 3}")
    while handled < 50:
        await asyncio.sleep(0)  # loop turns, not wall-clock time
    await q.shutdown(drain=True)
    await asyncio.gather(*workers)
    assert overlaps == 0
    assert handled >= 50


async def test_get_blocks_until_an_add() -> None:
    q = make_queue(ManualClock())
    getter = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    assert not getter.done()
    q.add("x")
    assert await asyncio.wait_for(getter, 1) == "x"


async def test_add_after_waits_for_the_clock() -> None:
    clock = ManualClock()
    q = make_queue(clock)
    q.add_after("late", 10)
    q.add_after("early", 2)
    await clock.advance(1.9)
    assert len(q) == 0
    await clock.advance(0.1)
    assert len(q) == 1 and await q.get() == "early"
    await clock.advance(7.9)
    assert len(q) == 0
    await clock.advance(0.1)
    assert await q.get() == "late"


async def test_add_after_keeps_the_earliest_deadline() -> None:
    clock = ManualClock()
    q = make_queue(clock)
    q.add_after("k", 5)
    q.add_after("k", 1)
    q.add_after("k", 8)
    await clock.advance(1)
    assert len(q) == 1
    assert await q.get() == "k"
    await clock.advance(10)
    assert len(q) == 0, "the later deadlines were superseded, not re-added"


async def test_rate_limited_adds_back_off_exponentially_until_forget() -> None:
    clock = ManualClock()
    q = WorkQueue[str]("t", clock=clock, rate_limiter=ItemExponentialRateLimiter(1.0, 6.0))
    delays = []
    for _ in range(5):
        start = clock.now()
        q.add_rate_limited("k")
        while len(q) == 0:
            await clock.advance(1.0)
        delays.append(clock.now() - start)
        q.done(await q.get())
    assert delays == [1, 2, 4, 6, 6], "doubling from the base, capped at the maximum"
    assert q.num_requeues("k") == 5
    q.forget("k")
    assert q.num_requeues("k") == 0


async def test_overall_bucket_limits_a_burst_of_distinct_keys() -> None:
    clock = ManualClock()
    q = make_queue(clock)
    for i in range(110):
        q.add_rate_limited(f"k{i}")
    await clock.advance(0.005)
    assert len(q) == 100, "burst 100 passes after the per-item 5 ms"
    await clock.advance(0.5)
    assert len(q) == 105, "then 10 per second"


async def test_shutdown_with_drain_waits_for_in_flight_keys() -> None:
    q = make_queue(ManualClock())
    q.add("a")
    key = await q.get()
    stopper = asyncio.create_task(q.shutdown(drain=True))
    for _ in range(10):
        await asyncio.sleep(0)
    assert not stopper.done()
    q.add("b")
    assert len(q) == 0, "no adds accepted while shutting down"
    q.done(key)
    await asyncio.wait_for(stopper, 1)
    with pytest.raises(ShutDown):
        await q.get()


async def test_shutdown_wakes_blocked_getters() -> None:
    q = make_queue(ManualClock())
    getters = [asyncio.create_task(q.get()) for _ in range(3)]
    await asyncio.sleep(0)
    await q.shutdown()
    for g in getters:
        with pytest.raises(ShutDown):
            await g


async def test_queue_depth_metric_follows_the_queue() -> None:
    registry = CollectorRegistry()
    q = make_queue(ManualClock(), metrics=RuntimeMetrics(registry))
    q.add("a")
    q.add("b")
    assert registry.get_sample_value("workqueue_depth", {"name": "test"}) == 2
    await q.get()
    assert registry.get_sample_value("workqueue_depth", {"name": "test"}) == 1
    assert registry.get_sample_value("workqueue_adds_total", {"name": "test"}) == 2
