"""The TLS context and the Authorization header of a kubeconfig user.

lightkube parses the kubeconfig and implements its credentials (a token, a token file, an exec
plugin, basic auth) as httpx auth flows. The transport speaks aiohttp, so `Credentials` drives those
flows on a stand-in request: once for the first header, and again after a 401, when a token file is
re-read or an exec plugin re-run. The header is cached in between, as the flows themselves cache it.
"""

from __future__ import annotations

import ssl

import httpx2 as httpx
from lightkube.config import client_adapter
from lightkube.config.kubeconfig import SingleConfig
from lightkube.core.exceptions import ConfigError as LightkubeConfigError

from pykro.errors import Problem
from pykro.kube.errors import ConfigError


def _config_error(config: SingleConfig, err: Exception) -> ConfigError:
    context = str(config.context_name)
    return ConfigError(
        f"cannot use context {context!r}: {err}",
        (Problem("", f"context {context!r}: {err}", str(config.fname or "")),),
    )


def tls_context(config: SingleConfig) -> ssl.SSLContext:
    """The cluster's CA (or none with insecure-skip-tls-verify) and the user's client certificate."""
    assert config.user is not None, "lightkube always resolves a user"
    try:
        return client_adapter.verify_cluster(config.cluster, config.user, config.abs_file)
    except (LightkubeConfigError, OSError, ValueError) as err:
        raise _config_error(config, err) from err


class Credentials:
    """The Authorization header requests carry (None: the user has no token, e.g. certificates only)."""

    def __init__(self, config: SingleConfig) -> None:
        self._config = config
        try:
            self._flow = client_adapter.user_auth(config.user)
        except LightkubeConfigError as err:
            raise _config_error(config, err) from err
        self._header: str | None = None
        self._fetched = False

    async def header(self) -> str | None:
        if not self._fetched:
            self._header = await self._run(unauthorized=False)
            self._fetched = True
        return self._header

    async def refresh(self) -> bool:
        """After a 401: ask the flow for new credentials; True when there are some to retry with."""
        if self._flow is None:
            return False
        header = await self._run(unauthorized=True)
        if header is None or header == self._header:
            return False
        self._header = header
        return True

    async def _run(self, *, unauthorized: bool) -> str | None:
        if self._flow is None:
            return None
        request = httpx.Request("GET", str(self._config.cluster.server))
        if self._header is not None:
            request.headers["Authorization"] = self._header
        flow = self._flow.async_auth_flow(request)
        try:
            request = await flow.__anext__()
            if unauthorized:
                try:
                    request = await flow.asend(httpx.Response(401, request=request))
                except StopAsyncIteration:
                    return None  # the flow has nothing better than what was refused
            return request.headers.get("Authorization")
        except LightkubeConfigError as err:  # an exec plugin failed, a token file is missing
            raise _config_error(self._config, err) from err
        finally:
            await flow.aclose()
