"""Flags of the embedded API server shared by `pykro apiserver` and `pykro up`:
`--simulate-workloads on|off` and `--event-ttl`."""

from __future__ import annotations

import click

simulate_workloads = click.option(
    "--simulate-workloads",
    type=click.Choice(["on", "off"]),
    default="on",
    show_default=True,
    help="Run the simulated workload controllers (Deployments, ReplicaSets, Pods, Jobs, ...); off is "
    "envtest's behaviour: no workload status is written, so tests can patch it themselves.",
)


def _duration(ctx: click.Context, param: click.Parameter, value: str) -> float:
    from pykro.errors import Problem, PykroError
    from pykro.timestamps import go_duration

    seconds = go_duration(value)
    if seconds is None or seconds <= 0:
        message = f"want a positive duration such as 1h, 30m or 90s, got {value!r}"
        raise PykroError(f"--event-ttl: {message}", (Problem("--event-ttl", message),))
    return seconds


event_ttl = click.option(
    "--event-ttl",
    default="1h",
    show_default=True,
    callback=_duration,
    help="How long an Event is kept after its last write (kube-apiserver's --event-ttl).",
)
