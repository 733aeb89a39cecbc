"""Retries, rate limiting, timeouts and error mapping of the transport.

These drive the transport against a small local HTTP server that answers from a script, because
the embedded API server never answers 429/503 on purpose; everything else is tested against it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from lightkube.config.client_adapter import BearerTokenFileAuth
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

Script = Callable[[web.Request], Awaitable[web.StreamResponse]]


class InstantClock(ManualClock):
    """Sleeping just advances time, so retry delays are observable and tests don't wait."""

    def __init__(self) -> None:
        super().__init__()
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self._now += max(0.0, seconds)


@dataclass
class Scripted:
    transport: Transport
    clock: InstantClock
    registry: CollectorRegistry


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[..., Awaitable[Scripted]]]:
    """`await scripted(script, **config)`: a transport whose every request `script` answers."""
    runners: list[web.AppRunner] = []
    transports: list[Transport] = []

    async def make(
        script: Script, *, qps: float = 1000.0, burst: int = 1000, max_retries: int = 3, timeout: float = 30.0
    ) -> Scripted:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", script)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        single = KubeConfig.from_server(f"http://127.0.0.1:{port}").get()
        assert single is not None
        config = ClientConfig(single, qps=qps, burst=burst, max_retries=max_retries, timeout=timeout)
        clock, registry = InstantClock(), CollectorRegistry()
        transport = Transport(config, clock=clock, metrics=ClientMetrics(registry))
        transports.append(transport)
        return Scripted(transport, clock, registry)

    yield make
    for transport in transports:
        await transport.aclose()
    for runner in runners:
        await runner.cleanup()


def answers(*responses: web.StreamResponse) -> Script:
    queue = list(responses)

    async def script(request: web.Request) -> web.StreamResponse:
        return queue.pop(0)

    return script


def status(code: int, reason: str, **extra: object) -> web.Response:
    return web.json_response(
        {
            "kind": "Status",
            "status": "Failure",
            "code": code,
            "reason": reason,
            "message": f"{reason} happened",
            **extra,
        },
        status=code,
    )


async def hang_up(request: web.Request) -> web.StreamResponse:
    """Drop the connection without answering, as a crashed server or a reset would."""
    assert request.transport is not None
    request.transport.close()
    return web.Response()


Make = Callable[..., Awaitable[Scripted]]


async def test_429_is_retried_after_the_servers_retry_after(scripted: Make) -> None:
    it = await scripted(
        answers(
            web.json_response({}, status=429, headers={"Retry-After": "3"}),
            web.json_response({"ok": 1}),
        )
    )
    assert await it.transport.request_json("POST", "/api/v1/namespaces/x/configmaps", body={}) == {"ok": 1}
    assert it.clock.slept == [3.0]
    assert (
        it.registry.get_sample_value("rest_client_request_retries_total", {"verb": "POST", "reason": "429"})
        == 1
    )


async def test_503_is_retried_for_get_but_not_for_post(scripted: Make) -> None:
    calls: list[str] = []

    async def script(request: web.Request) -> web.StreamResponse:
        calls.append(request.method)
        return status(503, "ServiceUnavailable") if len(calls) < 3 else web.json_response({})

    it = await scripted(script)
    await it.transport.request("GET", "/api")
    assert calls == ["GET", "GET", "GET"]
    assert len(it.clock.slept) == 2 and it.clock.slept[1] > it.clock.slept[0] * 1.2, "backoff grows"
    calls.clear()
    with pytest.raises(ServerError):
        await it.transport.request("POST", "/api", body={})
    assert calls == ["POST"]


async def test_apply_patch_counts_as_idempotent(scripted: Make) -> None:
    calls: list[str] = []

    async def script(request: web.Request) -> web.StreamResponse:
        calls.append(request.headers["Content-Type"])
        return status(502, "BadGateway") if len(calls) == 1 else web.json_response({})

    it = await scripted(script)
    await it.transport.request(
        "PATCH", "/x", body={}, content_type="application/apply-patch+yaml", idempotent=True
    )
    assert calls == ["application/apply-patch+yaml"] * 2


async def test_retries_are_bounded(scripted: Make) -> None:
    calls = 0

    async def script(request: web.Request) -> web.StreamResponse:
        nonlocal calls
        calls += 1
        return status(503, "ServiceUnavailable")

    it = await scripted(script, max_retries=2)
    with pytest.raises(ServerError, match="ServiceUnavailable"):
        await it.transport.request("GET", "/api")
    assert calls == 3


async def test_connection_loss_is_retried_for_idempotent_verbs_only(scripted: Make) -> None:
    calls: list[str] = []

    async def script(request: web.Request) -> web.StreamResponse:
        calls.append(request.method)
        if len(calls) == 1 or request.method == "PATCH":
            return await hang_up(request)
        return web.json_response({"done": True})

    it = await scripted(script)
    assert await it.transport.request_json("DELETE", "/x") == {"done": True}
    with pytest.raises(ConnectionFailed, match="PATCH /x: ServerDisconnectedError"):
        await it.transport.request("PATCH", "/x", body=[], content_type="application/json-patch+json")
    assert calls == ["DELETE", "DELETE", "PATCH"]


async def test_a_refused_connection_is_retried_for_any_verb(scripted: Make) -> None:
    it = await scripted(answers(), max_retries=2)
    it.transport._base = "http://127.0.0.1:9"  # discard port: nothing listens, the connection is refused
    with pytest.raises(ConnectionFailed, match="POST /x: ClientConnectorError"):
        await it.transport.request("POST", "/x", body={})
    assert len(it.clock.slept) == 2, "a POST that never reached the server is safe to resend"


async def test_timeouts_surface_as_connection_failures(scripted: Make) -> None:
    async def script(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(5)
        return web.json_response({})

    it = await scripted(script, max_retries=1, timeout=0.2)
    with pytest.raises(ConnectionFailed, match="GET /api: .*Timeout.*: timed out"):
        await it.transport.request("GET", "/api")


async def test_a_401_renews_the_credentials_once(scripted: Make, tmp_path: Path) -> None:
    """A rotated service-account token is re-read from its file after a 401, and the request retried."""
    token = tmp_path / "token"
    token.write_text("old")
    seen: list[str] = []

    async def script(request: web.Request) -> web.StreamResponse:
        seen.append(request.headers.get("Authorization", ""))
        if request.headers.get("Authorization") != "Bearer new":
            return status(401, "Unauthorized")
        return web.json_response({"ok": True})

    it = await scripted(script)
    it.transport.credentials._flow = BearerTokenFileAuth(str(token))
    with pytest.raises(Unauthorized):
        await it.transport.request("GET", "/api")
    assert seen == ["Bearer old"], "the same token again is not worth a retry"
    token.write_text("new")
    assert await it.transport.request_json("GET", "/api") == {"ok": True}
    assert seen == ["Bearer old", "Bearer old", "Bearer new"]


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
async def test_failure_status_maps_to_a_typed_error(
    scripted: Make, code: int, reason: str, error: type[Exception]
) -> None:
    async def script(request: web.Request) -> web.StreamResponse:
        return status(code, reason)

    it = await scripted(script, max_retries=0)
    with pytest.raises(error) as info:
        await it.transport.request("POST", "/x", body={})
    assert info.value.status["reason"] == reason  # type: ignore[attr-defined]


async def test_invalid_carries_its_causes_as_problems(scripted: Make) -> None:
    details = {
        "causes": [{"field": "spec.replicas", "reason": "FieldValueInvalid", "message": "must be >= 0"}]
    }
    it = await scripted(answers(status(422, "Invalid", details=details)))
    with pytest.raises(Invalid) as info:
        await it.transport.request("POST", "/x", body={})
    assert [c.field for c in info.value.causes] == ["spec.replicas"]
    assert info.value.lines() == ["spec.replicas: must be >= 0"]


async def test_non_status_error_body_still_gives_a_typed_error(scripted: Make) -> None:
    it = await scripted(answers(web.Response(status=404, text="404 page not found")))
    with pytest.raises(NotFound, match="404 page not found"):
        await it.transport.request("GET", "/nothing")


async def test_client_side_token_bucket_spaces_requests(scripted: Make) -> None:
    async def script(request: web.Request) -> web.StreamResponse:
        return web.json_response({})

    it = await scripted(script, qps=5, burst=2)
    for _ in range(6):
        await it.transport.request("GET", "/api")
    assert len(it.clock.slept) == 4
    assert it.clock.now() == pytest.approx(0.8), "2 burst tokens, then 4 more at 5/s"
    assert it.registry.get_sample_value("rest_client_requests_total", {"verb": "GET", "code": "200"}) == 6


async def test_numbers_msgspec_refuses_still_decode(scripted: Make) -> None:
    """msgspec refuses a number beyond a float's range; the answer still decodes, as json.loads reads it."""
    body = b'{"spec": {"huge": 123456789012345678901234567890, "far": 1e400}}'
    it = await scripted(answers(web.Response(body=body, content_type="application/json")))
    decoded = await it.transport.request_json("GET", "/x")
    assert decoded == {"spec": {"huge": 123456789012345678901234567890, "far": float("inf")}}


async def test_watch_lines_split_across_chunks_and_an_endless_line_is_refused(
    scripted: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pykro.kube.transport.MAX_WATCH_LINE", 64)
    chunks = [b'{"type":"ADD', b'ED"}\n\n{"type":"MODIFIED"}\n{"ty', b'pe":"DELETED"}', b"x" * 100]

    async def script(request: web.Request) -> web.StreamResponse:
        # The body goes out chunk by chunk, so lines must be reassembled.
        response = web.StreamResponse()
        await response.prepare(request)
        for chunk in chunks:
            await response.write(chunk)
            await asyncio.sleep(0.01)
        await response.write_eof()
        return response

    it = await scripted(script)
    seen: list[bytes] = []
    with pytest.raises(ConnectionFailed, match="exceeds 64 bytes"):
        watch = it.transport.stream("/api/v1/configmaps", params={"watch": "true"}, read_timeout=5)
        async with watch as lines:
            async for line in lines:
                seen.append(line)
    assert seen == [b'{"type":"ADDED"}', b'{"type":"MODIFIED"}']
