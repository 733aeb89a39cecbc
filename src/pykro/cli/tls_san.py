"""`--tls-san NAME_OR_IP` (repeatable), shared by `pykro apiserver` and `pykro up`."""

from __future__ import annotations

import click

tls_san = click.option(
    "--tls-san",
    "tls_sans",
    multiple=True,
    metavar="NAME_OR_IP",
    help="Another DNS name or IP address the serving certificate names (repeatable), for clients that "
    "reach the server by it; a non-wildcard --bind address is included already.",
)
