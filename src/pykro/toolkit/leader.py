"""Leader election with a `coordination.k8s.io/v1` Lease (client-go's `leaderelection` model).

A candidate takes the lease when it is free or its holder stopped renewing for
`lease_duration`; expiry is judged by when *this* process last saw the record change, not by
timestamps in it, so clock skew between replicas doesn't matter. The leader renews every
`retry_period`; if it can't renew for `renew_deadline` it stops leading (cancelling its work)
before any other replica may take over. On shutdown the lease is released so a successor
needn't wait.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pykro.kube.client import KubeClient
from pykro.kube.clock import DEFAULT_CLOCK, Clock
from pykro.kube.errors import KubeError, NotFound
from pykro.schema.gvk import GVK
from pykro.toolkit.metrics import RuntimeMetrics

log = logging.getLogger(__name__)

LEASE = GVK("coordination.k8s.io", "v1", "Lease")


@dataclass(frozen=True)
class LeaseConfig:
    name: str
    namespace: str
    identity: str
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    release_on_shutdown: bool = True

    def __post_init__(self) -> None:
        if not (self.lease_duration > self.renew_deadline > self.retry_period > 0):
            raise ValueError(
                "leader election needs lease_duration > renew_deadline > retry_period > 0, got "
                f"{self.lease_duration}/{self.renew_deadline}/{self.retry_period}"
            )


def _micro_time() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    """`await elector.run(lead)` campaigns forever; `lead()` runs only while this replica leads."""

    def __init__(
        self,
        client: KubeClient,
        config: LeaseConfig,
        *,
        clock: Clock = DEFAULT_CLOCK,
        metrics: RuntimeMetrics | None = None,
    ) -> None:
        self.client = client
        self.config = config
        self.clock = clock
        self.metrics = metrics
        self.is_leader = False
        self._observed: tuple[str, str, str] | None = None  # (holder, renewTime, resourceVersion)
        self._observed_at = 0.0
        self.transitions = 0

    def _set_leader(self, value: bool) -> None:
        self.is_leader = value
        if self.metrics is not None:
            self.metrics.leader.labels(self.config.name).set(1 if value else 0)

    async def try_acquire_or_renew(self) -> bool:
        """One attempt; True if this replica holds the lease afterwards."""
        cfg = self.config
        now = _micro_time()
        try:
            lease = await self.client.get(LEASE, cfg.name, namespace=cfg.namespace)
        except NotFound:
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": cfg.name, "namespace": cfg.namespace},
                "spec": self._spec(now, now, 0),
            }
            try:
                await self.client.create(body)
            except KubeError as err:
                log.debug("lease %s: create failed: %s", cfg.name, err)
                return False
            self._observed_at = self.clock.now()
            return True
        spec: dict[str, Any] = lease.get("spec") or {}
        holder = str(spec.get("holderIdentity") or "")
        record = (holder, str(spec.get("renewTime") or ""), str(lease["metadata"].get("resourceVersion", "")))
        if record != self._observed:
            self._observed, self._observed_at = record, self.clock.now()
        duration = float(spec.get("leaseDurationSeconds") or cfg.lease_duration)
        expired = self._observed_at + duration <= self.clock.now()
        if holder and holder != cfg.identity and not expired:
            return False
        transitions = int(spec.get("leaseTransitions") or 0)
        acquire_time = str(spec.get("acquireTime") or now)
        if holder != cfg.identity:
            transitions += 1
            acquire_time = now
        lease["spec"] = self._spec(acquire_time, now, transitions)
        try:
            updated = await self.client.replace(lease)
        except KubeError as err:  # Conflict included: another replica wrote first
            log.debug("lease %s: update failed: %s", cfg.name, err)
            return False
        self.transitions = transitions
        uspec = updated.get("spec") or {}
        self._observed = (
            cfg.identity,
            str(uspec.get("renewTime", "")),
            str(updated["metadata"].get("resourceVersion")),
        )
        self._observed_at = self.clock.now()
        return True

    def _spec(self, acquire_time: str, renew_time: str, transitions: int) -> dict[str, Any]:
        return {
            "holderIdentity": self.config.identity,
            "leaseDurationSeconds": max(1, round(self.config.lease_duration)),
            "acquireTime": acquire_time,
            "renewTime": renew_time,
            "leaseTransitions": transitions,
        }

    async def release(self) -> None:
        """Give the lease up if we hold it (holder cleared, 1 s duration)."""
        cfg = self.config
        try:
            lease = await self.client.get(LEASE, cfg.name, namespace=cfg.namespace)
            spec = lease.get("spec") or {}
            if spec.get("holderIdentity") != cfg.identity:
                return
            spec.update({"holderIdentity": None, "leaseDurationSeconds": 1, "renewTime": _micro_time()})
            lease["spec"] = spec
            await self.client.replace(lease)
        except KubeError as err:
            log.info("lease %s: release failed: %s", cfg.name, err)

    def _jittered(self, period: float) -> float:
        return period * (1 + random.uniform(0, 0.2))

    async def run(self, lead: Callable[[], Awaitable[None]]) -> None:
        """Campaign, run `lead()` while leading, cancel it on lost leadership, and repeat.
        Cancelling `run` cancels `lead` and (by default) releases the lease."""
        try:
            while True:
                while not await self.try_acquire_or_renew():
                    await self.clock.sleep(self._jittered(self.config.retry_period))
                self._set_leader(True)
                log.info("lease %s: %s is leading", self.config.name, self.config.identity)
                work = asyncio.ensure_future(lead())
                try:
                    await self._renew_until_lost(work)
                finally:
                    self._set_leader(False)
                    if not work.done():
                        work.cancel()
                        await asyncio.gather(work, return_exceptions=True)
                if work.done() and not work.cancelled() and work.exception() is None:
                    return  # the work finished on its own: nothing left to lead for
        finally:
            if self.config.release_on_shutdown:
                await asyncio.shield(self.release())

    async def _renew_until_lost(self, work: asyncio.Future[None]) -> None:
        last_renew = self.clock.now()
        while not work.done():
            sleeper = asyncio.ensure_future(self.clock.sleep(self.config.retry_period))
            await asyncio.wait({sleeper, work}, return_when=asyncio.FIRST_COMPLETED)
            sleeper.cancel()
            if work.done():
                return
            try:
                renewed = await asyncio.wait_for(
                    self.try_acquire_or_renew(),
                    max(0.001, self.config.renew_deadline - (self.clock.now() - last_renew)),
                )
            except TimeoutError:
                renewed = False
            if renewed:
                last_renew = self.clock.now()
            elif self._observed is not None and self._observed[0] != self.config.identity:
                log.warning(
                    "lease %s: %s was replaced by %s",
                    self.config.name,
                    self.config.identity,
                    self._observed[0],
                )
                return
            elif self.clock.now() - last_renew >= self.config.renew_deadline:
                log.warning("lease %s: %s lost leadership", self.config.name, self.config.identity)
                return
