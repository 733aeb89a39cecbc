"""Embedded Kubernetes API server (HTTPS, discovery, OpenAPI, CRDs, watch, SQLite persistence).

The folders follow a request's path, as kube-apiserver's do:
`endpoints` (HTTP) → `registry` (object semantics) → `admission` (defaulting, validation) →
`storage` (SQLite, event log, watch fan-out); `machinery` holds the kind-agnostic pieces all of
them use (Status errors, selectors, patches, field sets); `controllers` are the simulated
cluster controllers, clients of the registry. `server.py` assembles them.

Only `EmbeddedAPIServer` is public. It is imported on first use, so that importing any module of
this package (the validation code, say) does not import aiohttp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pykro.apiserver.server import EmbeddedAPIServer

__all__ = ["EmbeddedAPIServer"]


def __getattr__(name: str) -> Any:
    if name == "EmbeddedAPIServer":
        from pykro.apiserver.server import EmbeddedAPIServer

        return EmbeddedAPIServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
