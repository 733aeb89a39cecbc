"""`pykro apiserver`: run the embedded Kubernetes API server in the foreground."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from pykro.cli.run import until_signalled
from pykro.cli.simulate import event_ttl, simulate_workloads
from pykro.cli.tls_san import tls_san


async def _serve(
    data_dir: Path, port: int, bind: str, workloads: bool, tls_sans: tuple[str, ...], event_ttl: float
) -> None:
    from pykro.apiserver import EmbeddedAPIServer

    async def body(stop: asyncio.Event) -> None:
        async with EmbeddedAPIServer(
            data_dir, port=port, bind=bind, workloads=workloads, tls_sans=tls_sans, event_ttl=event_ttl
        ) as server:
            click.echo(f"serving {server.url}", err=True)
            click.echo(f"kubeconfig: {server.kubeconfig_path}", err=True)
            await stop.wait()
            click.echo("shutting down", err=True)

    await until_signalled(body)


@click.command("apiserver")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory for state.db, TLS credentials and the admin kubeconfig.",
)
@click.option(
    "--port", type=int, default=0, show_default=True, help="TCP port (0-65535); 0 picks a free one."
)
@click.option(
    "--bind", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default)."
)
@tls_san
@simulate_workloads
@event_ttl
def command(
    data_dir: Path, port: int, bind: str, tls_sans: tuple[str, ...], simulate_workloads: str, event_ttl: float
) -> None:
    """Serve a Kubernetes API (HTTPS) backed by SQLite in DATA_DIR; writes DATA_DIR/kubeconfig."""
    asyncio.run(_serve(data_dir, port, bind, simulate_workloads == "on", tls_sans, event_ttl))
