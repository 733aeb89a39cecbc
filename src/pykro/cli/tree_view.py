"""What `pykro tree` shows: an instance's resources as rows of a tree, and their text and JSON forms.

Pure: the rows are built from the RGD's graph resolved against the live objects (`render_plan`,
the controller's own runtime), the live objects and the instance's conditions.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pykro.api.conventions import meta
from pykro.cli.render_plan import RenderedNode, RenderResult, RenderState
from pykro.graph.model import CompiledGraph

Obj = dict[str, Any]

READY, WAITING, PENDING, EXCLUDED, ERROR, MISSING = (
    "Ready",
    "Waiting",
    "Pending",
    "Excluded",
    "Error",
    "Missing",
)


@dataclass
class Row:
    kind: str
    api_version: str
    name: str
    namespace: str
    state: str
    message: str = ""
    node: str = ""  # the RGD resource id ("" for an instance's own row)
    depends_on: list[str] = field(default_factory=list)
    last_change: str = ""  # RFC 3339: the newest write to the object
    resource_version: str = ""
    children: list[Row] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "apiVersion": self.api_version,
            "name": self.name,
            "namespace": self.namespace,
            "state": self.state,
        }
        for key, value in (
            ("node", self.node),
            ("message", self.message),
            ("dependsOn", self.depends_on),
            ("lastChange", self.last_change),
            ("resourceVersion", self.resource_version),
        ):
            if value:
                out[key] = value
        if self.children:
            out["children"] = [c.to_json() for c in self.children]
        return out


def last_change(obj: Mapping[str, Any]) -> str:
    """When the object was last written: the newest managedFields time, else its creation."""
    m = meta(obj)
    times = [
        str(f.get("time")) for f in m.get("managedFields") or () if isinstance(f, Mapping) and f.get("time")
    ]
    return max([*times, str(m.get("creationTimestamp") or "")])


def _object_row(obj: Mapping[str, Any], state: str, message: str, node: str, deps: list[str]) -> Row:
    m = meta(obj)
    return Row(
        str(obj.get("kind") or ""),
        str(obj.get("apiVersion") or ""),
        str(m.get("name") or ""),
        str(m.get("namespace") or ""),
        state,
        message,
        node,
        deps,
        last_change(obj),
        str(m.get("resourceVersion") or ""),
    )


def _instance_error(instance: Mapping[str, Any], node_id: str) -> str:
    """The instance's failing condition message when it names this resource."""
    status = instance.get("status") or {}
    if status.get("state") != "ERROR":
        return ""
    for cond in status.get("conditions") or ():
        message = str(cond.get("message") or "")
        if cond.get("status") == "False" and (
            f"resource '{node_id}'" in message or f'"{node_id}"' in message
        ):
            return message
    return ""


def _state(rendered: RenderedNode, live: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    if rendered.state is RenderState.EXCLUDED:
        return EXCLUDED, rendered.reason
    if rendered.state is RenderState.ERROR:
        return ERROR, rendered.reason
    if rendered.state is RenderState.PENDING:
        return PENDING, rendered.reason
    if not live:
        return MISSING, "not created yet"
    if rendered.ready:
        return READY, ""
    return WAITING, rendered.ready_reason


def instance_rows(
    graph: CompiledGraph,
    instance: Mapping[str, Any],
    result: RenderResult,
    live: Mapping[str, list[Obj]],
    nested: Mapping[str, Row],
) -> Row:
    """The instance's row, with a row per resource in dependency order (one per object of a
    collection); `live` holds the objects by resource id, `nested` the rows of child instances by uid."""
    status = instance.get("status") or {}
    ready: Mapping[str, Any] = next(
        (c for c in status.get("conditions") or () if c.get("type") == "Ready"), {}
    )
    root = _object_row(
        instance, str(status.get("state") or "UNKNOWN"), str(ready.get("message") or ""), "", []
    )
    for rendered in result.nodes:
        node = graph.node(rendered.id)
        objects = live.get(rendered.id, []) if not node.is_external else rendered.objects
        state, message = _state(rendered, objects)
        error = _instance_error(instance, rendered.id)
        if error and state not in (EXCLUDED,):
            state, message = ERROR, error
        deps = list(node.dependencies)
        if not objects:
            kind = rendered.kind.rsplit(" ", 1)
            root.children.append(Row(kind[-1], kind[0], "", "", state, message, rendered.id, deps))
            continue
        for obj in objects:
            row = _object_row(obj, state, message, rendered.id, deps)
            if node.is_external:
                row.message = row.message or "external reference"
            child = nested.get(str(meta(obj).get("uid") or ""))
            if child is not None:
                row.children = child.children
                row.message = row.message or f"instance {child.state}"
            root.children.append(row)
    return root


# -- text ----------------------------------------------------------------------------------------
def age(stamp: str, now: datetime.datetime) -> str:
    """kubectl's short age: 45s, 3m12s, 2h5m, 3d."""
    if not stamp:
        return ""
    try:
        then = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return ""
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m"
    return f"{hours}h" if hours < 48 else f"{hours // 24}d"


def _lines(row: Row, prefix: str, last: bool, top: bool, out: list[tuple[str, Row]]) -> None:
    branch = "" if top else ("└─ " if last else "├─ ")
    label = f"{row.kind}/{row.name}" if row.name else f"{row.kind} (none)"
    if row.node:
        label += f" [{row.node}]"
    out.append((prefix + branch + label, row))
    inner = prefix + ("" if top else ("   " if last else "│  "))
    for i, child in enumerate(row.children):
        _lines(child, inner, i == len(row.children) - 1, False, out)


def render_text(root: Row, *, wide: bool, now: datetime.datetime | None = None) -> str:
    now = now or datetime.datetime.now(datetime.UTC)
    lines: list[tuple[str, Row]] = []
    _lines(root, "", True, True, lines)
    headers = ["NAME", "STATE", "LAST CHANGE"]
    if wide:
        headers += ["NAMESPACE", "API VERSION", "RESOURCE VERSION", "DEPENDS ON"]
    headers.append("MESSAGE")
    table = [headers]
    for label, row in lines:
        cells = [label, row.state, age(row.last_change, now)]
        if wide:
            cells += [row.namespace, row.api_version, row.resource_version, ",".join(row.depends_on)]
        message = row.message if wide or len(row.message) <= 100 else row.message[:97] + "..."
        table.append([*cells, message])
    widths = [max(len(r[i]) for r in table) for i in range(len(headers) - 1)]
    return "\n".join(
        ("   ".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:-1])) + "   " + r[-1]).rstrip()
        for r in table
    )


def render_json(root: Row) -> str:
    return json.dumps(root.to_json(), indent=2)
