"""Dependency diagrams of compiled RGDs: a self-contained HTML page (inline SVG) or Graphviz DOT.

Nodes are laid out in rows by dependency depth (roots on top; a node sits one row below its deepest
dependency), so every edge points downwards. Within a row, nodes are ordered by the mean position of
their dependencies to keep edges short, then by topological index; an edge spanning several rows runs
through a reserved slot in each row between, so it never crosses a box. The page has no scripts and
fetches nothing: it can be opened offline or attached to a review.

Each node shows `id (Kind)` and `#<topological index>`; includeWhen-guarded nodes are dashed,
external references are shaded and forEach collections drawn as a stack.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from pykro.graph import CompiledGraph
from pykro.graph.model import Node

_CHAR_WIDTH = 7.4  # px per character of the 12px monospace label
_BOX_HEIGHT = 46
_MIN_BOX_WIDTH = 120
_H_GAP = 36
_V_GAP = 64
_MARGIN = 24
_WAYPOINT_WIDTH = 8


@dataclass(frozen=True)
class PlacedNode:
    """A node's box: top-left corner (`x`, `y`), size, row (`layer`) and topological index."""

    node: Node
    index: int
    layer: int
    x: float
    y: float
    width: float
    height: float

    @property
    def label(self) -> str:
        return f"{self.node.id} ({self.node.gvk.kind})"


@dataclass(frozen=True)
class Edge:
    """A dependency edge drawn from `source`'s bottom to `target`'s top through `points` (x, y)."""

    source: str
    target: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Layout:
    nodes: dict[str, PlacedNode]
    edges: tuple[Edge, ...]
    width: float
    height: float


def layers(graph: CompiledGraph) -> dict[str, int]:
    """Node id → dependency depth (0 for nodes that depend on no other node)."""
    depth: dict[str, int] = {}
    for node_id in graph.topological_order:
        deps = graph.nodes[node_id].dependencies
        depth[node_id] = 1 + max(depth[d] for d in deps) if deps else 0
    return depth


def layout(graph: CompiledGraph) -> Layout:
    """Boxes for every node and the routes of the dependency edges between them.

    An edge spanning several rows passes through a narrow waypoint slot in each row between, so that it
    never crosses a box (the dummy nodes of a layered, Sugiyama-style drawing)."""
    index = {node_id: i for i, node_id in enumerate(graph.topological_order)}
    depth = layers(graph)
    pairs = [(d, n.id) for n in graph.ordered_nodes() for d in n.dependencies]
    rows: list[list[tuple[str, int]]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node_id in graph.topological_order:
        rows[depth[node_id]].append((node_id, -1))  # -1: a node; k >= 0: a waypoint of edge k
    for k, (source, target) in enumerate(pairs):
        for layer in range(depth[source] + 1, depth[target]):
            rows[layer].append((source, k))
    width = {
        i: max(_MIN_BOX_WIDTH, 24 + _CHAR_WIDTH * len(f"{i} ({graph.nodes[i].gvk.kind})")) for i in index
    }

    def item_width(item: tuple[str, int]) -> float:
        return width[item[0]] if item[1] < 0 else _WAYPOINT_WIDTH

    row_widths = [sum(map(item_width, row)) + _H_GAP * (len(row) - 1) for row in rows]
    total_width = max(row_widths, default=0.0) + 2 * _MARGIN
    centre: dict[tuple[str, int], float] = {}

    def barycentre(item: tuple[str, int], layer: int) -> float:
        node_id, k = item
        if k >= 0:  # a waypoint follows its edge's point in the row above (same key, overwritten per row)
            previous = (pairs[k][0], -1) if depth[pairs[k][0]] == layer - 1 else (node_id, k)
            return centre[previous]
        deps = graph.nodes[node_id].dependencies
        return sum(centre[(d, -1)] for d in deps) / len(deps) if deps else float(index[node_id])

    placed: dict[str, PlacedNode] = {}
    waypoints: dict[tuple[int, int], float] = {}  # (edge, layer) -> x
    for layer, row in enumerate(rows):
        keys = {item: (barycentre(item, layer), index[item[0]], item[1]) for item in row}
        row.sort(key=keys.__getitem__)
        x = (total_width - row_widths[layer]) / 2
        y = _MARGIN + layer * (_BOX_HEIGHT + _V_GAP)
        for item in row:
            node_id, k = item
            centre[item] = x + item_width(item) / 2
            if k < 0:
                placed[node_id] = PlacedNode(
                    graph.nodes[node_id], index[node_id], layer, x, y, width[node_id], _BOX_HEIGHT
                )
            else:
                waypoints[(k, layer)] = centre[item]
            x += item_width(item) + _H_GAP
    edges: list[Edge] = []
    for k, (source, target) in enumerate(pairs):
        a, b = placed[source], placed[target]
        points = [(a.x + a.width / 2, a.y + a.height)]
        for layer in range(depth[source] + 1, depth[target]):
            y = _MARGIN + layer * (_BOX_HEIGHT + _V_GAP)
            points += [(waypoints[(k, layer)], y), (waypoints[(k, layer)], y + _BOX_HEIGHT)]
        points.append((b.x + b.width / 2, b.y))
        edges.append(Edge(source, target, tuple(points)))
    height = _MARGIN * 2 + len(rows) * _BOX_HEIGHT + max(len(rows) - 1, 0) * _V_GAP
    return Layout(placed, tuple(edges), total_width, height)


def _edge_path(points: Sequence[tuple[float, float]]) -> str:
    """SVG path data: S-curves between rows, straight runs through waypoint slots."""
    (x, y), rest = points[0], points[1:]
    out = [f"M {x:.1f} {y:.1f}"]
    for i, (nx, ny) in enumerate(rest):
        if i % 2 == 0:  # between rows
            bend = (ny - y) / 2
            out.append(f"C {x:.1f} {y + bend:.1f}, {nx:.1f} {ny - bend:.1f}, {nx:.1f} {ny:.1f}")
        else:  # down through a row's waypoint slot
            out.append(f"L {nx:.1f} {ny:.1f}")
        x, y = nx, ny
    return " ".join(out)


def render_svg(graph: CompiledGraph) -> str:
    """An inline `<svg>` element of `graph` (no XML namespace needed inside HTML)."""
    box = layout(graph)
    e = html.escape
    parts = [
        f'<svg class="graph" width="{box.width:.0f}" height="{box.height:.0f}" '
        f'viewBox="0 0 {box.width:.0f} {box.height:.0f}" role="img" aria-label="{e(graph.rgd_name)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
    ]
    for edge in box.edges:
        parts.append(
            f'<path class="edge" data-from="{e(edge.source)}" data-to="{e(edge.target)}" '
            f'd="{_edge_path(edge.points)}" marker-end="url(#arrow)">'
            f"<title>{e(edge.target)} depends on {e(edge.source)}</title></path>"
        )
    for p in sorted(box.nodes.values(), key=lambda p: p.index):
        node = p.node
        traits = [
            (css, note)
            for present, css, note in (
                (node.include_when, "conditional", "includeWhen"),
                (node.is_external, "external", "external"),
                (node.is_collection, "collection", "forEach"),
            )
            if present
        ]
        classes = ["node", *(css for css, _ in traits)]
        notes = [f"#{p.index}", *(note for _, note in traits)]
        parts.append(
            f'<g class="{" ".join(classes)}" data-id="{e(node.id)}" data-kind="{e(node.gvk.kind)}" '
            f'data-index="{p.index}" data-layer="{p.layer}">'
        )
        parts.append(
            f"<title>{e(node.gvk.api_version)} {e(node.gvk.kind)}"
            + (f" — waits for {e(', '.join(node.dependencies))}" if node.dependencies else "")
            + "</title>"
        )
        if node.is_collection:
            parts.append(
                f'<rect class="stack" x="{p.x + 4:.1f}" y="{p.y + 4:.1f}" width="{p.width:.1f}" '
                f'height="{p.height:.1f}" rx="6"/>'
            )
        parts.append(
            f'<rect x="{p.x:.1f}" y="{p.y:.1f}" width="{p.width:.1f}" height="{p.height:.1f}" rx="6"/>'
        )
        mid = p.x + p.width / 2
        parts.append(f'<text class="label" x="{mid:.1f}" y="{p.y + 19:.1f}">{e(p.label)}</text>')
        parts.append(f'<text class="index" x="{mid:.1f}" y="{p.y + 36:.1f}">{e(" · ".join(notes))}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
h2 { font-size: 18px; margin: 24px 0 4px; }
p.meta { margin: 0 0 8px; color: #555; }
svg.graph { border: 1px solid #ddd; background: #fcfcfc; }
.node rect { fill: #e8f0fe; stroke: #3367d6; stroke-width: 1.5; }
.node.external rect { fill: #eeeeee; stroke: #666; }
.node.conditional rect { stroke-dasharray: 6 4; }
.node rect.stack { fill: #d2e3fc; }
.node text { font: 12px monospace; text-anchor: middle; }
.node text.index { fill: #555; font-size: 11px; }
.edge { fill: none; stroke: #555; stroke-width: 1.3; }
ul.legend { color: #555; font-size: 13px; }
"""

_LEGEND = (
    '<ul class="legend"><li>arrows point from a resource to the resources that wait for it</li>'
    "<li>#n: position in the apply (topological) order</li><li>dashed: guarded by includeWhen</li>"
    "<li>grey: external reference (read, never applied)</li><li>stacked: forEach collection</li></ul>"
)


def render_html(graphs: Sequence[CompiledGraph], *, title: str = "ResourceGraphDefinition") -> str:
    """A standalone HTML page with one section (heading and SVG diagram) per graph."""
    e = html.escape
    sections = []
    for graph in graphs:
        gvk = graph.instance_gvk
        sections.append(
            f'<section class="rgd" data-rgd="{e(graph.rgd_name)}">\n<h2>{e(graph.rgd_name)}</h2>\n'
            f'<p class="meta">instance kind {e(gvk.kind)} ({e(gvk.api_version)}), '
            f"{len(graph.nodes)} resources</p>\n{render_svg(graph)}\n</section>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{e(title)} — dependency diagram</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(sections)
        + f"\n{_LEGEND}\n</body>\n</html>\n"
    )


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _dot_string(text: str) -> str:
    return f'"{_dot_escape(text)}"'


def render_dot(graphs: Sequence[CompiledGraph]) -> str:
    """Graphviz DOT text: one `digraph` per graph, edges from dependency to dependent."""
    out: list[str] = []
    for graph in graphs:
        out.append(f"digraph {_dot_string(graph.rgd_name)} {{")
        out.append('  rankdir=TB;\n  node [shape=box, style=rounded, fontname="monospace"];')
        for i, node in enumerate(graph.ordered_nodes()):
            styles = (
                ["rounded"]
                + (["dashed"] if node.include_when else [])
                + (["filled"] if node.is_external else [])
            )
            extra = ', fillcolor="#eeeeee"' if node.is_external else ""
            extra += ", peripheries=2" if node.is_collection else ""
            label = _dot_escape(f"{node.id} ({node.gvk.kind})") + f"\\n#{i}"
            out.append(f'  {_dot_string(node.id)} [label="{label}", style="{",".join(styles)}"{extra}];')
        for node in graph.ordered_nodes():
            for dep in node.dependencies:
                out.append(f"  {_dot_string(dep)} -> {_dot_string(node.id)};")
        out.append("}")
    return "\n".join(out) + "\n"
