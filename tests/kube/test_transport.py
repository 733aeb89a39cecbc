"""Retries, rate limiting, timeouts and error mapping of the transport.

These drive the transport with scripted HTTP answers (httpx's MockTransport) because the
embedded API server never answers 429/503 on purpose; everything else is tested against it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx2 as httpx
import pytest
from lightkube.config.kubeconfig import KubeConfig
from prometheus_client import CollectorRegistry

from pykro.kube.clock import ManualClock
from pykro.kube.config import ClientConfig
from pykro.kube.errors import (
    AlreadyExists,
    Conflict,
    ConnectionFailed,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    ServerError,
    TooManyRequests,
    Unauthorized,
)
from pykro.kube.metrics import ClientMetrics
from pykro.kube.transport import Transport

Script = Callable[[httpx.Request], httpx.Response]


class InstantClock(ManualClock):
    """Sleeping just advances time, so retry delays are observable and tests don't wait."""

    def __init__(self) -> None:
        super().__init__()
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self._now += max(0.0, seconds)


def make_transport(
    script: Script, *, qps: float = 1000.0, burst: int = 1000, max_retries: int = 3
) -> tuple[Transport, InstantClock, CollectorRegistry]:
    single = KubeConfig.from_server("https://k8s.test").get()
    assert single is not None
    config = ClientConfig(single, qps=qps, burst=burst, max_retries=max_retries)
    http = httpx.AsyncClient(base_url="https://k8s.test", transport=httpx.MockTransport(script))
    clock = InstantClock()
    registry = CollectorRegistry()
    return Transport(config, http=http, clock=clock, metrics=ClientMetrics(registry)), clock, registry


def status(code: int, reason: str, **extra: object) -> httpx.Response:
    return httpx.Response(
        code,
        json={
            "kind": "Status",
            "status": "Failure",
            "code": code,
            "reason": reason,
            "message": f"{reason} happened",
            **extra,
        },
    )


async def test_429_is_retried_after_the_servers_retry_after() -> None:
    answers = [
        httpx.Response(429, headers={"Retry-After": "3"}, json={}),
        httpx.Response(200, json={"ok": 1}),
    ]
    transport, clock, registry = make_transport(lambda r: answers.pop(0))
    assert await transport.request_json("POST", "/api/v1/namespaces/x/configmaps", body={}) == {"ok": 1}
    assert clock.slept == [3.0]
    assert (
        registry.get_sample_value("rest_client_request_retries_total", {"verb": "POST", "reason": "429"}) == 1
    )


async def test_503_is_retried_for_get_but_not_for_post() -> None:
    calls: list[str] = []

    def script(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return status(503, "ServiceUnavailable") if len(calls) < 3 else httpx.Response(200, json={})

    transport, clock, _ = make_transport(script)
    await transport.request("GET", "/api")
    assert calls == ["GET", "GET", "GET"]
    assert len(clock.slept) == 2 and clock.slept[1] > clock.slept[0] * 1.2, "backoff grows"
    calls.clear()
    with pytest.raises(ServerError):
        await transport.request("POST", "/api", body={})
    assert calls == ["POST"]


async def test_apply_patch_counts_as_idempotent() -> None:
    calls: list[str] = []

    def script(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers["Content-Type"])
        return status(502, "BadGateway") if len(calls) == 1 else httpx.Response(200, json={})

    transport, _, _ = make_transport(script)
    await transport.request(
        "PATCH", "/x", body={}, content_type="application/apply-patch+yaml", idempotent=True
    )
    assert calls == ["application/apply-patch+yaml"] * 2


async def test_retries_are_bounded() -> None:
    calls = 0

    def script(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return status(503, "ServiceUnavailable")

    transport, _, _ = make_transport(script, max_retries=2)
    with pytest.raises(ServerError, match="ServiceUnavailable"):
        await transport.request("GET", "/api")
    assert calls == 3


async def test_connection_loss_is_retried_for_idempotent_verbs_only() -> None:
    calls: list[str] = []

    def script(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) == 1 or request.method == "PATCH":
            raise httpx.ReadError("connection reset", request=request)
        return httpx.Response(200, json={"done": True})

    transport, _, _ = make_transport(script)
    assert await transport.request_json("DELETE", "/x") == {"done": True}
    with pytest.raises(ConnectionFailed, match="ReadError"):
        await transport.request("PATCH", "/x", body=[], content_type="application/json-patch+json")
    assert calls == ["DELETE", "DELETE", "PATCH"]


async def test_timeouts_surface_as_connection_failures() -> None:
    def script(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    transport, _, _ = make_transport(script, max_retries=1)
    with pytest.raises(ConnectionFailed, match="ReadTimeout"):
        await transport.request("GET", "/api")


@pytest.mark.parametrize(
    ("code", "reason", "error"),
    [
        (404, "NotFound", NotFound),
        (409, "Conflict", Conflict),
        (409, "AlreadyExists", AlreadyExists),
        (410, "Expired", Gone),
        (403, "Forbidden", Forbidden),
        (401, "Unauthorized", Unauthorized),
        (422, "Invalid", Invalid),
        (429, "TooManyRequests", TooManyRequests),
    ],
)
async def test_failure_status_maps_to_a_typed_error(code: int, reason: str, error: type[Exception]) -> None:
    transport, _, _ = make_transport(lambda r: status(code, reason), max_retries=0)
    with pytest.raises(error) as info:
        await transport.request("POST", "/x", body={})
    assert info.value.status["reason"] == reason  # type: ignore[attr-defined]


async def test_invalid_carries_its_causes_as_problems() -> None:
    details = {
        "causes": [{"field": "spec.replicas", "reason": "FieldValueInvalid", "message": "must be >= 0"}]
    }
    transport, _, _ = make_transport(lambda r: status(422, "Invalid", details=details))
    with pytest.raises(Invalid) as info:
        await transport.request("POST", "/x", body={})
    assert [c.field for c in info.value.causes] == ["spec.replicas"]
    assert info.value.lines() == ["spec.replicas: must be >= 0"]


async def test_non_status_error_body_still_gives_a_typed_error() -> None:
    transport, _, _ = make_transport(lambda r: httpx.Response(404, text="404 page not found"))
    with pytest.raises(NotFound, match="404 page not found"):
        await transport.request("GET", "/nothing")


async def test_client_side_token_bucket_spaces_requests() -> None:
    transport, clock, registry = make_transport(lambda r: httpx.Response(200, json={}), qps=5, burst=2)
    for _ in range(6):
        await transport.request("GET", "/api")
    assert len(clock.slept) == 4
    assert clock.now() == pytest.approx(0.8), "2 burst tokens, then 4 more at 5/s"
    assert registry.get_sample_value("rest_client_requests_total", {"verb": "GET", "code": "200"}) == 6


async def test_watch_lines_split_across_chunks_and_an_endless_line_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("pykro.kube.transport.MAX_WATCH_LINE", 64)
    chunks = [b'{"type":"ADD', b'ED"}\n\n{"type":"MODIFIED"}\n{"ty', b'pe":"DELETED"}', b"x" * 100]
    # An async iterator as the body arrives chunk by chunk, so lines must be reassembled.
    transport, _, _ = make_transport(lambda r: httpx.Response(200, content=_chunked(chunks)))
    seen: list[bytes] = []
    with pytest.raises(ConnectionFailed, match="exceeds 64 bytes"):
        async with transport.stream("/api/v1/configmaps", params={"watch": "true"}, read_timeout=5) as lines:
            async for line in lines:
                seen.append(line)
    assert seen == [b'{"type":"ADDED"}', b'{"type":"MODIFIED"}']


async def _chunked(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk
