"""Leader election between two electors sharing one Lease on the embedded server."""

from __future__ import annotations

import asyncio

import pytest

from pykro.kube import KubeClient, ManualClock
from pykro.toolkit import LeaderElector, LeaseConfig
from pykro.toolkit.leader import LEASE
from tests.kube.live import eventually


def config(identity: str) -> LeaseConfig:
    return LeaseConfig(
        "pykro-leader", "default", identity, lease_duration=1.0, renew_deadline=0.6, retry_period=0.1
    )


def test_lease_timings_are_validated() -> None:
    with pytest.raises(ValueError, match="lease_duration > renew_deadline > retry_period"):
        LeaseConfig("l", "default", "me", lease_duration=5, renew_deadline=10, retry_period=2)


async def test_exactly_one_leads_and_the_other_takes_over(client: KubeClient) -> None:
    active: set[str] = set()
    both = 0

    def work(identity: str):  # type: ignore[no-untyped-def]
        async def lead() -> None:
            nonlocal both
            active.add(identity)
            try:
                while True:
                    if len(active) > 1:
                        both += 1
                    await asyncio.sleep(0.02)
            finally:
                active.discard(identity)

        return lead

    a, b = LeaderElector(client, config("a")), LeaderElector(client, config("b"))
    task_a = asyncio.create_task(a.run(work("a")))
    task_b = asyncio.create_task(b.run(work("b")))
    try:
        await eventually(lambda: len(active) == 1)
        await asyncio.sleep(1.5)  # several renew periods: leadership is stable
        assert len(active) == 1 and both == 0
        leader, follower = (task_a, task_b) if "a" in active else (task_b, task_a)
        leader_id, follower_id = ("a", "b") if "a" in active else ("b", "a")
        lease = await client.get(LEASE, "pykro-leader", namespace="default")
        assert lease["spec"]["holderIdentity"] == leader_id
        leader.cancel()  # shutdown releases the lease...
        await asyncio.gather(leader, return_exceptions=True)
        await eventually(lambda: active == {follower_id}, timeout=3)  # ...so the follower needn't wait long
        assert both == 0
        lease = await client.get(LEASE, "pykro-leader", namespace="default")
        assert lease["spec"]["holderIdentity"] == follower_id
        assert lease["spec"]["leaseTransitions"] >= 1
    finally:
        for t in (task_a, task_b):
            t.cancel()
        await asyncio.gather(task_a, task_b, return_exceptions=True)


async def test_a_stalled_leader_is_replaced_after_the_lease_expires(client: KubeClient) -> None:
    a = LeaderElector(client, config("a"))
    assert await a.try_acquire_or_renew()
    clock = ManualClock()  # b judges expiry by its own clock, so the test moves it instead of sleeping
    b = LeaderElector(client, config("b"), clock=clock)
    assert not await b.try_acquire_or_renew(), "the lease is held and fresh"
    # "a" stops renewing (crashed without releasing); "b" may take over once it has watched the
    # record stay unchanged for a full lease duration (1 s).
    await clock.advance(0.5)
    assert not await b.try_acquire_or_renew()
    await clock.advance(0.6)
    assert await b.try_acquire_or_renew()
    lease = await client.get(LEASE, "pykro-leader", namespace="default")
    assert lease["spec"]["holderIdentity"] == "b" and lease["spec"]["leaseTransitions"] == 1
