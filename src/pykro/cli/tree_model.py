"""What `pykro tree` prints: an instance's resources as a tree, built from one render of the instance.

Pure: the cluster is read by `pykro.cli.tree`; here a `RenderResult` (the instance rendered with the
cluster's objects as `--observed`, see `pykro.cli.render_plan`) and the children found in the cluster
become `TreeNode`s, printed as a table (`-o wide` adds columns) or as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pykro.api.conventions import meta
from pykro.cli.render_plan import RenderedNode, RenderResult, RenderState
from pykro.timestamps import parse_rfc3339, short_age

READY, NOT_READY, PENDING, EXCLUDED, ERROR = "Ready", "NotReady", "Pending", "Excluded", "Error"
_MESSAGE_WIDTH = 80  # the MESSAGE column without -o wide


@dataclass
class TreeNode:
    api_version: str
    kind: str
    name: str  # "" when no object exists (excluded, pending, error before rendering)
    namespace: str
    node_id: str  # the RGD resource id; "" for the instance at the root
    state: str
    message: str = ""
    last_change: str = ""  # RFC 3339: the object's latest condition transition, update or creation
    resource_version: str = ""
    children: list[TreeNode] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "name": self.name,
            "namespace": self.namespace,
            "nodeId": self.node_id,
            "state": self.state,
            "message": self.message,
            "lastChange": self.last_change,
            "resourceVersion": self.resource_version,
            "children": [child.to_json() for child in self.children],
        }


def identity(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    """(kind, name, namespace): how a rendered object and the cluster's object are matched."""
    m = meta(obj)
    return str(obj.get("kind") or ""), str(m.get("name") or ""), str(m.get("namespace") or "")


def last_change(obj: Mapping[str, Any]) -> str:
    """The latest of the object's condition transitions, managed-field updates and creation."""
    m = meta(obj)
    times = [str(m.get("creationTimestamp") or "")]
    times += [
        str(entry.get("time") or "") for entry in m.get("managedFields") or () if isinstance(entry, dict)
    ]
    status = obj.get("status")
    if isinstance(status, Mapping):
        times += [
            str(c.get("lastTransitionTime") or "")
            for c in status.get("conditions") or ()
            if isinstance(c, Mapping)
        ]
    return max(times)  # RFC 3339 UTC timestamps sort as text


def instance_node(instance: Mapping[str, Any]) -> TreeNode:
    """The root: the instance's own state (`status.state`, and its Ready condition's message)."""
    status = instance.get("status")
    status = status if isinstance(status, Mapping) else {}
    ready = next(
        (c for c in status.get("conditions") or () if isinstance(c, Mapping) and c.get("type") == "Ready"),
        {},
    )
    # kro's own words when not ready: IN_PROGRESS, FAILED, DELETING...
    state = READY if ready.get("status") == "True" else str(status.get("state") or PENDING)
    return _object_node(instance, "", state, "" if state == READY else str(ready.get("message") or ""))


def _object_node(obj: Mapping[str, Any], node_id: str, state: str, message: str) -> TreeNode:
    kind, name, namespace = identity(obj)
    return TreeNode(
        str(obj.get("apiVersion") or ""),
        kind,
        name,
        namespace,
        node_id,
        state,
        message,
        last_change(obj),
        str(meta(obj).get("resourceVersion") or ""),
    )


def resource_nodes(result: RenderResult, in_cluster: Sequence[Mapping[str, Any]]) -> list[TreeNode]:
    """One node per object of each resource, in topological order; a resource with no object (excluded,
    pending, error, an empty forEach) is one node naming why."""
    found = {identity(obj): obj for obj in in_cluster}
    nodes: list[TreeNode] = []
    for rendered in result.nodes:
        if rendered.state in (RenderState.RENDERED, RenderState.OBSERVED) and rendered.objects:
            observed = rendered.state is RenderState.OBSERVED  # external: its objects are the cluster's
            nodes += [
                _rendered_node(rendered, obj if observed else found.get(identity(obj)), obj)
                for obj in rendered.objects
            ]
            continue
        api_version, _, kind = rendered.kind.rpartition(" ")
        state = {RenderState.EXCLUDED: EXCLUDED, RenderState.ERROR: ERROR}.get(rendered.state, PENDING)
        message = rendered.reason
        if rendered.state is RenderState.RENDERED:
            state, message = READY, "forEach has no items"
        elif rendered.state is RenderState.OBSERVED:
            state, message = READY, "the selector matches no object"
        nodes.append(TreeNode(api_version, kind, "", "", rendered.id, state, message))
    return nodes


def _rendered_node(
    rendered: RenderedNode, live: Mapping[str, Any] | None, desired: Mapping[str, Any]
) -> TreeNode:
    if live is None:  # rendered from the instance, but the controller has not created it (yet)
        node = _object_node(desired, rendered.id, PENDING, "not created yet")
        node.last_change = ""
        return node
    if rendered.ready is False:
        return _object_node(live, rendered.id, NOT_READY, rendered.ready_reason)
    return _object_node(live, rendered.id, READY, "")


# -- printing ------------------------------------------------------------------------------------


def age(timestamp: str, now: datetime) -> str:
    """How long ago `timestamp` (RFC 3339) was, as kubectl shows ages; "-" if unknown."""
    then = parse_rfc3339(timestamp)
    return "-" if then is None else short_age(now.timestamp() - then)


def _label(node: TreeNode) -> str:
    return f"{node.kind}/{node.name}" if node.name else f"{node.kind} [{node.node_id}]"


def _rows(node: TreeNode, prefix: str, branch: str, wide: bool, now: datetime) -> list[list[str]]:
    message = (
        node.message
        if wide or len(node.message) <= _MESSAGE_WIDTH
        else node.message[: _MESSAGE_WIDTH - 3] + "..."
    )
    row = [prefix + branch + _label(node), node.state, age(node.last_change, now), message]
    if wide:
        row[3:3] = [
            node.node_id or "-",
            node.namespace or "-",
            node.api_version,
            node.resource_version or "-",
        ]
    rows = [row]
    below = prefix + ("" if not branch else "   " if branch.startswith("└") else "│  ")
    for index, child in enumerate(node.children):
        last = index == len(node.children) - 1
        rows += _rows(child, below, "└─ " if last else "├─ ", wide, now)
    return rows


def format_table(root: TreeNode, *, wide: bool, now: datetime | None = None) -> str:
    header = ["NAME", "STATE", "LAST CHANGE", "MESSAGE"]
    if wide:
        header[3:3] = ["NODE", "NAMESPACE", "APIVERSION", "RESOURCEVERSION"]
    rows = [header, *_rows(root, "", "", wide, now or datetime.now(UTC))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = ["   ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]]) for row in rows]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def format_json(root: TreeNode) -> str:
    return json.dumps(root.to_json(), indent=2) + "\n"
