"""Hints about RGDs that compile but behave in ways their authors rarely want (`pykro validate`).

Two patterns, both about reading server-assigned metadata, which changes without the author's say:

- another resource's `metadata.resourceVersion` in a pod template: the workload rolls on *every* write to that
  resource, a label edit included. A content hash of its data rolls only when the content changes (a
  note: the pattern is legitimate, just coarser than most authors expect);
- another resource's `resourceVersion`, `generation` or `uid` (or the instance's `resourceVersion`) in a
  `metadata.name`/`metadata.namespace`: each change of the value renames the child, which kro deletes
  and recreates; with the instance's resourceVersion, which kro's status writes move, that never ends
  (the reconcile loop of kubernetes-sigs/kro#536; a warning).

Pure analysis of a compiled graph: no I/O, nothing printed.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from pykro.graph.model import SCHEMA, CompiledGraph, FieldExpression, FieldPath, Node

# Where a resource carries a pod template: Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs
# (`spec.template`) and CronJobs (`spec.jobTemplate.spec.template`).
POD_TEMPLATE_PATHS: tuple[FieldPath, ...] = (
    ("spec", "template"),
    ("spec", "jobTemplate", "spec", "template"),
)
NAME_PATHS: tuple[FieldPath, ...] = (("metadata", "name"), ("metadata", "namespace"))

# Server-assigned metadata and when it changes.
_CHANGES_WHEN = {
    "resourceVersion": 'on every write to "{}"',
    "generation": 'on every change to the spec of "{}"',
    "uid": 'every time "{}" is recreated',
}


class Severity(enum.Enum):
    WARNING = "warning"  # almost certainly a bug; fails `pykro validate --strict`
    NOTE = "note"  # works, with a consequence worth knowing; never fails


@dataclass(frozen=True)
class Hint:
    severity: Severity
    resource: str  # the id of the resource whose template holds the expression
    path: str  # the field path inside that template, kro's spelling
    message: str


def content_hash_expression(node: Node) -> tuple[str, str] | None:
    """A `${...}` hashing `node`'s content, and what that content is; None if the kind has neither
    `data` (Secret, ConfigMap) nor `spec`."""
    properties = node.schema.get("properties", {})
    field = "data" if "data" in properties else "spec" if "spec" in properties else None
    if field is None:
        return None
    return f"${{base64.encode(hash.sha256(json.marshal({node.id}.{field})))}}", f"its {field}"


def hints(graph: CompiledGraph) -> list[Hint]:
    """The hints for one compiled RGD, in resource and field order."""
    found: list[Hint] = []
    for node in graph.nodes.values():
        for expression in node.fields:
            if any(expression.path[: len(p)] == p for p in POD_TEMPLATE_PATHS):
                found.extend(_rollout_notes(graph, node, expression))
            # An externalRef is only read: a moving name makes kro read another object, not recreate one.
            if expression.path in NAME_PATHS and not node.is_external:
                found.extend(_rename_warnings(node, expression))
    return found


def _metadata_reads(expression: FieldExpression) -> Iterator[tuple[str, str, str]]:
    """(variable, metadata field, path as written) for each `<variable>.metadata.<field>` the expression
    reads, where `<field>` is server-assigned and `<variable>` a resource or `schema` (not an iterator)."""
    roots = {*expression.resources, SCHEMA} if expression.uses_schema else set(expression.resources)
    for path in expression.checked.references.paths:
        parts = path.split(".")
        if len(parts) == 3 and parts[0] in roots and parts[1] == "metadata" and parts[2] in _CHANGES_WHEN:
            yield parts[0], parts[2], path


def _rollout_notes(graph: CompiledGraph, node: Node, expression: FieldExpression) -> Iterator[Hint]:
    for resource_id, field, path in _metadata_reads(expression):
        if resource_id == SCHEMA or field != "resourceVersion":
            continue
        message = (
            f'reads {path}, which changes on any write to "{resource_id}" (labels and annotations included), '
            "so every such write rolls the workload"
        )
        alternative = content_hash_expression(graph.nodes[resource_id])
        if alternative is not None:
            message += f"; use {alternative[0]} to roll only when {alternative[1]} changes"
        yield Hint(Severity.NOTE, node.id, expression.path_string(), message)


def _rename_warnings(node: Node, expression: FieldExpression) -> Iterator[Hint]:
    what = expression.path[-1]  # name or namespace
    for resource_id, field, path in _metadata_reads(expression):
        if resource_id == SCHEMA:
            # The instance's uid is stable and its generation moves only when a user edits its spec;
            # its resourceVersion moves with every status update kro writes (kro#536's own case).
            if field != "resourceVersion":
                continue
            when = "on every write to the instance, kro's own status updates included"
        else:
            when = _CHANGES_WHEN[field].format(resource_id)
        yield Hint(
            Severity.WARNING,
            node.id,
            expression.path_string(),
            f'reads {path}, which changes {when}; each change gives "{node.id}" a new {what}, so kro deletes '
            "and recreates it: a reconcile loop that may never settle (kubernetes-sigs/kro#536); "
            f"derive the {what} from stable fields (the instance's name, uid or spec) instead",
        )
