"""Connection handling as kube-apiserver's Go `http.Server` configures it (secure_serving.go).

- `MaxHeaderBytes: 1 << 20`: a request line or header up to 1 MiB is read; a longer one gets 431, here
  as a `Status` object (Go writes plain text) like every other failure of this server.
- `ReadHeaderTimeout: 32s`: a connection that completes TLS and sends no request is closed after it.
- `IdleTimeout: 90s`: a kept-alive connection idle between requests is closed after it.
aiohttp offers one keep-alive timer for both waits; the request handler below arms it with the header
timeout for the first request, and otherwise answers malformed requests with a `Status` too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus

from aiohttp import web
from aiohttp.http_exceptions import LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_server import Server

from pykro.apiserver.machinery.status import ApiError

MAX_HEADER_BYTES = 1 << 20


@dataclass(frozen=True)
class ConnectionLimits:
    read_header_timeout: float = 32.0  # seconds a new connection may take to send its first request
    idle_timeout: float = 90.0  # seconds a kept-alive connection may wait for its next request


DEFAULT_CONNECTION_LIMITS = ConnectionLimits()


class _StatusRequestHandler(RequestHandler):
    read_header_timeout = ConnectionLimits.read_header_timeout

    def connection_made(self, transport: object) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        # The base class armed the idle timer; the first request gets the (shorter) header timeout.
        if self._keepalive_handle is not None:
            self._keepalive_handle.cancel()
            self._next_keepalive_close_time = self._loop.time() + self.read_header_timeout
            self._keepalive_handle = self._loop.call_at(
                self._next_keepalive_close_time, self._process_keepalive
            )

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status == 500 or request.writer.output_size > 0:
            return super().handle_error(request, status, exc, message)
        if isinstance(exc, LineTooLong):
            status = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
            message = f"{status.value} {status.phrase}"
        error = ApiError(status, "BadRequest" if status == 400 else "", message or HTTPStatus(status).phrase)
        resp = web.Response(
            status=status, body=json.dumps(error.status()).encode(), content_type="application/json"
        )
        resp.force_close()
        return resp


class _StatusServer(Server):
    read_header_timeout = ConnectionLimits.read_header_timeout

    def __call__(self) -> RequestHandler:
        handler = _StatusRequestHandler(self, loop=self._loop, **self._kwargs)
        handler.read_header_timeout = self.read_header_timeout
        return handler


class ApiRunner(web.AppRunner):
    """An `AppRunner` whose connections follow `limits` and whose protocol errors are `Status` objects."""

    def __init__(self, app: web.Application, limits: ConnectionLimits) -> None:
        super().__init__(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=2.0,
            keepalive_timeout=limits.idle_timeout,
            max_line_size=MAX_HEADER_BYTES,
            max_field_size=MAX_HEADER_BYTES,
        )
        self._limits = limits

    async def _make_server(self) -> Server:
        server = await super()._make_server()
        server.__class__ = _StatusServer  # the same server, building the handler above for connections
        assert isinstance(server, _StatusServer)
        server.read_header_timeout = self._limits.read_header_timeout
        return server
