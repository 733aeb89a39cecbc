"""`pykro run`: the controller alone, against any cluster (kro's controller binary, spec §8.1)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

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


def client_config(kubeconfig: Path | None, context: str | None, qps: float, burst: int) -> ClientConfig:
    """The kubeconfig given, else $KUBECONFIG / ~/.kube/config, else the pod's service account."""
    from pykro.kube import in_cluster_config, load_kubeconfig
    from pykro.kube.config import default_kubeconfig_path

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
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account).",
)
@click.option("--context", default=None, help="Kubeconfig context (default: its current-context).")
@click.option("--leader-elect", is_flag=True, help="Run only while holding the controller.kro.run Lease.")
@click.option(
    "--leader-election-namespace",
    default=None,
    help="Namespace of the Lease (default: the context's or pod's namespace).",
)
@click.option(
    "--metrics-bind-address",
    default=":8078",
    show_default=True,
    help="HOST:PORT serving /metrics; 0 disables.",
)
@click.option(
    "--health-probe-bind-address",
    default=":8079",
    show_default=True,
    help="HOST:PORT serving /healthz and /readyz; 0 disables.",
)
@click.option("--allow-crd-deletion", is_flag=True, help="Delete an RGD's CRD when the RGD is deleted.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Concurrent instance reconciles.",
)
@click.option(
    "--rgd-workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Concurrent ResourceGraphDefinition reconciles.",
)
@click.option(
    "--instance-requeue-interval",
    type=click.FloatRange(min=0),
    default=3.0,
    show_default=True,
    help="Seconds before an unsettled instance is reconciled again (0 disables).",
)
@click.option(
    "--rgd-max-graph-revisions",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="GraphRevisions kept per RGD; older ones are deleted.",
)
@click.option(
    "--rgd-progress-requeue-delay",
    type=click.FloatRange(min=0.1),
    default=3.0,
    show_default=True,
    help="Seconds before an RGD waiting on its revisions is looked at again.",
)
@click.option(
    "--graph-revision-workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Concurrent GraphRevision compilations.",
)
@click.option("--client-qps", type=click.FloatRange(min=0.1), default=100.0, show_default=True)
@click.option("--client-burst", type=click.IntRange(min=1), default=150, show_default=True)
@log_options
def command(
    kubeconfig: Path | None,
    context: str | None,
    leader_elect: bool,
    leader_election_namespace: str | None,
    metrics_bind_address: str,
    health_probe_bind_address: str,
    allow_crd_deletion: bool,
    workers: int,
    rgd_workers: int,
    instance_requeue_interval: float,
    rgd_max_graph_revisions: int,
    rgd_progress_requeue_delay: float,
    graph_revision_workers: int,
    client_qps: float,
    client_burst: int,
    log_format: str,
    log_level: str,
) -> None:
    """Run the pykro controller against a cluster until SIGINT/SIGTERM."""
    from pykro.controller.manager import ManagerOptions, parse_bind_address

    setup_logging(log_format, log_level)
    parse_bind_address(metrics_bind_address, "--metrics-bind-address")  # fail before connecting
    parse_bind_address(health_probe_bind_address, "--health-probe-bind-address")
    if kubeconfig is not None and not kubeconfig.is_file():
        raise PykroError(
            f"{kubeconfig}: kubeconfig not found",
            (Problem("--kubeconfig", "file not found", str(kubeconfig)),),
        )
    options = ManagerOptions(
        workers=workers,
        rgd_workers=rgd_workers,
        allow_crd_deletion=allow_crd_deletion,
        requeue_interval=instance_requeue_interval,
        leader_elect=leader_elect,
        leader_election_namespace=leader_election_namespace,
        metrics_bind_address=metrics_bind_address,
        health_probe_bind_address=health_probe_bind_address,
        qps=client_qps,
        burst=client_burst,
        max_graph_revisions=rgd_max_graph_revisions,
        progress_requeue_delay=rgd_progress_requeue_delay,
        graph_revision_workers=graph_revision_workers,
    )
    asyncio.run(_run(client_config(kubeconfig, context, client_qps, client_burst), options))
