"""One place where every API request goes: rate limit, timeout, retry, metrics, error mapping."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx2 as httpx

from pykro.kube.backoff import Backoff
from pykro.kube.clock import DEFAULT_CLOCK, Clock
from pykro.kube.config import ClientConfig
from pykro.kube.errors import ConnectionFailed, error_from_status, status_from_body
from pykro.kube.metrics import ClientMetrics
from pykro.kube.ratelimit import TokenBucket

log = logging.getLogger("pykro.kube")

JSON = "application/json"
_RETRYABLE_5XX = frozenset({500, 502, 503, 504})
_MAX_RETRY_AFTER = 60.0
# Far above any object the API server stores (etcd's limit is 1.5 MiB), small enough to bound memory.
MAX_WATCH_LINE = 32 * 1024 * 1024


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return min(_MAX_RETRY_AFTER, max(0.0, float(value)))
    except ValueError:
        return None


class Reachability:
    """Says once that the API server cannot be reached, and once that it can again: an outage is
    one WARNING and one INFO line, however many requests and informers fail meanwhile."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.down_since: float | None = None

    def failed(self, err: Exception) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            log.warning("cannot reach the API server at %s (%s); retrying", self.server, err)

    def answered(self) -> None:
        if self.down_since is not None:
            log.info(
                "the API server at %s answers again (after %.1f s)",
                self.server,
                time.monotonic() - self.down_since,
            )
            self.down_since = None


class Transport:
    """Sends requests with a client-side token bucket and bounded retries.

    Retries: 429 for any verb (the server did not act on it; `Retry-After` honoured); 5xx and
    connection loss only when `idempotent` (GET, PUT, DELETE, server-side apply), because a
    POST or merge patch may have been applied before the failure.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        http: httpx.AsyncClient | None = None,
        metrics: ClientMetrics | None = None,
        clock: Clock = DEFAULT_CLOCK,
        backoff: Backoff | None = None,
    ) -> None:
        self.config = config
        self.http = http if http is not None else config.http_client()
        self.metrics = metrics if metrics is not None else ClientMetrics()
        self.clock = clock
        self.limiter = TokenBucket(config.qps, config.burst, clock=clock)
        self._backoff_template = backoff or Backoff(initial=0.1, maximum=5.0)
        self.reachability = Reachability(config.server)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _throttle(self) -> None:
        waited = await self.limiter.acquire()
        self.metrics.rate_limiter_wait.observe(waited)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str = JSON,
        accept: str = JSON,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send one request (retrying when safe); return the 2xx response or raise a typed error."""
        if idempotent is None:
            idempotent = method in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")
        content = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        headers = {"Accept": accept}
        if content is not None:
            headers["Content-Type"] = content_type
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        backoff = dataclasses.replace(self._backoff_template, attempts=0)  # per request: retries start small
        attempt = 0
        while True:
            attempt += 1
            await self._throttle()
            started = time.perf_counter()
            try:
                response = await self.http.request(
                    method, path, params=clean, content=content, headers=headers
                )
            except httpx.TransportError as err:
                self.metrics.requests.labels(method, "error").inc()
                self.reachability.failed(err)
                # A refused connection never reached the server, so retrying is safe for any verb.
                safe = idempotent or isinstance(err, httpx.ConnectError)
                if not safe or attempt > self.config.max_retries:
                    raise ConnectionFailed(f"{method} {path}: {type(err).__name__}: {err}") from err
                self.metrics.retries.labels(method, "connection").inc()
                await self.clock.sleep(backoff.next_delay())
                continue
            finally:
                self.metrics.latency.labels(method).observe(time.perf_counter() - started)
            code = response.status_code
            self.reachability.answered()
            self.metrics.requests.labels(method, str(code)).inc()
            if code < 400:
                return response
            retry = attempt <= self.config.max_retries and (
                code == 429 or (idempotent and code in _RETRYABLE_5XX)
            )
            if not retry:
                raise error_from_status(status_from_body(code, response.content, f"{method} {path}"))
            self.metrics.retries.labels(method, str(code)).inc()
            delay = _retry_after(response)
            await self.clock.sleep(delay if delay is not None else backoff.next_delay())

    async def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.request(method, path, **kwargs)
        return response.json() if response.content else None

    @asynccontextmanager
    async def stream(
        self,
        path: str,
        *,
        params: Mapping[str, Any],
        read_timeout: float,
        accept: str = JSON,
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        """A long-lived GET (watch): yields an iterator over its newline-delimited lines.

        Not retried here: the caller (an informer) owns reconnection and resumption.
        """
        await self._throttle()
        timeout = httpx.Timeout(self.config.timeout, read=read_timeout)
        clean = {k: v for k, v in params.items() if v is not None}
        request = self.http.build_request(
            "GET", path, params=clean, headers={"Accept": accept}, timeout=timeout
        )
        try:
            response = await self.http.send(request, stream=True)
        except httpx.TransportError as err:
            self.metrics.requests.labels("WATCH", "error").inc()
            self.reachability.failed(err)
            raise ConnectionFailed(f"WATCH {path}: {type(err).__name__}: {err}") from err
        self.reachability.answered()
        try:
            self.metrics.requests.labels("WATCH", str(response.status_code)).inc()
            if response.status_code >= 400:
                body = await response.aread()
                raise error_from_status(status_from_body(response.status_code, body, f"WATCH {path}"))
            yield _lines(response, path)
        finally:
            await response.aclose()


async def _lines(response: httpx.Response, path: str) -> AsyncIterator[bytes]:
    buffer = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            start = len(buffer)  # only the new bytes can hold the next newline
            buffer += chunk
            while (idx := buffer.find(b"\n", start)) >= 0:
                line = bytes(buffer[:idx])
                del buffer[: idx + 1]
                start = 0
                if line.strip():
                    yield line
            if len(buffer) > MAX_WATCH_LINE:
                # A stream that never ends its line would grow this buffer without bound.
                raise ConnectionFailed(f"WATCH {path}: an event exceeds {MAX_WATCH_LINE} bytes")
    except httpx.TransportError as err:
        raise ConnectionFailed(f"WATCH {path}: {type(err).__name__}: {err}") from err
    if buffer.strip():
        yield bytes(buffer)
