"""One place where every API request goes: rate limit, timeout, retry, metrics, error mapping.

HTTP is aiohttp's: of the Python clients it spends the least CPU per request (about a third of
httpx's, see `bench/client_bench.py`), and a controller with many instances is bound by that.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL

from pykro.jsontypes import decode_json, encode_json
from pykro.kube.auth import Credentials, tls_context
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


@dataclass(frozen=True)
class Response:
    """A complete (non-streamed) answer."""

    status: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        return decode_json(self.content) if self.content else None


def _retry_after(response: Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return min(_MAX_RETRY_AFTER, max(0.0, float(value)))
    except ValueError:
        return None


def _query(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Query parameters as strings, unset ones left out (aiohttp takes no None or bool)."""
    clean: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is not None:
            clean[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return clean


def _env_proxy(server: str) -> tuple[str | None, aiohttp.BasicAuth | None]:
    """The proxy `HTTPS_PROXY`/`HTTP_PROXY` name for the server unless `NO_PROXY` exempts it, as
    kubectl and client-go honour them. Looked up once: aiohttp's `trust_env` would look it (and netrc)
    up in a thread on every request."""
    try:
        proxy, auth = get_env_proxy_for_url(URL(server))
    except LookupError:
        return None, None
    return str(proxy), auth


def _failure(verb: str, path: str, err: BaseException) -> str:
    detail = str(err) or ("timed out" if isinstance(err, TimeoutError) else "connection failed")
    return f"{verb} {path}: {type(err).__name__}: {detail}"


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
    POST or merge patch may have been applied before the failure. A 401 is retried once when the
    credentials can be renewed (a rotated token file, an exec plugin's new token).
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        metrics: ClientMetrics | None = None,
        clock: Clock = DEFAULT_CLOCK,
        backoff: Backoff | None = None,
    ) -> None:
        self.config = config
        self.metrics = metrics if metrics is not None else ClientMetrics()
        self.clock = clock
        self.limiter = TokenBucket(config.qps, config.burst, clock=clock)
        self._backoff_template = backoff or Backoff(initial=0.1, maximum=5.0)
        self.reachability = Reachability(config.server)
        self.credentials = Credentials(config.connection)
        self._base = config.server.rstrip("/")
        self._tls = tls_context(config.connection) if self._base.startswith("https:") else None
        self._proxy, self._proxy_auth = _env_proxy(self._base)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        """The connection pool, made on first use: aiohttp wants a running event loop for it."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=self._tls if self._tls is not None else True, limit=100),
                proxy=self._proxy,
                proxy_auth=self._proxy_auth,
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _throttle(self) -> None:
        waited = await self.limiter.acquire()
        self.metrics.rate_limiter_wait.observe(waited)

    async def _headers(self, accept: str, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": accept}
        if content_type is not None:
            headers["Content-Type"] = content_type
        authorization = await self.credentials.header()
        if authorization is not None:
            headers["Authorization"] = authorization
        return headers

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
    ) -> Response:
        """Send one request (retrying when safe); return the 2xx response or raise a typed error."""
        if idempotent is None:
            idempotent = method in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")
        content = None if body is None else (body if isinstance(body, bytes) else encode_json(body))
        query = _query(params)
        url = self._base + path
        timeout = aiohttp.ClientTimeout(total=self.config.timeout)
        backoff = dataclasses.replace(self._backoff_template, attempts=0)  # per request: retries start small
        attempt = 0
        renewed = False
        while True:
            attempt += 1
            await self._throttle()
            headers = await self._headers(accept, content_type if content is not None else None)
            started = time.perf_counter()
            try:
                async with self._http().request(
                    method, url, params=query, data=content, headers=headers, timeout=timeout
                ) as answer:
                    response = Response(answer.status, answer.headers, await answer.read())
            except (aiohttp.ClientError, TimeoutError) as err:
                self.metrics.requests.labels(method, "error").inc()
                self.reachability.failed(err)
                # A refused connection never reached the server, so retrying is safe for any verb.
                safe = idempotent or isinstance(err, aiohttp.ClientConnectorError)
                if not safe or attempt > self.config.max_retries:
                    raise ConnectionFailed(_failure(method, path, err)) from err
                self.metrics.retries.labels(method, "connection").inc()
                await self.clock.sleep(backoff.next_delay())
                continue
            finally:
                self.metrics.latency.labels(method).observe(time.perf_counter() - started)
            code = response.status
            self.reachability.answered()
            self.metrics.requests.labels(method, str(code)).inc()
            if code < 400:
                return response
            if code == 401 and not renewed and await self.credentials.refresh():
                renewed = True
                continue
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
        return response.json()

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
        timeout = aiohttp.ClientTimeout(total=None, connect=self.config.timeout, sock_read=read_timeout)
        headers = await self._headers(accept, None)
        try:
            answer = await self._http().get(
                self._base + path, params=_query(params), headers=headers, timeout=timeout
            )
        except (aiohttp.ClientError, TimeoutError) as err:
            self.metrics.requests.labels("WATCH", "error").inc()
            self.reachability.failed(err)
            raise ConnectionFailed(_failure("WATCH", path, err)) from err
        self.reachability.answered()
        try:
            self.metrics.requests.labels("WATCH", str(answer.status)).inc()
            if answer.status == 401:
                await self.credentials.refresh()  # the informer's next attempt uses the new ones
            if answer.status >= 400:
                body = await answer.read()
                raise error_from_status(status_from_body(answer.status, body, f"WATCH {path}"))
            yield _lines(answer, path)
        finally:
            answer.close()  # a watch left early must not go back to the pool half read


async def _lines(answer: aiohttp.ClientResponse, path: str) -> AsyncIterator[bytes]:
    buffer = bytearray()
    try:
        async for chunk in answer.content.iter_any():
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
    except (aiohttp.ClientError, TimeoutError) as err:
        raise ConnectionFailed(_failure("WATCH", path, err)) from err
    if buffer.strip():
        yield bytes(buffer)
