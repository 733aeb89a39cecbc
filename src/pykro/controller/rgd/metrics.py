"""Prometheus metrics of the RGD controller (spec §8.3, the `rgd_*` subset)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from pykro.kube.metrics import DURATION_BUCKETS


class RGDMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        r = registry if registry is not None else CollectorRegistry()
        self.registry = r
        self.builds = Counter("rgd_graph_build", "Graph builds, by RGD.", ["name"], registry=r)
        self.build_duration = Histogram(
            "rgd_graph_build_duration_seconds",
            "Time to build one RGD's graph.",
            ["name"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.build_errors = Counter(
            "rgd_graph_build_errors", "Graph builds that failed.", ["name"], registry=r
        )
        self.state_transitions = Counter(
            "rgd_state_transitions",
            "RGD state changes.",
            ["name", "from", "to"],
            registry=r,
        )
        self.deletions = Counter("rgd_deletions", "RGD deletions cleaned up.", ["name"], registry=r)
        self.deletion_duration = Histogram(
            "rgd_deletion_duration_seconds",
            "Time to clean up after an RGD deletion.",
            ["name"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
