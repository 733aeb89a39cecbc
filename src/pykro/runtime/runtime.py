"""One instance's view of its graph during one reconcile (spec §5.2, §5.3, §5.7, §3.8). Pure: no I/O.

The controller feeds it observed objects (`observe`, `settle`) and asks, node by node in
topological order, what to do (`resolve`): skip it, wait, or apply a rendered object. Expressions
are evaluated against what was *observed* (a live object or an apply response), never against
what is about to be applied; the controller resolves a dependent only after its dependencies'
applies returned, so the Secret → Deployment roll of §5.12 happens in one step.

Expression results are memoized per runtime by compiled program; observing a new state of a
node forgets exactly the results that read it.
"""

from __future__ import annotations

import enum
import functools
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pykro.api.conventions import (
    COLLECTION_INDEX_LABEL,
    COLLECTION_SIZE_LABEL,
    InstanceIdentity,
    decorate_child,
)
from pykro.api.frozen import thaw
from pykro.cel.compiler import Program, evaluate
from pykro.cel.data import DataPreparer
from pykro.cel.errors import DataPending, EvaluationError
from pykro.cel.library import is_omit
from pykro.graph.model import SCHEMA, CompiledGraph, Condition, Node, NodeType
from pykro.jsontypes import copy_json
from pykro.runtime.resolver import PathError, drop_omitted, set_at
from pykro.runtime.state import InstanceState, NodeState, instance_state

_RESERVED_STATUS_KEYS = frozenset({"state", "conditions"})
EACH = "each"  # one collection item, in a collection's readyWhen


class ResolutionError(Exception):
    """Why a node could not be rendered; the message names the resource, field and expression."""

    def __init__(self, node_id: str, message: str) -> None:
        super().__init__(message)
        self.node_id = node_id


class NodePending(ResolutionError):
    """The data a node needs is not there yet: retry later."""


class NodeFailed(ResolutionError):
    """A node cannot be rendered and waiting will not help (e.g. a CEL runtime error)."""


class Action(enum.Enum):
    SKIP = "skip"  # includeWhen false (or a dependency skipped): not applied, pruned if it exists
    APPLY = "apply"  # apply `desired`
    READ = "read"  # an external reference: read `desired`'s name/namespace, never write


@dataclass(frozen=True)
class Resolution:
    """`desired`: the rendered object (READ: the external reference to look up, with its
    `metadata.selector` for external collections). `items`: a forEach collection's objects."""

    node_id: str
    action: Action
    desired: dict[str, Any] | None = None
    items: tuple[dict[str, Any], ...] = ()


@functools.lru_cache(maxsize=256)
def _schema_preparer(graph: CompiledGraph) -> DataPreparer:
    return DataPreparer(graph.schema_variable)


class _Outcome:
    __slots__ = ("error", "reads", "value")

    def __init__(self, reads: frozenset[str], value: Any = None, error: Exception | None = None) -> None:
        self.reads = reads
        self.value = value
        self.error = error


class Runtime:
    """See the module docstring. `instance` is the instance object as read (status is ignored)."""

    def __init__(
        self,
        graph: CompiledGraph,
        instance: Mapping[str, Any],
        *,
        max_collection_size: int = 1000,
    ) -> None:
        self.graph = graph
        self.max_collection_size = max_collection_size
        self.instance = {k: copy_json(v) for k, v in instance.items() if k != "status"}
        self.identity = InstanceIdentity.of(self.instance, graph.instance_gvk)
        self._schema_data = _schema_preparer(graph)(self.instance)
        self._observed: dict[str, Any] = {}  # id → object, or list of objects for collections
        self._desired_counts: dict[str, int] = {}
        self._data: dict[str, Any] = {}
        self._memo: dict[Program, _Outcome] = {}
        self._ignored: dict[str, bool] = {}
        self.states: dict[str, NodeState] = {}
        self.reasons: dict[str, str] = {}  # node id → why it is not settled (error or wait)
        self.evaluations = 0  # CEL programs actually run (memo misses); for tests and metrics

    # -- observations ----------------------------------------------------------------------------
    def observe(self, node_id: str, obj: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None) -> None:
        """Record the current state of a node's object (None: it does not exist); collections
        observe a list of objects (desired order for forEach)."""
        node = self.graph.node(node_id)
        if obj is None:
            self._observed.pop(node_id, None)
            self._data.pop(node_id, None)
        elif isinstance(obj, Mapping):
            plain = copy_json(dict(obj))
            self._observed[node_id] = plain
            self._data[node_id] = node.preparer(plain)
        else:
            items = [copy_json(dict(o)) for o in obj]
            self._observed[node_id] = items
            self._data[node_id] = [node.preparer(o) for o in items]
        self._memo = {p: o for p, o in self._memo.items() if node_id not in o.reads}

    def observed(self, node_id: str) -> Any:
        """A node's object as last observed (a list for collections; None if absent). Read-only."""
        return self._observed.get(node_id)

    # -- evaluation ------------------------------------------------------------------------------
    def _activation(
        self,
        program: Program,
        references: tuple[str, ...],
        bindings: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """Only the variables the expression reads (§3.8); an unobserved resource is data pending."""
        activation: dict[str, Any] = dict(bindings or {})
        for ref in references:
            if ref in activation:
                continue
            if ref == SCHEMA:
                activation[SCHEMA] = self._schema_data
            elif ref in self._data:
                activation[ref] = self._data[ref]
            else:
                raise DataPending(program.source, f"resource {ref!r} has not been observed yet")
        return activation

    def _evaluate(
        self,
        program: Program,
        references: tuple[str, ...],
        bindings: Mapping[str, Any] | None = None,
    ) -> Any:
        """Evaluate with `schema` and observed resources; `bindings` (forEach iterators, `each`)
        make the result item-specific, so those evaluations bypass the memo."""
        if bindings:
            activation = self._activation(program, references, bindings)
            self.evaluations += 1
            return evaluate(program, activation)
        hit = self._memo.get(program)
        if hit is None:
            hit = _Outcome(frozenset(r for r in references if r != SCHEMA))
            try:
                activation = self._activation(program, references, None)
                self.evaluations += 1
                hit.value = evaluate(program, activation)
            except (DataPending, EvaluationError) as exc:
                hit.error = exc
            self._memo[program] = hit
        if hit.error is not None:
            raise hit.error
        return hit.value

    def _condition(
        self,
        node_id: str,
        what: str,
        condition: Condition,
        bindings: Mapping[str, Any] | None = None,
    ) -> bool:
        """includeWhen/readyWhen: null counts as false; non-bool is a hard error."""
        try:
            value = self._evaluate(condition.program, condition.references, bindings)
        except DataPending as exc:
            raise NodePending(
                node_id, f"resource {node_id!r}: {what} {condition.text}: {exc.detail}"
            ) from None
        except EvaluationError as exc:
            raise NodeFailed(
                node_id, f"resource {node_id!r}: {what} {condition.text}: {exc.detail}"
            ) from None
        if value is None:
            return False
        if not isinstance(value, bool):
            raise NodeFailed(
                node_id,
                f"resource {node_id!r}: {what} {condition.text} returned "
                f"{type(value).__name__}, expected bool",
            )
        return value

    # -- node processing -------------------------------------------------------------------------
    def is_ignored(self, node_id: str) -> bool:
        """Contagious: ignored if a dependency is ignored or an includeWhen is false (spec §5.2).
        includeWhen reading resources waits for their readiness (raises `NodePending`)."""
        known = self._ignored.get(node_id)
        if known is not None:
            return known
        node = self.graph.node(node_id)
        ignored = any(self.is_ignored(d) for d in node.dependencies)
        if not ignored and node.include_when:
            for condition in node.include_when:
                for dep in condition.resources:
                    ready, why = self.readiness(dep)
                    if not ready:
                        raise NodePending(
                            node_id, f"resource {node_id!r}: includeWhen waits for {dep!r}: {why}"
                        )
            ignored = not all(self._condition(node_id, "includeWhen", c) for c in node.include_when)
        self._ignored[node_id] = ignored
        return ignored

    def readiness(self, node_id: str) -> tuple[bool, str]:
        """(ready, why not): ignored nodes are ready; others must exist and pass every readyWhen."""
        if self._ignored.get(node_id):
            return True, ""
        if node_id not in self._observed:
            return False, f"resource {node_id!r} does not exist yet"
        node = self.graph.node(node_id)
        if node.is_collection:
            return self._collection_readiness(node)
        for condition in node.ready_when:
            try:
                if not self._condition(node_id, "readyWhen", condition):
                    return False, f"resource {node_id!r} readyWhen {condition.text} is false"
            except NodePending as exc:
                return False, str(exc)
        return True, ""

    def _collection_readiness(self, node: Node) -> tuple[bool, str]:
        """forEach: every desired item observed; all: every item passes readyWhen over `each`."""
        items: list[Any] = self._observed.get(node.id) or []
        wanted = self._desired_counts.get(node.id)
        if node.type is NodeType.COLLECTION:
            if wanted is None:
                return False, f"collection {node.id!r} has not been expanded yet"
            if len(items) < wanted:
                return False, f"collection {node.id!r} has {len(items)} of {wanted} items"
        data = self._data.get(node.id) or []
        for index, item in enumerate(data):
            for condition in node.ready_when:
                try:
                    if not self._condition(node.id, "readyWhen", condition, {EACH: item}):
                        return (
                            False,
                            f"collection {node.id!r} item {index}: readyWhen {condition.text} is false",
                        )
                except NodePending as exc:
                    return False, str(exc)
        return True, ""

    def render(self, node: Node, bindings: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The node's template with every expression evaluated (no gating, no kro metadata);
        `bindings` hold a collection item's iterator values."""
        rendered: dict[str, Any] = thaw(node.template)
        for fld in node.fields:
            where = f"resource {node.id!r}: field {fld.path_string()}"
            try:
                value = self._evaluate(fld.program, fld.references, bindings if fld.iterators else None)
            except DataPending as exc:
                raise NodePending(node.id, f"{where}: {exc}") from None
            except EvaluationError as exc:
                raise NodeFailed(node.id, f"{where}: {exc}") from None
            try:
                set_at(rendered, fld.path, value)
            except PathError as exc:
                raise NodeFailed(node.id, f"{where}: {exc}") from None
        out = drop_omitted(rendered)
        if not isinstance(out, dict):  # pragma: no cover - templates are objects
            raise NodeFailed(node.id, f"resource {node.id!r}: template is not an object")
        return out

    def expand(self, node: Node) -> list[dict[str, Any]]:
        """A forEach node's objects: the cartesian product of its dimensions, first dimension
        outermost (§5.2), each rendered with its iterator values."""
        dimensions: list[list[Any]] = []
        for dim in node.for_each:
            refs = ((SCHEMA,) if dim.uses_schema else ()) + dim.resources
            where = f"resource {node.id!r}: forEach {dim.name} {dim.text}"
            try:
                values = self._evaluate(dim.program, refs)
            except DataPending as exc:
                raise NodePending(node.id, f"{where}: {exc.detail}") from None
            except EvaluationError as exc:
                raise NodeFailed(node.id, f"{where}: {exc.detail}") from None
            if not isinstance(values, list):
                got = "null" if values is None else type(values).__name__
                raise NodeFailed(node.id, f"{where}: must return a list, got {got}")
            dimensions.append(values)
        size = math.prod(len(d) for d in dimensions) if dimensions else 0
        if size > self.max_collection_size:
            raise NodeFailed(
                node.id,
                f"resource {node.id!r}: collection size of {size} is over the maximum "
                f"collection size of {self.max_collection_size}",
            )
        names = node.iterator_names
        items: list[dict[str, Any]] = []
        seen: dict[tuple[str, str], int] = {}
        for index, combination in enumerate(itertools.product(*dimensions)):
            item = self.render(node, dict(zip(names, combination, strict=True)))
            self._default_namespace(node, item)
            meta = item.get("metadata") or {}
            identity = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
            if identity in seen:
                raise NodeFailed(
                    node.id,
                    f"resource {node.id!r}: identity collision: items {seen[identity]} and "
                    f"{index} are both {node.gvk.kind} {'/'.join(p for p in identity if p)}",
                )
            seen[identity] = index
            items.append(item)
        return items

    def _default_namespace(self, node: Node, desired: dict[str, Any]) -> None:
        metadata = desired.setdefault("metadata", {})
        if (
            node.namespaced
            and not metadata.get("namespace")
            and node.type is not NodeType.EXTERNAL_COLLECTION
        ):
            if not self.identity.namespace:
                raise NodeFailed(  # upstream's wording
                    node.id,
                    f"node {json.dumps(node.id)} is namespaced and must resolve metadata.namespace "
                    "when the instance is cluster-scoped",
                )
            metadata["namespace"] = self.identity.namespace

    def resolve(self, node_id: str) -> Resolution:
        """What to do with `node_id` now; raises `NodePending` / `NodeFailed` (state recorded)."""
        node = self.graph.node(node_id)
        try:
            if self.is_ignored(node_id):
                self.states[node_id] = NodeState.SKIPPED
                return Resolution(node_id, Action.SKIP)
            for dep in node.dependencies:
                ready, why = self.readiness(dep)
                if not ready:
                    raise NodePending(node_id, f'node "{node_id}": dependent node "{dep}" not ready: {why}')
            if node.type is NodeType.COLLECTION:
                items = self.expand(node)
                self._desired_counts[node_id] = len(items)
                size = str(len(items))
                for index, item in enumerate(items):
                    decorate_child(item, self.identity, node_id, node.apply_order)
                    item["metadata"]["labels"].update(
                        {COLLECTION_INDEX_LABEL: str(index), COLLECTION_SIZE_LABEL: size}
                    )
                self.states[node_id] = NodeState.IN_PROGRESS
                return Resolution(node_id, Action.APPLY, None, tuple(items))
            desired = self.render(node)
            self._default_namespace(node, desired)
        except NodePending:
            self.states[node_id] = NodeState.IN_PROGRESS
            raise
        except NodeFailed as exc:
            self.states[node_id] = NodeState.ERROR
            self.reasons[node_id] = str(exc)
            raise
        self.states[node_id] = NodeState.IN_PROGRESS
        if node.is_external:
            return Resolution(node_id, Action.READ, desired)
        decorate_child(desired, self.identity, node_id, node.apply_order)
        return Resolution(node_id, Action.APPLY, desired)

    def settle(
        self,
        node_id: str,
        obj: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        *,
        error: str | None = None,
    ) -> NodeState:
        """After applying (or reading) a node: observe the result and derive its state."""
        if error is not None:
            self.states[node_id] = NodeState.ERROR
            self.reasons[node_id] = error
            return NodeState.ERROR
        self.observe(node_id, obj)
        try:
            ready, why = self.readiness(node_id)
        except NodeFailed as exc:
            self.states[node_id] = NodeState.ERROR
            self.reasons[node_id] = str(exc)
            return NodeState.ERROR
        if not ready:
            self.reasons[node_id] = why
        state = NodeState.SYNCED if ready else NodeState.WAITING_FOR_READINESS
        self.states[node_id] = state
        return state

    def mark_deleting(self, node_id: str) -> None:
        """The node's live object is terminating: nothing downstream may proceed this reconcile."""
        self.states[node_id] = NodeState.DELETING

    def mark_not_found(self, node_id: str) -> None:
        """An external reference does not exist (yet): the node waits, and its dependents pend."""
        self.states[node_id] = NodeState.WAITING_FOR_READINESS
        self.observe(node_id, None)

    def instance_state(self) -> InstanceState:
        return instance_state(self.states.get(i, NodeState.IN_PROGRESS) for i in self.graph.topological_order)

    def evaluate(
        self,
        program: Program,
        references: tuple[str, ...],
        bindings: Mapping[str, Any] | None = None,
    ) -> Any:
        """Evaluate a graph program that is not a node's (e.g. an author condition) against this
        reconcile's observations; `bindings` override variables (`schema`).
        Raises DataPending/EvaluationError."""
        return self._evaluate(program, references, bindings)

    @property
    def schema_data(self) -> Mapping[str, Any]:
        """The `schema` variable's data: the instance without `.status`, CEL-ready."""
        data: Mapping[str, Any] = self._schema_data
        return data

    # -- status ----------------------------------------------------------------------------------
    def project_status(self) -> tuple[dict[str, Any], list[StatusFieldError]]:
        """User status fields from the current observations (§5.7) and the hard errors met.

        Pending fields are skipped (they disappear from status until resolvable)."""
        status: dict[str, Any] = {}
        errors: list[StatusFieldError] = []
        for sf in self.graph.status_fields:
            path = sf.path
            if not path or path[0] in _RESERVED_STATUS_KEYS:
                continue
            try:
                value = self._evaluate(sf.program, sf.expression.references)
            except DataPending:
                continue
            except EvaluationError as exc:
                errors.append(StatusFieldError(path, f"status.{sf.expression.path_string()}: {exc}"))
                continue
            if is_omit(value):
                continue
            _put(status, path, drop_omitted(value))
        return status, errors


@dataclass(frozen=True)
class StatusFieldError:
    """A status expression that failed for good (not pending): where it writes, and why it failed."""

    path: tuple[str | int, ...]
    message: str  # names the field and the expression: `status.x: failed to evaluate expression "y": ...`

    def __str__(self) -> str:
        return self.message


def _put(target: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = target
    for step, following in zip(path[:-1], path[1:], strict=True):
        fresh: Any = [] if isinstance(following, int) else {}
        if isinstance(step, int):
            while len(node) <= step:
                node.append(None)
            if node[step] is None:
                node[step] = fresh
            node = node[step]
        else:
            node = node.setdefault(step, fresh)
    last = path[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(None)
    node[last] = value
