"""The controller flags `pykro run` and `pykro up` share (kro's controller flags, spec §8.1),
declared once and turned into one `ManagerOptions` argument."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

# (flag, type, default, help): kro's names and defaults.
_TABLE: list[tuple[str, click.ParamType[Any] | None, Any, str]] = [
    ("--workers", click.IntRange(min=1), 4, "Concurrent instance reconciles."),
    ("--rgd-workers", click.IntRange(min=1), 1, "Concurrent ResourceGraphDefinition reconciles."),
    ("--allow-crd-deletion", None, False, "Delete an RGD's CRD when the RGD is deleted."),
    (
        "--instance-requeue-interval",
        click.FloatRange(min=0),
        3.0,
        "Seconds before an unsettled instance is reconciled again (0 disables).",
    ),
    (
        "--rgd-max-graph-revisions",
        click.IntRange(min=1),
        5,
        "GraphRevisions kept per RGD; older ones are deleted.",
    ),
    (
        "--rgd-progress-requeue-delay",
        click.FloatRange(min=0.1),
        3.0,
        "Seconds before an RGD waiting on its revisions is looked at again.",
    ),
    ("--graph-revision-workers", click.IntRange(min=1), 1, "Concurrent GraphRevision compilations."),
    ("--client-qps", click.FloatRange(min=0.1), 100.0, "API requests per second (token bucket)."),
    ("--client-burst", click.IntRange(min=1), 150, "API request burst."),
    (
        "--adoption-policy",
        click.Choice(["adopt", "refuse"]),
        "adopt",
        "An existing object no kro instance created: adopt it (kro's behaviour; a Warning Event says so) "
        "or refuse and report the conflict.",
    ),
    (
        "--events",
        click.Choice(["on", "off"]),
        "on",
        "Record pykro's Kubernetes Events: instance and RGD state changes, errors, blocked deletions, "
        "CRD changes (docs/events.md). Upstream's InstanceConditionEvents gate works either way.",
    ),
    (
        "--feature-gates",
        click.STRING,
        "",
        "kro's feature gates, NAME=true|false,... (CELOmitFunction, InstanceConditionEvents, "
        "InstanceConditionMetrics; all off by default).",
    ),
]
_FLAGS = [
    click.option(flag, is_flag=True, help=text)
    if kind is None
    else click.option(flag, type=kind, default=default, show_default=True, help=text)
    for flag, kind, default, text in _TABLE
]
# The command's keyword arguments these flags become (click's names for them).
_NAMES = (
    *(flag.removeprefix("--").replace("-", "_") for flag, *_ in _TABLE),
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
            from pykro.controller.features import parse_feature_gates
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
                feature_gates=parse_feature_gates(flags["feature_gates"]),
                adoption_policy=flags["adoption_policy"],
                events=flags["events"] == "on",
            )
            return command(**kwargs)

        decorated: Callable[..., Any] = with_options
        for flag in reversed(_FLAGS + endpoints):
            decorated = flag(decorated)
        return decorated

    return decorate
