"""`pykro generate`: print artifacts derived from an RGD file without a cluster."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

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

_F = TypeVar("_F", bound=Callable[..., Any])


def compile_graphs(path: Path, schema_files: Sequence[Path] = ()) -> list[CompiledGraph]:
    """The compiled graph of every ResourceGraphDefinition document in `path` (all problems reported
    together).

    `schema_files` supply the kinds the RGD reads that are not built in: their CustomResourceDefinitions
    and the instance CRDs of their RGDs. Raises `PykroError` when `path` holds no RGD or any RGD in it
    does not compile.
    """
    source = str(path)
    entries = [e for e in compile_files([path, *schema_files]) if e.source == source]
    if not entries:
        raise PykroError(
            f"{source}: no ResourceGraphDefinition document found",
            (Problem("", "no ResourceGraphDefinition document found", source),),
        )
    problems = [
        Problem("", line)
        for e in entries
        if e.graph is None and e.error is not None
        for line in format_error(source, e.error, e.rgd.name)
    ]
    if problems:
        raise PykroError(str(problems[0]), tuple(problems))
    return [e.graph for e in entries if e.graph is not None]


def generate_crds(path: Path, schema_files: Sequence[Path] = ()) -> list[dict[str, Any]]:
    """The instance CRD of every RGD document in `path`, with `compile_graphs`' error reporting.

    Built from the compiled graph, so the CRD carries the status schema inferred from the RGD's expressions.
    """
    crds: list[dict[str, Any]] = []
    for graph in compile_graphs(path, schema_files):
        crd = thaw(graph.crd)
        crd["metadata"].setdefault("annotations", {})[CLI_VERSION_ANNOTATION] = __version__
        crds.append(crd)
    return crds


def _rgd_path(rgd_file: Path | None, file_option: Path | None, name: str) -> Path:
    if rgd_file is None or file_option is None:
        path = rgd_file or file_option
        if path is not None:
            return path
    raise click.UsageError(
        f"give the RGD file exactly once: `pykro generate {name} RGD.yaml` or `-f RGD.yaml`"
    )


def _rgd_file_options(command: _F) -> _F:
    """RGD_FILE / `-f` and `-s`, the inputs every subcommand takes (applied as one decorator)."""
    command = click.option(
        "-s",
        "--schemas",
        "schema_files",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A file of CRDs or RGDs defining kinds the RGD reads (repeatable).",
    )(command)
    command = click.option(
        "-f",
        "--file",
        "file_option",
        type=click.Path(path_type=Path),
        help="RGD file (alternative to the argument).",
    )(command)
    return click.argument("rgd_file", required=False, type=click.Path(path_type=Path))(command)


_OUTPUT_FORMAT_OPTION = click.option(
    "-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True
)


def _echo_documents(objects: Sequence[dict[str, Any]], output: str) -> None:
    if output == "json":
        for obj in objects:
            click.echo(json.dumps(obj, indent=2))
    else:
        click.echo(yaml.safe_dump_all(objects, sort_keys=False, default_flow_style=False), nl=False)


@click.group(name="generate")
def command() -> None:
    """Generate artifacts from a ResourceGraphDefinition file."""


@command.command(name="crd")
@_rgd_file_options
@_OUTPUT_FORMAT_OPTION
def crd(rgd_file: Path | None, file_option: Path | None, output: str, schema_files: tuple[Path, ...]) -> None:
    """Print the instance CRD generated from RGD_FILE (one per ResourceGraphDefinition document)."""
    _echo_documents(generate_crds(_rgd_path(rgd_file, file_option, "crd"), schema_files), output)


@command.command(name="instance")
@_rgd_file_options
@_OUTPUT_FORMAT_OPTION
@click.option("--seed", type=int, default=None, help="Seed the random values (same seed, same sample).")
def instance(
    rgd_file: Path | None,
    file_option: Path | None,
    output: str,
    seed: int | None,
    schema_files: tuple[Path, ...],
) -> None:
    """Print a sample instance of each ResourceGraphDefinition in RGD_FILE, with random valid values."""
    path = _rgd_path(rgd_file, file_option, "instance")
    rng = random.Random(seed)
    samples = [sample_instance(crd, rng) for crd in generate_crds(path, schema_files)]
    for s in samples:
        name = s.object["metadata"]["name"]
        for problem in s.problems:
            click.echo(f"warning: {name}: sample does not satisfy the schema: {problem}", err=True)
    _echo_documents([s.object for s in samples], output)


@command.command(name="diagram")
@_rgd_file_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "dot"]),
    default="html",
    show_default=True,
    help="A self-contained HTML page (inline SVG) or Graphviz DOT text.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of stdout.",
)
def diagram(
    rgd_file: Path | None,
    file_option: Path | None,
    fmt: str,
    output: Path | None,
    schema_files: tuple[Path, ...],
) -> None:
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
        raise PykroError(
            f"{output}: cannot write: {err.strerror}",
            (Problem("", f"cannot write: {err.strerror}", str(output)),),
        ) from None
