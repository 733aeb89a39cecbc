"""Typed errors for Kubernetes API failures, built from the server's `Status` object."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pykro.errors import Problem, PykroError


@dataclass(frozen=True)
class Cause:
    """One entry of `status.details.causes` (for `Invalid`, one per bad field)."""

    field: str
    reason: str
    message: str


class KubeError(PykroError):
    """Base for everything the client raises: configuration, connection and API errors."""


class ConfigError(KubeError):
    """The kubeconfig or in-cluster configuration is missing or unusable."""


class ConnectionFailed(KubeError):
    """The API server could not be reached (after retries, for idempotent requests)."""


class ApiError(KubeError):
    """The API server answered with a failure `Status`; `status` is that object as a dict."""

    def __init__(self, status: Mapping[str, Any]) -> None:
        self.status: dict[str, Any] = dict(status)
        self.code: int = int(self.status.get("code") or 0)
        self.reason: str = str(self.status.get("reason") or "")
        self.message: str = str(self.status.get("message") or self.reason or f"HTTP {self.code}")
        details = self.status.get("details") or {}
        self.causes: tuple[Cause, ...] = tuple(
            Cause(str(c.get("field", "")), str(c.get("reason", "")), str(c.get("message", "")))
            for c in details.get("causes") or ()
        )
        problems = tuple(Problem(c.field, c.message) for c in self.causes)
        super().__init__(f"{self.code} {self.reason}: {self.message}", problems)


class NotFound(ApiError):
    """404: the object (or its kind) does not exist."""


class AlreadyExists(ApiError):
    """409 with reason AlreadyExists: create of an existing name."""


class Conflict(ApiError):
    """409: stale resourceVersion or a server-side-apply field conflict."""


class Invalid(ApiError):
    """422: the object failed validation; `causes` names each bad field."""


class Gone(ApiError):
    """410: the requested resourceVersion is older than the server keeps (re-list needed)."""


class Forbidden(ApiError):
    """403: the credentials may not do this."""


class Unauthorized(ApiError):
    """401: the credentials were rejected."""


class TooManyRequests(ApiError):
    """429: the server asked the client to back off."""


class ServerError(ApiError):
    """5xx: the server failed."""


_BY_CODE: dict[int, type[ApiError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    422: Invalid,
    429: TooManyRequests,
}


def error_from_status(status: Mapping[str, Any]) -> ApiError:
    """The most specific `ApiError` subclass for a failure `Status`."""
    code = int(status.get("code") or 0)
    if code == 409 and status.get("reason") == "AlreadyExists":
        return AlreadyExists(status)
    if code == 410 or status.get("reason") in ("Expired", "Gone"):
        return Gone(status)
    cls = _BY_CODE.get(code)
    if cls is None:
        cls = ServerError if code >= 500 else ApiError
    return cls(status)


def status_from_body(code: int, body: bytes, url: str) -> dict[str, Any]:
    """The `Status` carried by an error response, or a synthetic one when the body isn't a Status."""
    try:
        doc = json.loads(body) if body else None
    except ValueError:
        doc = None
    if isinstance(doc, dict) and doc.get("kind") == "Status":
        doc.setdefault("code", code)
        return doc
    text = body.decode("utf-8", "replace").strip()[:500]
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "code": code,
        "reason": _REASONS.get(code, "Unknown"),
        "message": f"{url}: {text}" if text else url,
    }


_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Gone",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}
