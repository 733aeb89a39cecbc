"""Compile the RGDs of several files together, as `pykro validate` and `pykro generate` do.

Kinds come from the built-in Kubernetes schemas, from every CustomResourceDefinition document in
the files, and from the instance CRDs of the RGDs that compile, so an RGD may compose another
RGD's kind whatever the file order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pykro.api.frozen import FrozenDict, thaw
from pykro.api.model import RGDSpec, SchemaSpec
from pykro.api.rgd import ResourceGraphDefinition, is_rgd_document, load_documents, parse_rgd
from pykro.errors import PykroError
from pykro.graph import CompiledGraph, build_graph
from pykro.schema.registry import SchemaRegistry


@dataclass
class CompiledEntry:
    source: str
    rgd: ResourceGraphDefinition
    graph: CompiledGraph | None = None
    error: PykroError | None = None


def compile_files(paths: list[Path]) -> list[CompiledEntry]:
    """Compile every RGD of `paths`; RGDs failing on an unknown kind are retried once others compiled."""
    return compile_documents([(str(path), doc) for path in paths for doc in load_documents(path)])


def compile_documents(documents: list[tuple[str, Any]]) -> list[CompiledEntry]:
    """Compile every RGD among `documents` (source name, document), as `compile_files` explains."""
    registry = SchemaRegistry()
    entries: list[CompiledEntry] = []
    for source, doc in documents:
        if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
            try:
                registry.add_crd(doc)
            except PykroError as err:
                lines = [f"{source}: {line}" for line in err.lines()]
                raise PykroError(lines[0], err.problems) from None
    for source, doc in documents:
        if is_rgd_document(doc):
            try:
                entries.append(CompiledEntry(source, parse_rgd(doc, source=source)))
            except PykroError as err:
                entries.append(CompiledEntry(source, _placeholder(doc), error=err))
    todo = [e for e in entries if e.error is None]
    while todo:
        progressed = False
        for entry in list(todo):
            try:
                entry.graph = build_graph(entry.rgd, registry)
            except PykroError as err:
                entry.error = err
                continue
            entry.error = None
            todo.remove(entry)
            registry.add_crd(thaw(entry.graph.crd))
            progressed = True
        if not progressed:
            break
    return entries


def _placeholder(doc: Any) -> ResourceGraphDefinition:
    """Stands in for an RGD that did not parse, so its error is reported under its name."""
    name = ""
    if isinstance(doc, dict) and isinstance(doc.get("metadata"), dict):
        name = str(doc["metadata"].get("name", ""))
    return ResourceGraphDefinition(
        name, "", 0, FrozenDict(), FrozenDict(), RGDSpec(SchemaSpec("Invalid", "v1"))
    )
