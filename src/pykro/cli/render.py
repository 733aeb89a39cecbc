"""`pykro render RGD_FILE... INSTANCE_FILE [--observed FILE]`: an instance's children, offline.

No cluster and no Docker: the RGDs are compiled as `pykro validate` compiles them, the instance is
admitted as the API server would admit it (defaults, validation), and `pykro.cli.render_plan`
resolves the nodes with the controller's runtime. See docs/cli.md for the output format.
"""

from __future__ import annotations

import json
from typing import Any

import click
import yaml

from pykro.api.frozen import thaw
from pykro.api.rgd import is_rgd_document
from pykro.cli.apiserver_adapter import admit_instance
from pykro.cli.compile_files import CompiledEntry, compile_documents
from pykro.cli.inputs import STDIN, Document, read_documents
from pykro.cli.render_plan import ObservedObjects, RenderedNode, RenderResult, RenderState, render_instance
from pykro.cli.validate import format_error
from pykro.errors import Problem, PykroError


def _is_definition(document: Document) -> bool:
    return is_rgd_document(document.body) or document.body.get("kind") == "CustomResourceDefinition"


def _split_inputs(arguments: tuple[str, ...]) -> tuple[list[Document], Document]:
    """The RGD (and CRD) documents of every argument, and the one other document of the last argument:
    the instance."""
    *rgd_args, instance_arg = arguments
    last = read_documents([instance_arg])
    instances = [d for d in last if not _is_definition(d)]
    if len(instances) != 1:
        found = "no instance document" if not instances else f"{len(instances)} instance documents"
        raise PykroError(f"{instance_arg}: {found}; INSTANCE_FILE must hold exactly one")
    return read_documents(rgd_args) + [d for d in last if _is_definition(d)], instances[0]


def _select_graph(entries: list[CompiledEntry], instance: Document) -> CompiledEntry:
    """The RGD whose instance kind is the instance's apiVersion/kind."""
    api_version, kind = instance.body.get("apiVersion"), instance.body.get("kind")
    for entry in entries:
        gvk = entry.graph.instance_gvk if entry.graph is not None else None
        if gvk is not None and (gvk.api_version, gvk.kind) == (api_version, kind):
            return entry
    failed = [e for e in entries if e.graph is None and e.rgd.spec.schema.kind == kind]
    if failed:  # the one wanted did not compile: say why
        assert failed[0].error is not None
        lines = [
            line
            for line in format_error(failed[0].source, failed[0].error, failed[0].rgd.name)
            if not line.startswith("    ")
        ]  # no caret lines: each line gets an `error:` prefix
        raise PykroError(lines[0], tuple(Problem("", line) for line in lines))
    known = (
        ", ".join(
            f"{e.graph.instance_gvk.api_version} {e.graph.instance_gvk.kind}"
            for e in entries
            if e.graph is not None
        )
        or "none"
    )
    raise PykroError(f"{instance.where}: no RGD given defines {api_version} {kind} (RGDs define: {known})")


def _admitted_instance(entry: CompiledEntry, instance: Document) -> dict[str, Any]:
    assert entry.graph is not None
    admitted, problems = admit_instance(instance.body, thaw(entry.graph.crd))
    if problems:
        located = tuple(Problem(p.path, p.message, instance.where) for p in problems)
        raise PykroError(str(located[0]), located)
    metadata = admitted.setdefault("metadata", {})
    if entry.graph.crd["spec"]["scope"] == "Namespaced" and not metadata.get("namespace"):
        metadata["namespace"] = "default"  # where `kubectl apply` would create it
    return admitted


def render_text(result: RenderResult) -> str:
    """YAML documents in topological order, each headed by `# resource: <id> (<state>)` comments."""
    meta = result.instance.get("metadata") or {}
    where = "/".join(str(p) for p in (meta.get("namespace"), meta.get("name")) if p)
    header = f"# instance: {result.instance.get('kind')} {where} ({result.instance_state})\n"
    if result.status:
        header += f"# status: {json.dumps(result.status, sort_keys=True)}\n"
    chunks = [header]
    for node in result.nodes:
        chunks.append(_node_text(node))
    return "---\n".join(chunks)


def _node_text(node: RenderedNode) -> str:
    header = f"# resource: {node.id} ({node.state.value})"
    lines = [header]
    if node.include_when:
        lines.append("# includeWhen: " + ", ".join(node.include_when))
    if node.for_each:
        dims = ", ".join(f"{d['name']} in {d['expression']}" for d in node.for_each)
        lines.append(f"# forEach: {dims}" + (f" ({len(node.objects)} items)" if node.objects else ""))
    if node.reason:
        lines.append(f"# {node.state.value}: {node.reason}")
    if node.ready is False:
        lines.append(f"# not ready: {node.ready_reason}")
    text = "\n".join(lines) + "\n"
    if not node.objects:
        return text
    return text + "---\n".join(yaml.safe_dump(obj, sort_keys=False) for obj in node.objects)


def render_json(result: RenderResult) -> str:
    return json.dumps(
        {
            "instance": result.instance,
            "state": result.instance_state,
            "status": result.status,
            "nodes": [node.to_json() for node in result.nodes],
        },
        indent=2,
    )


@click.command(name="render")
@click.argument("files", nargs=-1, required=True, metavar="RGD_FILE... INSTANCE_FILE")
@click.option(
    "--observed",
    "observed_files",
    multiple=True,
    metavar="FILE",
    help="Objects standing for the cluster's state (status, server-set fields, external "
    "references); a file, a directory or -. Repeatable.",
)
@click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
def command(files: tuple[str, ...], observed_files: tuple[str, ...], output: str) -> None:
    """Print the children INSTANCE_FILE would get from the RGDs in RGD_FILE..., offline.

    Each argument is a file, a directory (its *.yaml/*.yml, recursively) or - for stdin.
    """
    if len(files) < 2:
        raise click.UsageError("expected RGD_FILE... INSTANCE_FILE (at least two arguments)")
    if STDIN in files and STDIN in observed_files:
        raise click.UsageError("standard input (-) can feed the RGDs, the instance or --observed, not two")
    rgd_documents, instance = _split_inputs(files)
    rgds = [(d.source, d.body) for d in rgd_documents]
    if not any(is_rgd_document(body) for _, body in rgds):
        raise PykroError("no ResourceGraphDefinition document found in " + ", ".join(files[:-1]))
    entry = _select_graph(compile_documents(rgds), instance)
    assert entry.graph is not None
    observed = ObservedObjects([d.body for d in read_documents(observed_files)] if observed_files else [])
    result = render_instance(entry.graph, _admitted_instance(entry, instance), observed)
    click.echo(render_json(result) if output == "json" else render_text(result), nl=output == "json")
    for obj in observed.unused():
        kind, meta = obj.get("kind"), obj.get("metadata") or {}
        click.echo(f"warning: --observed {kind} {meta.get('name')} matches no rendered resource", err=True)
    errors = [node for node in result.nodes if node.state is RenderState.ERROR]
    for node in errors:
        click.echo(f"error: {instance.where}: {node.reason}", err=True)
    if errors:
        raise SystemExit(1)
