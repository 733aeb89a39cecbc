"""One offline reconcile of one instance: what `pykro render` prints.

The nodes are resolved in topological order by the controller's own per-instance runtime
(`pykro.runtime.runtime.Runtime`), so includeWhen, forEach and every expression mean exactly
what they mean in a cluster. Where the controller would apply an object and read back the API's
answer, render reads back the object from `--observed` (matched by kind, name and namespace and laid
over the rendered object, so a file holding just `status` is enough) or, failing that, the rendered
object itself. Values only a server assigns (`metadata.resourceVersion`, `uid`) and status fields
are therefore missing unless observed, and the nodes reading them are reported as pending with the
expression they wait on.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pykro.cli.apiserver_adapter import label_selector_matcher
from pykro.controller.instance.selectors import label_selector
from pykro.graph.model import CompiledGraph, Node, NodeType
from pykro.jsontypes import copy_json
from pykro.runtime.runtime import Action, NodeFailed, NodePending, Resolution, Runtime
from pykro.runtime.state import NodeState


class RenderState(enum.Enum):
    RENDERED = "rendered"  # would be applied: `objects` is what kro applies
    EXCLUDED = "excluded"  # an includeWhen is false (or a dependency is excluded): never applied
    PENDING = "pending"  # waits for data a cluster would provide: `reason` names the expression
    ERROR = "error"  # cannot be rendered: waiting would not help
    OBSERVED = "observed"  # an external reference, found in the observed objects


@dataclass
class RenderedNode:
    id: str
    kind: str  # apiVersion/kind, e.g. "apps/v1 Deployment"
    state: RenderState
    objects: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""  # why pending, error or excluded
    ready: bool | None = None  # rendered/observed nodes: readyWhen passed (None: not evaluated)
    ready_reason: str = ""
    include_when: list[str] = field(default_factory=list)
    for_each: list[dict[str, str]] = field(default_factory=list)  # [{name, expression}]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "state": self.state.value}
        for key, value in (
            ("reason", self.reason),
            ("ready", self.ready),
            ("readyReason", self.ready_reason),
            ("includeWhen", self.include_when),
            ("forEach", self.for_each),
        ):
            if value or value is False:
                out[key] = value
        if self.state in (RenderState.RENDERED, RenderState.OBSERVED):
            out["objects"] = self.objects
        return out


@dataclass
class RenderResult:
    instance: dict[str, Any]  # as admitted: defaults applied, unknown fields pruned
    nodes: list[RenderedNode]
    instance_state: str
    status: dict[str, Any]  # the instance status fields resolvable from what was rendered/observed


class ObservedObjects:
    """Objects standing for what the cluster holds, looked up by kind, name and namespace."""

    def __init__(self, objects: Sequence[Mapping[str, Any]]) -> None:
        self._objects = [dict(o) for o in objects]
        self.used: set[int] = set()

    def _take(self, kind: str, accept: Callable[[Mapping[str, Any]], bool]) -> list[dict[str, Any]]:
        """Copies of the objects of `kind` whose metadata `accept` takes; they count as used."""
        found: list[dict[str, Any]] = []
        for index, obj in enumerate(self._objects):
            meta = obj.get("metadata")
            if obj.get("kind") == kind and isinstance(meta, dict) and accept(meta):
                self.used.add(index)
                found.append(copy_json(obj))
        return found

    def find(self, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
        """The object of this kind and name, in `namespace` or with none given."""
        found = self._take(
            kind, lambda m: m.get("name") == name and m.get("namespace") in (None, "", namespace)
        )
        return found[0] if found else None

    def select(
        self,
        kind: str,
        namespace: str,
        matches: Callable[[Mapping[str, str] | None], bool],
    ) -> list[dict[str, Any]]:
        """Every object of `kind` (in `namespace`, unless "") whose labels `matches` accepts."""
        return self._take(
            kind,
            lambda m: (
                (not namespace or m.get("namespace") in (None, "", namespace))
                and matches(m.get("labels") or {})
            ),
        )

    def unused(self) -> list[dict[str, Any]]:
        return [o for i, o in enumerate(self._objects) if i not in self.used]


def _overlay(base: Any, top: Any) -> Any:
    """`top` laid over `base`: mappings merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(top, dict):
        merged = dict(base)
        for key, value in top.items():
            merged[key] = _overlay(base.get(key), value)
        return merged
    return top


def _identity(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    return str(obj.get("kind") or ""), str(meta.get("name") or ""), str(meta.get("namespace") or "")


def render_instance(
    graph: CompiledGraph,
    instance: Mapping[str, Any],
    observed: ObservedObjects,
    missing_hint: str = " (supply it with --observed)",
) -> RenderResult:
    """Resolve every node of `graph` for `instance` (admitted: defaults applied) in topological order;
    `missing_hint` follows the message of an external reference not found among the observed."""
    runtime = Runtime(graph, instance)
    nodes: dict[str, RenderedNode] = {}
    for node_id in graph.topological_order:
        node = graph.node(node_id)
        rendered = RenderedNode(
            node_id,
            f"{node.gvk.api_version} {node.gvk.kind}",
            RenderState.PENDING,
            include_when=[c.text for c in node.include_when],
            for_each=[{"name": d.name, "expression": d.text} for d in node.for_each],
        )
        nodes[node_id] = rendered
        try:
            resolution = runtime.resolve(node_id)
        except NodePending as exc:
            rendered.reason = str(exc)
            continue
        except NodeFailed as exc:
            rendered.state, rendered.reason = RenderState.ERROR, str(exc)
            continue
        if resolution.action is Action.SKIP:
            rendered.state = RenderState.EXCLUDED
            rendered.reason = _exclusion_reason(node, nodes)
        elif resolution.action is Action.READ:
            _read_external(runtime, node, resolution, observed, rendered, missing_hint)
        else:
            _apply(runtime, node, resolution, observed, rendered)
    status, _ = runtime.project_status()
    return RenderResult(dict(instance), list(nodes.values()), runtime.instance_state().value, status)


def _exclusion_reason(node: Node, nodes: Mapping[str, RenderedNode]) -> str:
    excluded = [d for d in node.dependencies if nodes[d].state is RenderState.EXCLUDED]
    if excluded:
        return f"depends on excluded resource {excluded[0]!r}"
    return "includeWhen is false" if len(node.include_when) == 1 else "an includeWhen is false"


def _settled(runtime: Runtime, rendered: RenderedNode, node_id: str) -> None:
    state = runtime.states.get(node_id)
    if state is NodeState.ERROR:
        rendered.state = RenderState.ERROR
        rendered.reason = runtime.reasons.get(node_id, "")
        return
    rendered.ready = state is NodeState.SYNCED
    if not rendered.ready:
        rendered.ready_reason = runtime.reasons.get(node_id, "")


def _apply(
    runtime: Runtime,
    node: Node,
    resolution: Resolution,
    observed: ObservedObjects,
    rendered: RenderedNode,
) -> None:
    """What the controller applies, and what it would read back: the observed object over the
    rendered one, or the rendered one alone."""
    desired = list(resolution.items) if node.type is NodeType.COLLECTION else [resolution.desired or {}]
    rendered.state, rendered.objects = RenderState.RENDERED, desired
    results = [_overlay(obj, observed.find(*_identity(obj)) or {}) for obj in desired]
    runtime.settle(node.id, results if node.type is NodeType.COLLECTION else results[0])
    _settled(runtime, rendered, node.id)


def _read_external(
    runtime: Runtime,
    node: Node,
    resolution: Resolution,
    observed: ObservedObjects,
    rendered: RenderedNode,
    missing_hint: str,
) -> None:
    """External references are only ever read: they must come from `--observed`."""
    ref = resolution.desired or {}
    kind, name, namespace = _identity(ref)
    if node.type is NodeType.EXTERNAL_COLLECTION:
        # The selector as the controller sends it to the API server, matched as the server matches it.
        ref_meta = ref.get("metadata")
        try:
            text, _ = label_selector(ref_meta.get("selector") if isinstance(ref_meta, dict) else None)
            matches = label_selector_matcher(text)
        except ValueError as exc:
            rendered.state, rendered.reason = RenderState.ERROR, f"resource {node.id!r}: {exc}"
            return
        rendered.state, rendered.objects = RenderState.OBSERVED, observed.select(kind, namespace, matches)
        runtime.settle(node.id, rendered.objects)
        _settled(runtime, rendered, node.id)
        return
    found = observed.find(kind, name, namespace)
    if found is None:
        where = f"{namespace}/{name}" if namespace else name
        rendered.reason = f"external reference {node.id!r}: {kind} {where} not found{missing_hint}"
        return
    rendered.state, rendered.objects = RenderState.OBSERVED, [found]
    runtime.settle(node.id, found)
    _settled(runtime, rendered, node.id)
