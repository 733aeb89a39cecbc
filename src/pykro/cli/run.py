"""`pykro run`: the controller alone, against any cluster (kro's controller binary, spec §8.1)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pykro.cli.controller_flags import controller_flags
from pykro.errors import Problem, PykroError

if TYPE_CHECKING:  # imported lazily at run time: `pykro --help` should not load the controller
    from pykro.controller.manager import ManagerOptions
    from pykro.kube.config import ClientConfig

LOG_FORMATS = ("text", "json")


class JSONFormatter(logging.Formatter):
    """One JSON object per line (for log collectors)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def setup_logging(log_format: str, level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # One line per HTTP request drowns everything else.
    for noisy in ("httpx", "httpx2", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


async def until_signalled(body: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run `body(stop)`; SIGINT/SIGTERM set `stop` (a second signal is not needed: shutdown is bounded)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await body(stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def kubeconfig_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """`--kubeconfig FILE` and `--context NAME`, for the commands that talk to a cluster."""
    func = click.option("--context", default=None, help="Kubeconfig context (default: its current-context).")(
        func
    )
    return click.option(
        "--kubeconfig",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account).",
    )(func)


def client_config(kubeconfig: Path | None, context: str | None, qps: float, burst: int) -> ClientConfig:
    """The kubeconfig given, else $KUBECONFIG / ~/.kube/config, else the pod's service account."""
    from pykro.kube import in_cluster_config, load_kubeconfig
    from pykro.kube.config import default_kubeconfig_path

    if kubeconfig is not None and not kubeconfig.is_file():
        raise PykroError(
            f"{kubeconfig}: kubeconfig not found",
            (Problem("--kubeconfig", "file not found", str(kubeconfig)),),
        )

    default = default_kubeconfig_path()
    if kubeconfig is None and not default.is_file() and os.environ.get("KUBERNETES_SERVICE_HOST"):
        return in_cluster_config(qps=qps, burst=burst)
    return load_kubeconfig(kubeconfig, context=context, qps=qps, burst=burst)


async def _run(config: ClientConfig, options: ManagerOptions) -> None:
    from pykro.controller.manager import Manager

    log = logging.getLogger("pykro.run")

    async def body(stop: asyncio.Event) -> None:
        async with Manager(config, options) as manager:
            for what, endpoint in (
                ("metrics", manager.metrics_endpoint),
                ("health probes", manager.health_endpoint),
            ):
                if endpoint is not None:
                    log.info("serving %s on %s", what, endpoint.url)
            log.info("controller started against %s", manager.client.config.server)
            await stop.wait()
            log.info("shutting down")

    await until_signalled(body)


def log_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--log-format",
        type=click.Choice(LOG_FORMATS),
        default="text",
        show_default=True,
        help="Log line format.",
    )(func)
    return click.option(
        "--log-level",
        type=click.Choice(["debug", "info", "warning", "error"]),
        default="info",
        show_default=True,
        help="Minimum level logged.",
    )(func)


@click.command("run")
@kubeconfig_options
@click.option("--leader-elect", is_flag=True, help="Run only while holding the controller.kro.run Lease.")
@click.option(
    "--leader-election-namespace",
    default=None,
    help="Namespace of the Lease (default: the context's or pod's namespace).",
)
@controller_flags(metrics=":8078", health=":8079")
@log_options
def command(
    kubeconfig: Path | None,
    context: str | None,
    leader_elect: bool,
    leader_election_namespace: str | None,
    options: ManagerOptions,
    log_format: str,
    log_level: str,
) -> None:
    """Run the pykro controller against a cluster until SIGINT/SIGTERM."""
    setup_logging(log_format, log_level)
    config = client_config(kubeconfig, context, options.qps, options.burst)
    options = replace(options, leader_elect=leader_elect, leader_election_namespace=leader_election_namespace)
    asyncio.run(_run(config, options))
