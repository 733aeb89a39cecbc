"""Prometheus metrics of the API client, registered on a registry the caller passes in."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 25, 30, 45, 60, 120)


class ClientMetrics:
    """client-go's `rest_client_*` family. Pass `registry` to keep tests isolated."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.requests = Counter(
            "rest_client_requests",
            "API requests by verb and HTTP status code (or 'error').",
            ["verb", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rest_client_request_duration_seconds",
            "API request latency by verb.",
            ["verb"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.rate_limiter_wait = Histogram(
            "rest_client_rate_limiter_duration_seconds",
            "Time spent waiting for the client-side rate limiter.",
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.retries = Counter(
            "rest_client_request_retries",
            "Requests retried, by verb and reason.",
            ["verb", "reason"],
            registry=self.registry,
        )
