"""The compiled graph of an RGD: what `build_graph` produces and the runtime consumes.

Everything here is immutable (frozen dataclasses, `FrozenDict`, tuples) and hashable. Nodes and
graphs compare by identity: two compilations of the same RGD are different objects (their compiled
programs are), so compare graphs by `spec_hash` when asking "is this the same RGD spec?".

Compiled programs live in the graph: the runtime evaluates `FieldExpression.program` (and the
include/ready/forEach programs) and never recompiles. Identical expression texts within one graph
share one `CheckedExpression`.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pykro.api.frozen import FrozenDict
from pykro.cel.checked import CelType
from pykro.cel.compiler import CheckedExpression, Program
from pykro.cel.data import DataPreparer
from pykro.schema.gvk import GVK

FieldPath = tuple[str | int, ...]
"""A path inside a template or inside `.status`: str = map key, int = list index."""

SCHEMA = "schema"
"""The variable naming the instance (without `.status`)."""

_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def format_path(path: FieldPath, prefix: str = "") -> str:
    """kro's spelling of a field path: `spec.containers[0].image`,
    `metadata.labels["app.kubernetes.io/name"]`."""
    out = prefix
    for seg in path:
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif _SIMPLE_KEY.match(seg):
            out += f".{seg}" if out else seg
        else:
            out += f'["{seg}"]'
    return out


class NodeType(enum.Enum):
    """How a node's objects come to exist (spec §4.1 step 4)."""

    RESOURCE = "Resource"  # one object, applied by kro
    COLLECTION = "Collection"  # forEach: one object per element of the cartesian product, applied by kro
    EXTERNAL = "External"  # externalRef by name: read, never applied
    EXTERNAL_COLLECTION = "ExternalCollection"  # externalRef by selector: listed, never applied

    @property
    def is_external(self) -> bool:
        return self in (NodeType.EXTERNAL, NodeType.EXTERNAL_COLLECTION)

    @property
    def is_collection(self) -> bool:
        """Referenced by other expressions as a list of objects."""
        return self in (NodeType.COLLECTION, NodeType.EXTERNAL_COLLECTION)


class ExpressionKind(enum.Enum):
    STANDALONE = "standalone"  # `${expr}`: the result keeps its native type and replaces the field
    TEMPLATE = (
        "template"  # `a-${x}-b`: one string concatenation (`CheckedExpression.expression` is the CEL text)
    )


class VariableKind(enum.Enum):
    """kro's classification of a template field (§4.3)."""

    STATIC = "static"  # refers to `schema` and/or constants only
    DYNAMIC = "dynamic"  # refers to at least one resource
    ITERATION = "iteration"  # refers to a forEach iterator of its own node


@dataclass(frozen=True, eq=False)
class FieldExpression:
    """One string leaf holding `${...}` (in a template, externalRef or `.status`).

    - `path`: where it sits (inside the template, or inside `.status` for status fields).
    - `kind`: standalone or template; `text`: the string exactly as the user wrote it.
    - `expressions`: the bodies of its `${...}` parts, in order.
    - `checked`: the type-checked expression (for a template, the concatenation); `program` runs it.
    - `resources`: node ids it reads (deduplicated, first-seen order); `uses_schema`: reads `schema`;
      `iterators`: forEach iterator names of its node it reads.
    """

    path: FieldPath
    kind: ExpressionKind
    text: str
    expressions: tuple[str, ...]
    checked: CheckedExpression
    resources: tuple[str, ...]
    uses_schema: bool
    iterators: tuple[str, ...] = ()

    @property
    def program(self) -> Program:
        return self.checked.program

    @property
    def output_type(self) -> CelType:
        return self.checked.output_type

    @property
    def standalone(self) -> bool:
        return self.kind is ExpressionKind.STANDALONE

    @property
    def variable_kind(self) -> VariableKind:
        if self.iterators:
            return VariableKind.ITERATION
        return VariableKind.DYNAMIC if self.resources else VariableKind.STATIC

    @property
    def references(self) -> tuple[str, ...]:
        """Every variable the activation must hold: `schema`, resource ids, iterators."""
        return ((SCHEMA,) if self.uses_schema else ()) + self.resources + self.iterators

    def path_string(self, prefix: str = "") -> str:
        return format_path(self.path, prefix)


class _StandaloneExpression:
    """What a whole-expression entry (includeWhen, readyWhen, author condition) reads and runs."""

    checked: CheckedExpression
    resources: tuple[str, ...]
    uses_schema: bool

    @property
    def program(self) -> Program:
        return self.checked.program

    @property
    def references(self) -> tuple[str, ...]:
        return ((SCHEMA,) if self.uses_schema else ()) + self.resources


@dataclass(frozen=True, eq=False)
class Condition(_StandaloneExpression):
    """An includeWhen / readyWhen entry (always one standalone `${...}`); bool or optional(bool)."""

    text: str  # as written: `${...}`
    checked: CheckedExpression
    resources: tuple[str, ...]  # node ids read (includeWhen: ⊆ the node's dependencies; readyWhen: own id)
    uses_schema: bool


@dataclass(frozen=True, eq=False)
class AuthorCondition(_StandaloneExpression):
    """One `schema.status.conditions` entry (spec §4.7): a standalone `${...}` returning a condition
    (`runtime.newCondition(...)`) or a list of them.

    `declared_types`: the literal `type`s of its `runtime.newCondition` calls; `schema_lookups`: the
    literal types it reads with `runtime.condition(schema, '<type>')` (kro's built-ins only).
    """

    index: int  # position in `status.conditions`
    text: str  # as written: `${...}`
    checked: CheckedExpression
    resources: tuple[str, ...]
    uses_schema: bool
    declared_types: tuple[str, ...] = ()
    schema_lookups: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class ForEachDimension:
    """One forEach iterator: `name` is bound to each element of `checked` (a list)."""

    name: str
    text: str
    checked: CheckedExpression
    element_type: CelType
    resources: tuple[str, ...]
    uses_schema: bool

    @property
    def program(self) -> Program:
        return self.checked.program


@dataclass(frozen=True, eq=False)
class Node:
    """One resource of the RGD.

    - `id`, `index` (position in `spec.resources`), `type`.
    - `gvk`, `plural`, `namespaced`: the kind, from the schema registry.
    - `template`: the object template, deep-frozen (externals: `{apiVersion, kind, metadata: {name,
    namespace}}`).
    - `fields`: every expression-holding string leaf of `template`, in document order.
    - `include_when` (AND), `ready_when` (AND; reads only this node, or `each` for collections).
    - `for_each`: iterator dimensions (empty unless `type` is COLLECTION).
    - `dependencies`: node ids this node waits for (from template, forEach and includeWhen expressions),
      first-seen order. `apply_order`: the wave number (roots 1) kro stamps as `internal.kro.run/apply-order`.
    - `schema`: the kind's whole-object OpenAPI schema (read-only view; for collections, one item's);
      `preparer` converts one observed object of this kind into CEL-ready activation data (timestamps, bytes).
    - Collections (forEach, external selector) are bound in other nodes' activations as a *list* of
      observed objects; a collection's readyWhen reads one item as `each`.
    """

    id: str
    index: int
    type: NodeType
    gvk: GVK
    plural: str
    namespaced: bool
    template: FrozenDict[str, Any]
    fields: tuple[FieldExpression, ...]
    include_when: tuple[Condition, ...]
    ready_when: tuple[Condition, ...]
    for_each: tuple[ForEachDimension, ...]
    dependencies: tuple[str, ...]
    apply_order: int
    schema: Mapping[str, Any] = field(repr=False)
    preparer: DataPreparer = field(repr=False)

    @property
    def is_external(self) -> bool:
        return self.type.is_external

    @property
    def is_collection(self) -> bool:
        return self.type.is_collection

    @functools.cached_property
    def expression_refs(self) -> frozenset[str]:
        """Variables the node's template fields, includeWhen and forEach expressions read (`schema`, node ids,
        iterators): what the activation must hold to render the node. readyWhen reads only the node itself
        (or `each` for collections) and is not included."""
        refs: set[str] = set()
        for f in self.fields:
            refs.update(f.references)
        for c in self.include_when:
            refs.update(c.references)
        for d in self.for_each:
            refs.update(d.resources)
            if d.uses_schema:
                refs.add(SCHEMA)
        return frozenset(refs)

    @property
    def iterator_names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.for_each)

    def fields_at(self, prefix: FieldPath) -> Iterator[FieldExpression]:
        """The field expressions at or below `prefix` (e.g. `("metadata", "name")`)."""
        n = len(prefix)
        return (f for f in self.fields if f.path[:n] == prefix)


@dataclass(frozen=True, eq=False)
class StatusField:
    """One `.status` projection: `path` inside `.status`, its expression and inferred OpenAPI schema."""

    expression: FieldExpression
    schema: FrozenDict[str, Any]

    @property
    def path(self) -> FieldPath:
        return self.expression.path

    @property
    def program(self) -> Program:
        return self.expression.program


@dataclass(frozen=True, eq=False)
class CompiledGraph:
    """An RGD compiled: the instance kind, its nodes and every ordering the runtime needs.

    - `rgd_name`, `spec_hash` (§4.8: FNV-64a hex of the normalized spec).
    - `instance_gvk`, `instance_plural`, `instance_namespaced`: the instance kind.
    - `crd`: the generated instance CRD (with the inferred status schema merged in), frozen;
      `status_schema`: the inferred `.status` schema (with `state`/`conditions` defaults);
      `schema_variable`: the OpenAPI schema of the `schema` variable (instance minus status).
    - `nodes`: id → Node in declaration order. `topological_order`: apply order of ids (§4.4).
      `deletion_waves`: reverse topological layers (delete wave 0 first).
    - `status_fields`: `.status` projections in document order; `status_dependencies`: node ids they and
      the author conditions read.
    - `conditions`: the author-defined `status.conditions` entries (§4.7); empty when the RGD has none,
      in which case `status.conditions` holds kro's built-ins.
    """

    rgd_name: str
    spec_hash: str
    instance_gvk: GVK
    instance_plural: str
    instance_namespaced: bool
    crd: FrozenDict[str, Any] = field(repr=False)
    status_schema: FrozenDict[str, Any] = field(repr=False)
    schema_variable: FrozenDict[str, Any] = field(repr=False)
    nodes: FrozenDict[str, Node] = field(repr=False)
    topological_order: tuple[str, ...] = ()
    deletion_waves: tuple[tuple[str, ...], ...] = ()
    status_fields: tuple[StatusField, ...] = ()
    status_dependencies: tuple[str, ...] = ()
    conditions: tuple[AuthorCondition, ...] = ()

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def ordered_nodes(self) -> tuple[Node, ...]:
        """Nodes in topological (apply) order."""
        return tuple(self.nodes[i] for i in self.topological_order)

    @functools.cached_property
    def dependents(self) -> FrozenDict[str, tuple[str, ...]]:
        """id → ids of nodes that depend on it (declaration order)."""
        out: dict[str, list[str]] = {i: [] for i in self.nodes}
        for n in self.nodes.values():
            for d in n.dependencies:
                out[d].append(n.id)
        return FrozenDict({k: tuple(v) for k, v in out.items()})

    def status_resources(self) -> list[dict[str, Any]]:
        """RGD `status.resources`: `{id, dependencies: [{id}]}` for nodes with dependencies, topological
        order."""
        return [
            {"id": i, "dependencies": [{"id": d} for d in self.nodes[i].dependencies]}
            for i in self.topological_order
            if self.nodes[i].dependencies
        ]
