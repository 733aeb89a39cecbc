"""The instance half of `pykro validate`: every document whose apiVersion/kind is the instance kind of
an RGD given is checked against that RGD's generated CRD, as the API server would check it on create."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from pykro.api.frozen import thaw
from pykro.api.rgd import is_rgd_document
from pykro.cli.apiserver_adapter import admit_instance
from pykro.cli.compile_files import CompiledEntry
from pykro.cli.inputs import Document


def _label(body: dict[str, Any]) -> str:
    metadata = body.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return f"{body.get('kind')} {name}" if name else str(body.get("kind"))


def validate_instances(documents: Sequence[Document], entries: Sequence[CompiledEntry]) -> bool:
    """Print one line per instance (valid, or one `error:` line per problem); False if any is invalid.

    Documents that are neither RGDs, CRDs nor instances of a compiled RGD get a warning: nothing
    can check them offline, and silence would read as "valid"."""
    crds = {
        (e.graph.instance_gvk.api_version, e.graph.instance_gvk.kind): thaw(e.graph.crd)
        for e in entries
        if e.graph is not None
    }
    uncompiled = {e.rgd.spec.schema.kind for e in entries if e.graph is None}
    all_valid = True
    for document in documents:
        body = document.body
        kind = body.get("kind")
        if is_rgd_document(body) or kind == "CustomResourceDefinition":
            continue
        where = f"{document.where}: {_label(body)}"
        crd = crds.get((str(body.get("apiVersion")), str(kind)))
        if crd is None:
            why = (
                "its RGD did not compile"
                if kind in uncompiled
                else f"no RGD given defines {body.get('apiVersion')} {kind}"
            )
            click.echo(f"warning: {where}: not validated: {why}", err=True)
            continue
        _, problems = admit_instance(body, crd)
        if not problems:
            click.echo(f"{where}: valid")
        for problem in problems:
            all_valid = False
            click.echo(f"error: {where}: {problem.path}: {problem.message}", err=True)
    return all_valid
