"""`pykro completion bash|zsh|fish`: the shell completion script, printed to stdout (click's)."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

_SHELLS = ("bash", "zsh", "fish")


@click.command("completion")
@click.argument("shell", type=click.Choice(_SHELLS))
def command(shell: str) -> None:
    """Print the completion script for SHELL.

    \b
      source <(pykro completion bash)                                  # bash, this shell
      pykro completion zsh > "${fpath[1]}/_pykro"                       # zsh
      pykro completion fish > ~/.config/fish/completions/pykro.fish     # fish
    """
    from pykro.cli.main import cli

    completion = get_completion_class(shell)
    assert completion is not None  # every name in _SHELLS is one of click's
    click.echo(completion(cli, {}, "pykro", "_PYKRO_COMPLETE").source())
