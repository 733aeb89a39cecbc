"""Controllers: result handling, retries, and one worker per key."""

from __future__ import annotations

import asyncio
from collections import Counter

from prometheus_client import CollectorRegistry

from pykro.kube.clock import ManualClock
from pykro.kube.errors import NotFound
from pykro.kube.ratelimit import ItemExponentialRateLimiter
from pykro.toolkit.controller import Controller, Result
from pykro.toolkit.metrics import RuntimeMetrics
from pykro.toolkit.queue import WorkQueue


async def wait_until(cond: object, turns: int = 10_000) -> None:
    """Let the event loop run until `cond()` holds; loop turns, not wall-clock time."""
    for _ in range(turns):
        if cond():  # type: ignore[operator]
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not reached")


async def test_results_drive_requeueing() -> None:
    clock = ManualClock()
    queue = WorkQueue[str]("c", clock=clock, rate_limiter=ItemExponentialRateLimiter(1.0, 100.0))
    calls: Counter[str] = Counter()

    async def reconcile(key: str) -> Result | None:
        calls[key] += 1
        if key == "again" and calls[key] < 3:
            return Result.again()
        if key == "later" and calls[key] == 1:
            return Result.after(30)
        if key == "flaky" and calls[key] < 2:
            raise RuntimeError("boom")
        if key == "gone":
            raise NotFound({"code": 404, "reason": "NotFound"})
        return None

    registry = CollectorRegistry()
    ctl = Controller("c", reconcile, queue=queue, workers=2, metrics=RuntimeMetrics(registry))
    ctl.start()
    for key in ["again", "later", "flaky", "done", "gone"]:
        ctl.enqueue(key)
    await wait_until(lambda: calls["done"] == 1 and calls["gone"] == 1 and calls["later"] == 1)
    assert calls["again"] == 1 and calls["flaky"] == 1
    await clock.advance(1)  # first backoff of "again" and "flaky"
    await wait_until(lambda: calls["again"] == 2 and calls["flaky"] == 2)
    await clock.advance(2)
    await wait_until(lambda: calls["again"] == 3)
    assert calls["later"] == 1
    await clock.advance(27)
    await wait_until(lambda: calls["later"] == 2)
    await ctl.stop()
    assert queue.num_requeues("again") == 0 and queue.num_requeues("flaky") == 0, "success forgets backoff"
    assert calls == {"again": 3, "later": 2, "flaky": 2, "done": 1, "gone": 1}
    assert registry.get_sample_value("controller_reconcile_total", {"name": "c", "result": "error"}) == 1
    assert (
        registry.get_sample_value("controller_reconcile_total", {"name": "c", "result": "requeue_after"}) == 1
    )


async def test_errors_stop_after_max_retries() -> None:
    clock = ManualClock()
    queue = WorkQueue[str]("c", clock=clock, rate_limiter=ItemExponentialRateLimiter(1.0, 1.0))
    calls = 0

    async def reconcile(key: str) -> Result:
        nonlocal calls
        calls += 1
        raise RuntimeError("always")

    ctl = Controller("c", reconcile, queue=queue, max_retries=3)
    ctl.start()
    ctl.enqueue("k")
    await wait_until(lambda: calls == 1)
    for attempt in range(3):
        await clock.advance(1)  # each retry waits out its one-second backoff on the manual clock
        await wait_until(lambda attempt=attempt: calls == attempt + 2)
    for _ in range(5):
        await clock.advance(1)
        for _ in range(50):
            await asyncio.sleep(0)
    await ctl.stop()
    assert calls == 4, "the first try plus three retries"


async def test_a_key_is_never_reconciled_concurrently() -> None:
    running: set[str] = set()
    overlaps = 0
    calls: Counter[str] = Counter()

    async def reconcile(key: str) -> None:
        nonlocal overlaps
        if key in running:
            overlaps += 1
        running.add(key)
        calls[key] += 1
        for _ in range(3):  # a slow handler: adds arrive while it runs
            await asyncio.sleep(0)
        running.discard(key)

    ctl = Controller[str]("c", reconcile, workers=8)
    ctl.start()
    for round_ in range(20):
        for key in ("a", "b", "c"):
            ctl.enqueue(key)
        for _ in range(round_ % 3):
            await asyncio.sleep(0)
    await ctl.stop(drain=True)
    assert overlaps == 0
    assert all(1 <= n <= 20 for n in calls.values()) and set(calls) == {"a", "b", "c"}


async def test_stop_drains_in_flight_work() -> None:
    finished: list[str] = []
    started = asyncio.Event()

    async def reconcile(key: str) -> None:
        started.set()
        for _ in range(5):
            await asyncio.sleep(0)
        finished.append(key)

    ctl = Controller[str]("c", reconcile)
    ctl.start()
    ctl.enqueue("k")
    await started.wait()
    await ctl.stop(drain=True)
    assert finished == ["k"]
