"""The `pykro` command.

Subcommands live in their own modules and are imported only when invoked, so that
`pykro --help` stays fast and one broken command cannot break the others.
"""

from __future__ import annotations

import importlib
import sys

import click

from pykro import __version__
from pykro.errors import PykroError

# command name -> module that defines a click command called `command`
_COMMANDS: dict[str, str] = {
    "validate": "pykro.cli.validate",
    "generate": "pykro.cli.generate",
    "apiserver": "pykro.cli.apiserver",
    "up": "pykro.cli.up",
    "run": "pykro.cli.run",
    "render": "pykro.cli.render",
    "tree": "pykro.cli.tree",
    "completion": "pykro.cli.completion",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = _COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        command = importlib.import_module(module_name).command
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup)
@click.version_option(__version__, prog_name="pykro")
def cli() -> None:
    """pykro: Kube Resource Orchestrator in Python."""


def main() -> None:
    try:
        cli(standalone_mode=False, prog_name="pykro", complete_var="_PYKRO_COMPLETE")
    except PykroError as err:
        for line in err.lines():
            click.echo(f"error: {line}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
