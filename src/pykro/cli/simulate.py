"""`--simulate-workloads on|off`, shared by `pykro apiserver` and `pykro up`."""

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
