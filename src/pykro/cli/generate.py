"""`pykro generate`: print artifacts derived from an RGD file without a cluster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import yaml

from pykro import __version__
from pykro.api.rgd import ResourceGraphDefinition, is_rgd_document, load_documents, parse_rgd
from pykro.errors import Problem, PykroError
from pykro.schema.crd import rgd_instance_crd

CLI_VERSION_ANNOTATION = "kro.run/cli-version"


def _status_schema_for(rgd: ResourceGraphDefinition) -> dict[str, Any] | None:
    """Inferred instance status schema; HOOK: replace with the graph builder's inferred schema.

    Until `pykro.graph.build_graph` exists the status holds only the defaults (`state`, `conditions`).
    """
    return None


def _with_source(err: PykroError, source: str) -> PykroError:
    problems = tuple(Problem(p.path, p.message, p.source or source) for p in err.problems)
    if not problems:
        problems = (Problem("", str(err), source),)
    return PykroError(str(problems[0]), problems)


def generate_crds(path: Path) -> list[dict[str, Any]]:
    """The instance CRD of every ResourceGraphDefinition document in `path` (all problems reported together)."""
    source = str(path)
    docs = [doc for doc in load_documents(path) if is_rgd_document(doc)]
    if not docs:
        raise PykroError(f"{source}: no ResourceGraphDefinition document found",
                         (Problem("", "no ResourceGraphDefinition document found", source),))
    crds: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for index, doc in enumerate(docs):
        where = source if len(docs) == 1 else f"{source} (document {index + 1})"
        try:
            rgd = parse_rgd(doc, source=where)
            crd = rgd_instance_crd(rgd, status_schema=_status_schema_for(rgd))
        except PykroError as err:
            problems.extend(_with_source(err, where).problems)
            continue
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
def crd(rgd_file: Path | None, file_option: Path | None, output: str) -> None:
    """Print the instance CRD generated from RGD_FILE (one per ResourceGraphDefinition document)."""
    path = rgd_file or file_option
    if path is None or (rgd_file is not None and file_option is not None):
        raise click.UsageError("give the RGD file exactly once: `pykro generate crd RGD.yaml` or `-f RGD.yaml`")
    crds = generate_crds(path)
    if output == "json":
        for crd in crds:
            click.echo(json.dumps(crd, indent=2))
    else:
        click.echo(yaml.safe_dump_all(crds, sort_keys=False, default_flow_style=False), nl=False)
