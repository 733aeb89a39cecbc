"""Where the cluster is and how to authenticate: kubeconfig files and in-cluster service accounts.

lightkube does the parsing and authentication (tokens, token files, exec plugins, client
certificates, CA data; see `pykro.kube.auth`); this module picks the context, wraps its errors as
`ConfigError`, and adds the client's own knobs (rate limit, timeouts, retries).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lightkube.config.kubeconfig import SERVICE_ACCOUNT, KubeConfig, SingleConfig
from lightkube.core.exceptions import ConfigError as LightkubeConfigError

from pykro.errors import Problem
from pykro.kube.errors import ConfigError


@dataclass(frozen=True)
class ClientConfig:
    """A resolved cluster connection plus client behaviour.

    `qps`/`burst` feed the client-side token bucket; `timeout` bounds every non-watch request;
    `max_retries` bounds retries of idempotent requests on 429, 5xx and connection loss.
    """

    connection: SingleConfig
    qps: float = 50.0
    burst: int = 100
    timeout: float = 30.0
    max_retries: int = 5

    @property
    def server(self) -> str:
        return str(self.connection.cluster.server)

    @property
    def namespace(self) -> str:
        """The context's default namespace ("default" when unset)."""
        return str(self.connection.namespace)

    @property
    def context_name(self) -> str:
        return str(self.connection.context_name)


def default_kubeconfig_path() -> Path:
    """The first file named by `$KUBECONFIG` (merging several is not supported), else `~/.kube/config`."""
    env = os.environ.get("KUBECONFIG", "")
    return Path(env.split(os.pathsep)[0]) if env else Path.home() / ".kube" / "config"


def load_kubeconfig(
    path: str | os.PathLike[str] | None = None,
    *,
    context: str | None = None,
    qps: float = 50.0,
    burst: int = 100,
    timeout: float = 30.0,
    max_retries: int = 5,
) -> ClientConfig:
    """Read a kubeconfig file (default: `$KUBECONFIG`, then `~/.kube/config`) and select `context`
    (default: its `current-context`)."""
    if path is None:
        path = default_kubeconfig_path()
    source = str(path)
    try:
        kubeconfig = KubeConfig.from_file(Path(path).expanduser())
        single = kubeconfig.get(context_name=context)
    except (LightkubeConfigError, KeyError, TypeError, ValueError) as err:
        what = f"unknown cluster or user {err}" if isinstance(err, KeyError) else str(err)
        raise ConfigError(f"cannot load kubeconfig {source}: {what}", (Problem("", what, source),)) from err
    except Exception as err:  # malformed YAML or wrong structure: msgspec / yaml errors
        raise ConfigError(
            f"cannot load kubeconfig {source}: {err}", (Problem("", str(err), source),)
        ) from err
    assert single is not None  # get() without a default either returns or raises
    return ClientConfig(single, qps=qps, burst=burst, timeout=timeout, max_retries=max_retries)


def in_cluster_config(
    service_account_dir: str | os.PathLike[str] = SERVICE_ACCOUNT,
    *,
    qps: float = 50.0,
    burst: int = 100,
    timeout: float = 30.0,
    max_retries: int = 5,
) -> ClientConfig:
    """The pod's service account: token (re-read on 401), CA and namespace under `service_account_dir`,
    server from `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT`."""
    where = str(service_account_dir)
    if not os.environ.get("KUBERNETES_SERVICE_HOST") or not os.environ.get("KUBERNETES_SERVICE_PORT"):
        msg = "not running in a cluster: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set"
        raise ConfigError(msg, (Problem("", msg, where),))
    try:
        single = KubeConfig.from_service_account(service_account_dir).get()
    except LightkubeConfigError as err:
        raise ConfigError(
            f"cannot read service account in {where}: {err}", (Problem("", str(err), where),)
        ) from err
    assert single is not None
    return ClientConfig(single, qps=qps, burst=burst, timeout=timeout, max_retries=max_retries)
