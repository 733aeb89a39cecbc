"""`pykro generate`: print artifacts derived from an RGD file without a cluster."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import yaml

from pykro import __version__
from pykro.api.frozen import thaw
from pykro.cli.compile_files import compile_files
from pykro.cli.diagram import render_dot, render_html
from pykro.cli.emulator import sample_instance
from pykro.cli.validate import format_error
from pykro.errors import Problem, PykroError
from pykro.graph import CompiledGraph

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


# ---------------------------------------------------------------- instance and diagram

def compile_graphs(path: Path, schema_files: Sequence[Path] = ()) -> list[CompiledGraph]:
    """The compiled graph of every RGD document in `path`, with `generate_crds`' error reporting."""
    source = str(path)
    entries = [e for e in compile_files([path, *schema_files]) if e.source == source]
    if not entries:
        raise PykroError(f"{source}: no ResourceGraphDefinition document found",
                         (Problem("", "no ResourceGraphDefinition document found", source),))
    problems = [Problem("", line) for e in entries if e.graph is None and e.error is not None
                for line in format_error(source, e.error, e.rgd.name)]
    if problems:
        raise PykroError(str(problems[0]), tuple(problems))
    return [e.graph for e in entries if e.graph is not None]


def _rgd_path(rgd_file: Path | None, file_option: Path | None, name: str) -> Path:
    if rgd_file is None or file_option is None:
        path = rgd_file or file_option
        if path is not None:
            return path
    raise click.UsageError(f"give the RGD file exactly once: `pykro generate {name} RGD.yaml` or `-f RGD.yaml`")


_FILE_OPTION = click.option("-f", "--file", "file_option", type=click.Path(path_type=Path),
                            help="RGD file (alternative to the argument).")
_SCHEMAS_OPTION = click.option("-s", "--schemas", "schema_files", multiple=True,
                               type=click.Path(exists=True, dir_okay=False, path_type=Path),
                               help="A file of CRDs or RGDs defining kinds the RGD reads (repeatable).")


@command.command(name="instance")
@click.argument("rgd_file", required=False, type=click.Path(path_type=Path))
@_FILE_OPTION
@click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.option("--seed", type=int, default=None, help="Seed the random values (same seed, same sample).")
@_SCHEMAS_OPTION
def instance(rgd_file: Path | None, file_option: Path | None, output: str, seed: int | None,
             schema_files: tuple[Path, ...]) -> None:
    """Print a sample instance of each ResourceGraphDefinition in RGD_FILE, with random valid values."""
    path = _rgd_path(rgd_file, file_option, "instance")
    rng = random.Random(seed)
    samples = [sample_instance(crd, rng) for crd in generate_crds(path, schema_files)]
    for s in samples:
        for problem in s.problems:
            name = s.object["metadata"]["name"]
            click.echo(f"warning: {name}: sample does not satisfy the schema: {problem}", err=True)
    objects = [s.object for s in samples]
    if output == "json":
        for obj in objects:
            click.echo(json.dumps(obj, indent=2))
    else:
        click.echo(yaml.safe_dump_all(objects, sort_keys=False, default_flow_style=False), nl=False)


@command.command(name="diagram")
@click.argument("rgd_file", required=False, type=click.Path(path_type=Path))
@_FILE_OPTION
@click.option("--format", "fmt", type=click.Choice(["html", "dot"]), default="html", show_default=True,
              help="A self-contained HTML page (inline SVG) or Graphviz DOT text.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of stdout.")
@_SCHEMAS_OPTION
def diagram(rgd_file: Path | None, file_option: Path | None, fmt: str, output: Path | None,
            schema_files: tuple[Path, ...]) -> None:
    """Draw the dependency graph of each ResourceGraphDefinition in RGD_FILE."""
    path = _rgd_path(rgd_file, file_option, "diagram")
    graphs = compile_graphs(path, schema_files)
    text = render_dot(graphs) if fmt == "dot" else render_html(graphs, title=path.name)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as err:
        raise PykroError(f"{output}: cannot write: {err.strerror}",
                         (Problem("", f"cannot write: {err.strerror}", str(output)),)) from None
