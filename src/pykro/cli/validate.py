"""`pykro validate FILE...`: compile every ResourceGraphDefinition offline (spec §7).

Kinds are resolved as `pykro.cli.compile_files` explains.
"""

from __future__ import annotations

import sys

import click
import yaml

from pykro.api.frozen import thaw
from pykro.cli.compile_files import compile_documents
from pykro.cli.inputs import read_documents
from pykro.cli.validate_instances import validate_instances
from pykro.errors import PykroError
from pykro.graph import GraphError
from pykro.graph.lint import Severity, hints
from pykro.graph.model import CompiledGraph


def caret_lines(expression: str, offset: int | None) -> list[str]:
    """The expression's line holding `offset`, and a caret under that character."""
    if offset is None or not expression:
        return [f"    {expression}"] if expression else []
    offset = max(0, min(offset, len(expression)))
    start = expression.rfind("\n", 0, offset) + 1
    end = expression.find("\n", offset)
    line = expression[start : end if end >= 0 else len(expression)]
    return [f"    {line}", "    " + " " * (offset - start) + "^"]


def format_error(source: str, err: PykroError, rgd_name: str = "") -> list[str]:
    """Lines describing one failed RGD: file, resource, field path, message, expression with a caret."""
    if not isinstance(err, GraphError):
        return [str(p) if p.source else f"{source}: {p}" for p in err.problems] or [f"{source}: {err}"]
    # The message names the resource and field path already (kro's wording).
    where = ": ".join([source, rgd_name] if rgd_name else [source])
    if len(err.problems) > 1:
        return [
            f"{where}: {p.message.replace(': ', f': {p.path}: ', 1) if p.path else p.message}"
            for p in err.problems
        ]
    lines = [f"{where}: {err.message}"]
    lines.extend(caret_lines(err.expression, err.offset))
    return lines


def _refused_by_the_api_server(source: str, rgd_name: str, graph: CompiledGraph | None) -> list[str]:
    """What an API server would refuse though the graph compiles: the RGD's own name, and a
    SimpleSchema default that breaks its field's constraints (the instance CRD is then invalid)."""
    from pykro.cli.apiserver_adapter import refused_defaults
    from pykro.dnsnames import dns1123_subdomain

    lines = []
    problem = dns1123_subdomain(rgd_name)
    if problem:
        lines.append(f'{source}: metadata.name: Invalid value: "{rgd_name}": {problem}')
    if graph is not None:
        for where, message in refused_defaults(thaw(graph.crd)):
            lines.append(
                f"{source}: {rgd_name}: {where}: the default breaks its own constraints, so the API server "
                f"would refuse the instance CRD: {message}"
            )
    return lines


def print_hints(source: str, graph: CompiledGraph) -> bool:
    """Print the graph's hints (`warning:`/`note:` lines on stderr); True if any is a warning."""
    found = hints(graph)
    for hint in found:
        where = f'{source}: {graph.rgd_name}: resource "{hint.resource}": {hint.path}'
        click.echo(f"{hint.severity.value}: {where}: {hint.message}", err=True)
    return any(hint.severity is Severity.WARNING for hint in found)


@click.command(name="validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option(
    "--show-status-schema", is_flag=True, help="Also print each RGD's inferred status schema (YAML)."
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 when an RGD gets a warning (notes never fail). Without it only errors fail.",
)
def command(files: tuple[str, ...], show_status_schema: bool, strict: bool) -> None:
    """Compile the ResourceGraphDefinitions in FILES offline and validate the instances among them.

    FILES are files, directories (their *.yaml/*.yml, recursively) or - for standard input.
    """
    documents = read_documents(files)
    entries = compile_documents([(d.source, d.body) for d in documents])
    if not entries:
        raise PykroError("no ResourceGraphDefinition document found in " + ", ".join(files))
    failed = False
    for entry in entries:
        refused = _refused_by_the_api_server(entry.source, entry.rgd.name, entry.graph)
        if refused:
            failed = True
            for line in refused:
                click.echo(f"error: {line}", err=True)
            continue
        if entry.graph is not None:
            order = ", ".join(entry.graph.topological_order)
            count = len(entry.graph.nodes)
            noun = "resource" if count == 1 else "resources"
            click.echo(f"{entry.source}: {entry.rgd.name}: valid ({count} {noun}, order: {order})")
            warned = print_hints(entry.source, entry.graph)
            failed = failed or (strict and warned)
            if show_status_schema:
                click.echo(yaml.safe_dump(thaw(entry.graph.status_schema), sort_keys=False), nl=False)
            continue
        failed = True
        assert entry.error is not None
        for line in format_error(entry.source, entry.error, entry.rgd.name):
            click.echo(line if line.startswith("    ") else f"error: {line}", err=True)
    failed = not validate_instances(documents, entries) or failed
    if failed:
        sys.exit(1)
