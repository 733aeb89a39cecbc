"""Advice on a compiled graph that is valid but probably not what its author wants (docs/rollouts.md).

- **note**: another resource's `metadata.resourceVersion` feeds a pod template. Any write to that
  resource, a label or annotation included, then rolls the workload; a hash of its content rolls
  it only when the content changes.
- **warning**: another resource's `resourceVersion`, `generation` or `uid` feeds a `metadata.name`
  or `metadata.namespace`. Each change of that value renames the resource: kro creates a new
  object and prunes the old one, and when that in turn writes the resource it read, it never ends
  (the reconcile loop of kubernetes-sigs/kro#536).

Pure: it reads the expressions' text, which names resources by their id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pykro.graph.model import CompiledGraph, format_path

NOTE, WARNING = "note", "warning"

_POD_TEMPLATES = (("spec", "template"), ("spec", "jobTemplate", "spec", "template"))
_IDENTITY = (("metadata", "name"), ("metadata", "namespace"))
_CONTENT = {"ConfigMap": "data", "Secret": "data"}  # what "its content" is, by kind; else spec


@dataclass(frozen=True)
class Hint:
    severity: str  # NOTE or WARNING
    resource: str  # the id of the resource whose field holds the expression
    path: str  # that field, e.g. spec.template.metadata.annotations.v
    message: str


def _reads(expression: str, node_id: str, fields: str) -> list[str]:
    """The `fields` (regex alternatives) of `node_id.metadata` the expression reads."""
    pattern = rf"(?<![\w.]){re.escape(node_id)}\s*\.\??\s*metadata\s*\.\??\s*({fields})\b"
    return re.findall(pattern, expression)


def _starts_with(path: tuple[str | int, ...], prefixes: tuple[tuple[str, ...], ...]) -> bool:
    return any(tuple(path[: len(p)]) == p for p in prefixes)


def _version_note(read: str, kind: str) -> str:
    content = _CONTENT.get(kind, "spec")
    return (
        f"{read}.metadata.resourceVersion feeds the pod template: any write to the {kind} of resource "
        f"{read!r}, labels and annotations included, rolls the workload; to roll it only when its content "
        f"changes, use ${{base64.encode(hash.sha256(json.marshal({read}.{content})))}}"
    )


def _name_warning(field: str, read: str, attribute: str, kind: str) -> str:
    return (
        f"{field} reads {read}.metadata.{attribute}, which changes whenever the {kind} of resource "
        f"{read!r} is written or recreated: each change renames this resource (kro creates a new one and "
        "prunes the old), a reconcile loop users hit in kro (kubernetes-sigs/kro#536); derive names from "
        "the instance instead"
    )


def rollout_hints(graph: CompiledGraph) -> list[Hint]:
    hints: list[Hint] = []
    for node in graph.nodes.values():
        for field in node.fields:
            path = tuple(field.path)
            in_template = _starts_with(path, _POD_TEMPLATES)
            in_identity = path in _IDENTITY
            if not (in_template or in_identity):
                continue
            text = " ".join(field.expressions)
            for read in field.resources:
                other = graph.nodes.get(read)
                if other is None or read == node.id:
                    continue
                kind = other.gvk.kind
                if in_template and _reads(text, read, "resourceVersion"):
                    hints.append(Hint(NOTE, node.id, format_path(path), _version_note(read, kind)))
                if in_identity:
                    for attribute in sorted(set(_reads(text, read, "resourceVersion|generation|uid"))):
                        message = _name_warning(str(path[-1]), read, attribute, kind)
                        hints.append(Hint(WARNING, node.id, format_path(path), message))
    return hints
