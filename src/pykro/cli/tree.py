"""`pykro tree KIND/NAME [-n NS] [--watch] [-o wide|json]`: an instance's resources, read from a cluster,
as a tree in dependency order with each one's state (like `crossplane beta trace`). The reading is in
`pykro.cli.tree_reader`, the printing in `pykro.cli.tree_model`; both are imported only when the
command runs. See docs/cli.md.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pykro.cli.run import client_config, kubeconfig_options, until_signalled

if TYPE_CHECKING:
    from pykro.cli.tree_model import TreeNode
    from pykro.kube import ClientConfig

_CLEAR_SCREEN = "\x1b[H\x1b[2J"


def _split(resource: str) -> tuple[str, str]:
    kind, slash, name = resource.partition("/")
    if not slash or not kind or not name or "/" in name:
        raise click.UsageError(f"expected KIND/NAME (e.g. webapp/demo), got {resource!r}")
    return kind, name


async def _show(
    config: ClientConfig, kind: str, name: str, namespace: str | None, output: str, watch: bool
) -> None:
    from pykro.cli.tree_model import format_json, format_table
    from pykro.cli.tree_reader import TreeReader, read_tree, watch_tree
    from pykro.kube import KubeClient

    def format_tree(root: TreeNode) -> str:
        return format_json(root) if output == "json" else format_table(root, wide=output == "wide")

    async with KubeClient(config) as client:
        reader = TreeReader(client)
        if not watch:
            click.echo(format_tree(await read_tree(reader, kind, name, namespace)), nl=False)
            return
        redraw = sys.stdout.isatty() and output != "json"
        first = True

        def emit(text: str) -> None:
            nonlocal first
            # A terminal is redrawn in place; a pipe gets one tree after another, a blank line apart.
            prefix = _CLEAR_SCREEN if redraw else "" if first else "\n"
            click.echo(prefix + text, nl=False)
            sys.stdout.flush()
            first = False

        await until_signalled(
            lambda stop: watch_tree(reader, (kind, name, namespace), emit, format_tree, stop)
        )


@click.command("tree")
@click.argument("resource", metavar="KIND/NAME")
@click.option("-n", "--namespace", default=None, help="The instance's namespace (default: the context's).")
@click.option("-w", "--watch", is_flag=True, help="Print the tree again whenever it changes, until Ctrl-C.")
@click.option(
    "-o",
    "--output",
    type=click.Choice(["wide", "json"]),
    default=None,
    help="wide: more columns and whole messages; json: a machine-readable document.",
)
@kubeconfig_options
def command(
    resource: str,
    namespace: str | None,
    watch: bool,
    output: str | None,
    kubeconfig: Path | None,
    context: str | None,
) -> None:
    """Print the resources of the kro instance KIND/NAME as a tree, in dependency order, with their state.

    KIND is a kind, plural or short name, optionally `.group` (as kubectl takes it). Children that are
    kro instances themselves are expanded.
    """
    kind, name = _split(resource)
    config = client_config(kubeconfig, context, qps=50.0, burst=100)
    asyncio.run(_show(config, kind, name, namespace, output or "", watch))
