"""The controller flags `pykro run` and `pykro up` share (kro's controller flags, spec §8.1),
declared once and turned into one `ManagerOptions` argument."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

_FLAGS: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
    click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=4,
        show_default=True,
        help="Concurrent instance reconciles.",
    ),
    click.option(
        "--rgd-workers",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        help="Concurrent ResourceGraphDefinition reconciles.",
    ),
    click.option("--allow-crd-deletion", is_flag=True, help="Delete an RGD's CRD when the RGD is deleted."),
    click.option(
        "--instance-requeue-interval",
        type=click.FloatRange(min=0),
        default=3.0,
        show_default=True,
        help="Seconds before an unsettled instance is reconciled again (0 disables).",
    ),
    click.option(
        "--rgd-max-graph-revisions",
        type=click.IntRange(min=1),
        default=5,
        show_default=True,
        help="GraphRevisions kept per RGD; older ones are deleted.",
    ),
    click.option(
        "--rgd-progress-requeue-delay",
        type=click.FloatRange(min=0.1),
        default=3.0,
        show_default=True,
        help="Seconds before an RGD waiting on its revisions is looked at again.",
    ),
    click.option(
        "--graph-revision-workers",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        help="Concurrent GraphRevision compilations.",
    ),
    click.option("--client-qps", type=click.FloatRange(min=0.1), default=100.0, show_default=True),
    click.option("--client-burst", type=click.IntRange(min=1), default=150, show_default=True),
]
_NAMES = (
    "workers",
    "rgd_workers",
    "allow_crd_deletion",
    "instance_requeue_interval",
    "rgd_max_graph_revisions",
    "rgd_progress_requeue_delay",
    "graph_revision_workers",
    "client_qps",
    "client_burst",
    "metrics_bind_address",
    "health_probe_bind_address",
)


def controller_flags(*, metrics: str, health: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the shared controller flags to a click command; it receives them as `options`
    (a `ManagerOptions`). `metrics`/`health` are the bind-address defaults ("0" disables)."""
    endpoints: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        click.option(
            "--metrics-bind-address",
            default=metrics,
            show_default=True,
            help="HOST:PORT serving /metrics; 0 disables.",
        ),
        click.option(
            "--health-probe-bind-address",
            default=health,
            show_default=True,
            help="HOST:PORT serving /healthz and /readyz; 0 disables.",
        ),
    ]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def with_options(**kwargs: Any) -> Any:
            from pykro.controller.manager import ManagerOptions, parse_bind_address

            flags = {name: kwargs.pop(name) for name in _NAMES}
            # Fail on a bad address before anything starts.
            parse_bind_address(flags["metrics_bind_address"], "--metrics-bind-address")
            parse_bind_address(flags["health_probe_bind_address"], "--health-probe-bind-address")
            kwargs["options"] = ManagerOptions(
                workers=flags["workers"],
                rgd_workers=flags["rgd_workers"],
                allow_crd_deletion=flags["allow_crd_deletion"],
                requeue_interval=flags["instance_requeue_interval"],
                metrics_bind_address=flags["metrics_bind_address"],
                health_probe_bind_address=flags["health_probe_bind_address"],
                qps=flags["client_qps"],
                burst=flags["client_burst"],
                max_graph_revisions=flags["rgd_max_graph_revisions"],
                progress_requeue_delay=flags["rgd_progress_requeue_delay"],
                graph_revision_workers=flags["graph_revision_workers"],
            )
            return command(**kwargs)

        decorated: Callable[..., Any] = with_options
        for flag in reversed(_FLAGS + endpoints):
            decorated = flag(decorated)
        return decorated

    return decorate
