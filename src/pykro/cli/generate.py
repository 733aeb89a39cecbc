"""`pykro generate`: print artifacts derived from an RGD file without a cluster."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import yaml

from pykro import __version__
from pykro.api.frozen import thaw
from pykro.cli.compile_files import compile_files
from pykro.cli.validate import format_error
from pykro.errors import Problem, PykroError

CLI_VERSION_ANNOTATION = "kro.run/cli-version"


def generate_crds(path: Path, schema_files: Sequence[Path] = ()) -> list[dict[str, Any]]:
    """The instance CRD of every ResourceGraphDefinition document in `path` (all problems reported together).

    Each RGD is compiled, so the CRD carries the status schema inferred from its expressions; an
    RGD that does not compile has no CRD to print. `schema_files` supply the kinds the RGD reads
    that are not built in: their CustomResourceDefinitions and the instance CRDs of their RGDs.
    """
    source = str(path)
    entries = [e for e in compile_files([path, *schema_files]) if e.source == source]
    if not entries:
        raise PykroError(f"{source}: no ResourceGraphDefinition document found",
                         (Problem("", "no ResourceGraphDefinition document found", source),))
    crds: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for entry in entries:
        if entry.graph is None:
            assert entry.error is not None
            problems.extend(Problem("", line) for line in format_error(source, entry.error, entry.rgd.name))
            continue
        crd = thaw(entry.graph.crd)
        crd["metadata"].setdefault("annotations", {})[CLI_VERSION_ANNOTATION] = __version__
        crds.append(crd)
    if problems:
        raise PykroError(str(problems[0]), tuple(problems))
    return crds


@click.group(name="generate")
def command() -> None:
    """Generate artifacts from a ResourceGraphDefinition file."""


@command.command(name="crd")
@click.argument("rgd_file", required=False, type=click.Path(path_type=Path))
@click.option("-f", "--file", "file_option", type=click.Path(path_type=Path), help="RGD file (alternative to the argument).")
@click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.option("-s", "--schemas", "schema_files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file of CRDs or RGDs defining kinds the RGD reads (repeatable).")
def crd(rgd_file: Path | None, file_option: Path | None, output: str, schema_files: tuple[Path, ...]) -> None:
    """Print the instance CRD generated from RGD_FILE (one per ResourceGraphDefinition document)."""
    path = rgd_file or file_option
    if path is None or (rgd_file is not None and file_option is not None):
        raise click.UsageError("give the RGD file exactly once: `pykro generate crd RGD.yaml` or `-f RGD.yaml`")
    crds = generate_crds(path, schema_files)
    if output == "json":
        for crd in crds:
            click.echo(json.dumps(crd, indent=2))
    else:
        click.echo(yaml.safe_dump_all(crds, sort_keys=False, default_flow_style=False), nl=False)
