"""When a pod-template change may go out: after its debounce window, and when its RGD has a free
rollout slot.

The slots in use are read from the cluster, not remembered: a workload holds a slot while its
rollout is not complete (`observedGeneration` behind, or updated/available replicas short of the
desired count) and pykro stamped its last rollout less than the timeout ago. So a restarted
controller sees the rollouts in flight. What only this process knows is the order of the queue
and the debounce windows; after a restart both start over, which delays a change by at most one
window.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pykro.api.conventions import (
    INSTANCE_GROUP_LABEL,
    INSTANCE_KIND_LABEL,
    LAST_ROLLOUT_TIME_ANNOTATION,
    meta,
)
from pykro.kube import KubeClient
from pykro.schema.gvk import GVK
from pykro.timestamps import parse_rfc3339

# (instance uid, node id, namespace/name of the workload)
WorkloadKey = tuple[str, str, str]

POLL = 1.0  # how soon a throttled instance asks again
_FORGET_WAITER = 30.0  # a waiter that stopped asking (its change went away) leaves the queue
_GRANT_GRACE = 30.0  # a granted slot counts until the cluster shows that rollout (or this passes)
_LISTING_TTL = 0.5  # the cluster's rolling workloads are re-read at most this often per RGD


def _int(value: Any, default: int = 0) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def rollout_complete(obj: Mapping[str, Any]) -> bool:
    """As `kubectl rollout status` judges it, for the workload kinds that report it."""
    m, spec, status = meta(obj), obj.get("spec") or {}, obj.get("status") or {}
    if _int(status.get("observedGeneration")) < _int(m.get("generation")):
        return False
    kind = obj.get("kind")
    if kind == "Deployment":
        want = _int(spec.get("replicas"), 1)
        return (
            _int(status.get("updatedReplicas")) >= want
            and _int(status.get("availableReplicas")) >= want
            and _int(status.get("replicas")) <= _int(status.get("updatedReplicas"))
        )
    if kind == "StatefulSet":
        want = _int(spec.get("replicas"), 1)
        return _int(status.get("updatedReplicas")) >= want and _int(status.get("readyReplicas")) >= want
    if kind == "DaemonSet":
        want = _int(status.get("desiredNumberScheduled"))
        return (
            _int(status.get("updatedNumberScheduled")) >= want and _int(status.get("numberAvailable")) >= want
        )
    return True


def _stamp_age(obj: Mapping[str, Any], wall: float) -> float | None:
    """Seconds since pykro stamped the workload's last rollout (None: never)."""
    stamped = parse_rfc3339((meta(obj).get("annotations") or {}).get(LAST_ROLLOUT_TIME_ANNOTATION))
    return None if stamped is None else wall - stamped


def _key_of(obj: Mapping[str, Any]) -> str:
    m = meta(obj)
    return f"{m.get('namespace') or ''}/{m.get('name') or ''}"


@dataclass(frozen=True)
class Wait:
    """A template change that must wait: why (`reason`, `message`) and when to ask again."""

    reason: str
    message: str
    retry_after: float


class RolloutGate:
    def __init__(
        self,
        client: KubeClient,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.clock, self.wall = clock, wall
        self._first_seen: dict[WorkloadKey, float] = {}
        self._waiting: dict[str, OrderedDict[WorkloadKey, float]] = {}  # RGD → waiter → last asked
        # RGD → workload namespace/name → when its slot was granted (monotonic, wall)
        self._granted: dict[str, dict[str, tuple[float, float]]] = {}
        self._rolling: dict[str, tuple[float, set[str]]] = {}  # RGD → (read at, rolling workloads)
        self._locks: dict[str, asyncio.Lock] = {}

    # -- debounce --------------------------------------------------------------------------------
    def debounce(self, key: WorkloadKey, window: float) -> float:
        """Seconds `key`'s change must still wait: a burst goes out `window` after its first change."""
        now = self.clock()
        first = self._first_seen.setdefault(key, now)
        return max(0.0, first + window - now)

    def released(self, key: WorkloadKey) -> None:
        """`key`'s change went out (or went away): its window and place in line end."""
        self._first_seen.pop(key, None)
        for waiting in self._waiting.values():
            waiting.pop(key, None)

    def forget_instance(self, uid: str) -> None:
        """An instance being deleted rolls nothing out any more: its windows and places in line go."""
        for key in [k for k in self._first_seen if k[0] == uid]:
            del self._first_seen[key]
        for waiting in self._waiting.values():
            for key in [k for k in waiting if k[0] == uid]:
                del waiting[key]

    # -- throttle --------------------------------------------------------------------------------
    async def acquire(
        self, rgd: str, instance_gvk: GVK, kinds: list[GVK], key: WorkloadKey, budget: int, timeout: float
    ) -> Wait | None:
        """A slot for `key`'s rollout (None), or how long to wait for one."""
        lock = self._locks.setdefault(rgd, asyncio.Lock())
        async with lock:
            now = self.clock()
            rolling = await self._rolling_now(rgd, instance_gvk, kinds, timeout)
            granted = self._granted.setdefault(rgd, {})
            for name, (when, _) in list(granted.items()):
                if now - when > _GRANT_GRACE:
                    del granted[name]
            in_use = rolling | set(granted)
            waiting = self._waiting.setdefault(rgd, OrderedDict())
            for other, asked in list(waiting.items()):
                if now - asked > _FORGET_WAITER:
                    del waiting[other]
            waiting[key] = now  # joins the end of the line, or keeps its place
            place = list(waiting).index(key)
            free = budget - len(in_use)
            if place < free:
                del waiting[key]
                granted[key[2]] = (now, self.wall())
                return None
            return Wait(
                "RolloutThrottled",
                f"waiting for a rollout slot: place {place + 1} of {len(waiting)} in line, "
                f"{len(in_use)} of {budget} workloads of this ResourceGraphDefinition rolling",
                POLL,
            )

    async def _rolling_now(self, rgd: str, instance_gvk: GVK, kinds: list[GVK], timeout: float) -> set[str]:
        cached = self._rolling.get(rgd)
        if cached is not None and self.clock() - cached[0] < _LISTING_TTL:
            return cached[1]
        selector = f"{INSTANCE_KIND_LABEL}={instance_gvk.kind},{INSTANCE_GROUP_LABEL}={instance_gvk.group}"
        wall = self.wall()
        granted = self._granted.get(rgd, {})
        rolling: set[str] = set()
        for gvk in kinds:
            listed = await self.client.list_all(gvk, label_selector=selector)
            for obj in listed.items:
                age = _stamp_age(obj, wall)
                if age is None:
                    continue
                name = _key_of(obj)
                grant = granted.get(name)
                if grant is not None and wall - age >= int(grant[1]):
                    del granted[name]  # the cluster shows that rollout now: it speaks for itself
                if age < timeout and not rollout_complete(obj):
                    rolling.add(name)
        self._rolling[rgd] = (self.clock(), rolling)
        return rolling
