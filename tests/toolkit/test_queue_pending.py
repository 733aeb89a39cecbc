"""`WorkQueue.pending()`: the public view of the keys waiting for a worker."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from pykro.controller.manager import instrument_by_kind
from pykro.kube.clock import ManualClock
from pykro.kube.ratelimit import default_controller_rate_limiter
from pykro.schema.gvk import GVK
from pykro.toolkit import Controller, ObjectRef, Result
from pykro.toolkit.queue import WorkQueue


def make_queue(clock: ManualClock) -> WorkQueue[str]:
    return WorkQueue("test", clock=clock, rate_limiter=default_controller_rate_limiter(clock=clock))


async def test_pending_lists_waiting_keys_oldest_first_without_duplicates() -> None:
    q = make_queue(ManualClock())
    for key in ["b", "a", "b", "c", "a"]:
        q.add(key)
    assert q.pending() == ["b", "a", "c"]
    assert len(q.pending()) == len(q)


async def test_pending_excludes_processing_and_not_yet_due_keys() -> None:
    clock = ManualClock()
    q = make_queue(clock)
    q.add("a")
    q.add("b")
    taken = await q.get()
    q.add_after("later", 5.0)
    assert q.pending() == ["b"]
    assert taken == "a" and q.processing == {"a"}
    q.add("a")  # re-added while processing: waits for `done`, not in the queue yet
    assert q.pending() == ["b"]
    q.done("a")
    assert q.pending() == ["b", "a"]
    await clock.advance(5.0)
    assert q.pending() == ["b", "a", "later"]


async def test_pending_is_a_snapshot() -> None:
    q = make_queue(ManualClock())
    q.add("a")
    snapshot = q.pending()
    snapshot.append("x")
    q.add("b")
    assert snapshot == ["a", "x"]
    assert q.pending() == ["a", "b"]


WEB_GVR = "kro.run/v1alpha1, Resource=webapps"  # upstream's label value


async def test_manager_queue_depth_by_kind_counts_pending_keys() -> None:
    async def reconcile(key: ObjectRef) -> Result:
        return Result.done()

    web, cache = GVK("kro.run", "v1alpha1", "WebApp"), GVK("kro.run", "v1alpha1", "Cache")
    controller: Controller[ObjectRef] = Controller("instances", reconcile)  # not started: keys stay queued
    registry = CollectorRegistry()
    instrument_by_kind(controller, registry)
    for gvk, name in ((web, "a"), (web, "b"), (cache, "c"), (web, "a")):
        controller.enqueue(ObjectRef(gvk, "default", name))
    assert registry.get_sample_value("instance_queue_depth", {"gvr": WEB_GVR}) == 2
    assert (
        registry.get_sample_value("instance_queue_depth", {"gvr": "kro.run/v1alpha1, Resource=caches"}) == 1
    )
    assert await controller.queue.get() == ObjectRef(web, "default", "a")  # being processed: not waiting
    assert registry.get_sample_value("instance_queue_depth", {"gvr": WEB_GVR}) == 1
