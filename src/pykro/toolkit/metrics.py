"""Prometheus metrics of the controller runtime, on a registry the caller passes in."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from pykro.kube.metrics import DURATION_BUCKETS


class RuntimeMetrics:
    """Queue, reconcile and informer metrics. One instance per registry (tests make their own)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.queue_depth = Gauge("workqueue_depth", "Keys waiting in the queue.", ["name"], registry=r)
        self.queue_adds = Counter("workqueue_adds", "Keys added to the queue.", ["name"], registry=r)
        self.retries = Counter("workqueue_retries", "Rate-limited re-adds.", ["name"], registry=r)
        self.work_duration = Histogram(
            "workqueue_work_duration_seconds",
            "Time spent reconciling one key.",
            ["name"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.reconciles = Counter(
            "controller_reconcile",
            "Reconcile outcomes (done, requeue, requeue_after, error).",
            ["name", "result"],
            registry=r,
        )
        self.watch_restarts = Counter(
            "informer_watch_restarts",
            "Watch reconnects, by reason (closed, expired, error, not_found).",
            ["gvr", "reason"],
            registry=r,
        )
        self.relists = Counter(
            "informer_relists", "Full LISTs performed by an informer.", ["gvr"], registry=r
        )
        self.events = Counter(
            "informer_events",
            "Events delivered to handlers, by type.",
            ["gvr", "event_type"],
            registry=r,
        )
        self.informers = Gauge("informer_count", "Informers currently running.", registry=r)
        self.leader = Gauge(
            "leader_election_is_leader", "1 while this replica holds the lease.", ["lease"], registry=r
        )
