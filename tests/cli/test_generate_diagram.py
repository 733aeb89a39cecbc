"""`pykro generate diagram`: the HTML page holds every node and edge of each upstream RGD, the layout
keeps boxes and edges apart, DOT output, and bad input."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from pykro.cli.diagram import layout
from pykro.cli.generate import command, compile_graphs
from pykro.graph import CompiledGraph
from tests.cli.test_generate import example_files, run_main


class Diagram(HTMLParser):
    """Collects the page's sections, node groups (with their texts), edges and any fetching elements."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.nodes: dict[tuple[str, str], dict[str, Any]] = {}
        self.edges: list[tuple[str, str, str]] = []
        self.fetching: list[str] = []
        self.svg_count = 0
        self._node: dict[str, Any] | None = None
        self._text_class: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "link", "img", "iframe") or "src" in a or "href" in a:
            self.fetching.append(tag)
        if tag == "svg":
            self.svg_count += 1
        if tag == "section" and "rgd" in a.get("class", "").split():
            self.sections.append(a["data-rgd"])
        classes = a.get("class", "").split()
        if tag == "g" and "node" in classes:
            self._node = {**a, "classes": set(classes), "texts": {}}
            self.nodes[(self.sections[-1], a["data-id"])] = self._node
        if tag == "path" and "edge" in classes:
            self.edges.append((self.sections[-1], a["data-from"], a["data-to"]))
        if tag == "text" and self._node is not None:
            self._text_class = a.get("class")

    def handle_endtag(self, tag: str) -> None:
        if tag == "g":
            self._node = None
        if tag == "text":
            self._text_class = None

    def handle_data(self, data: str) -> None:
        if self._node is not None and self._text_class:
            self._node["texts"][self._text_class] = data


def invoke(*args: str) -> str:
    result = CliRunner().invoke(command, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def schema_args(path: Path) -> list[str]:
    siblings = [str(p) for p in sorted(path.parent.glob("*.yaml")) if p != path and "assert" not in p.name]
    return [arg for sibling in siblings for arg in ("--schemas", sibling)]


def rgd_resources(path: Path) -> dict[str, list[dict[str, Any]]]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    return {
        d["metadata"]["name"]: d["spec"].get("resources") or []
        for d in docs
        if d.get("kind") == "ResourceGraphDefinition"
    }


def check_page(path: Path, schema_files: list[str]) -> Diagram:
    """The diagram of `path` shows exactly the RGDs' resources (label, kind, index, styles) and edges."""
    page = Diagram()
    page.feed(invoke("diagram", str(path), *(arg for f in schema_files for arg in ("--schemas", f))))
    expected = rgd_resources(path)
    graphs = {g.rgd_name: g for g in compile_graphs(path, [Path(f) for f in schema_files])}
    assert page.sections == list(expected) and page.svg_count == len(expected) and page.fetching == []
    for rgd, resources in expected.items():
        order = graphs[rgd].topological_order
        assert sorted(order) == sorted(r["id"] for r in resources)
        for resource in resources:
            node = page.nodes[(rgd, resource["id"])]
            kind = (resource.get("template") or resource.get("externalRef") or {})["kind"]
            assert node["data-kind"] == kind
            assert node["texts"]["label"] == f"{resource['id']} ({kind})"
            index = order.index(resource["id"])
            assert node["data-index"] == str(index) and node["texts"]["index"].split(" · ")[0] == f"#{index}"
            assert ("conditional" in node["classes"]) == bool(resource.get("includeWhen"))
            assert ("external" in node["classes"]) == ("externalRef" in resource)
            assert ("collection" in node["classes"]) == bool(resource.get("forEach"))
        wanted = sorted((rgd, d, n) for n in order for d in graphs[rgd].nodes[n].dependencies)
        assert sorted(e for e in page.edges if e[0] == rgd) == wanted
    assert len(page.nodes) == sum(map(len, expected.values()))
    return page


@pytest.mark.parametrize("path", example_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_html_holds_every_node_and_edge(path: Path) -> None:
    check_page(path, schema_args(path)[1::2])


FEATURES_RGD = """
apiVersion: kro.run/v1alpha1
kind: ResourceGraphDefinition
metadata: {name: features}
spec:
  schema:
    apiVersion: v1alpha1
    kind: Features
    spec: {regions: "[]string", expose: boolean}
  resources:
  - id: platform
    externalRef: {apiVersion: v1, kind: ConfigMap, metadata: {name: platform, namespace: default}}
  - id: config
    template: {apiVersion: v1, kind: ConfigMap, metadata: {name: "${schema.metadata.name}"},
               data: {url: "${platform.data.url}"}}
  - id: workers
    forEach: [{region: "${schema.spec.regions}"}]
    template: {apiVersion: v1, kind: ConfigMap, metadata: {name: "${schema.metadata.name}-${region}"},
               data: {from: "${config.metadata.name}"}}
  - id: summary
    includeWhen: ["${schema.spec.expose}"]
    template: {apiVersion: v1, kind: ConfigMap, metadata: {name: "${schema.metadata.name}-summary"},
               data: {count: "${string(size(workers))}", base: "${platform.metadata.name}"}}
"""


def test_collections_externals_and_long_edges(tmp_path: Path) -> None:
    path = tmp_path / "features.yaml"
    path.write_text(FEATURES_RGD)
    page = check_page(path, [])
    assert {i for (_, i), n in page.nodes.items() if "collection" in n["classes"]} == {"workers"}
    assert {i for (_, i), n in page.nodes.items() if "external" in n["classes"]} == {"platform"}
    (graph,) = compile_graphs(path)
    long_edges = [e for e in layout(graph).edges if len(e.points) > 2]
    assert [(e.source, e.target, len(e.points)) for e in long_edges] == [("platform", "summary", 6)]
    check_layout(graph)


def test_conditional_nodes_are_dashed_and_examples_have_some() -> None:
    page_text = invoke("diagram", str(next(p for p in example_files() if p.parent.name == "webapp")))
    assert re.search(r"\.node\.conditional rect \{[^}]*stroke-dasharray", page_text)
    page = Diagram()
    page.feed(page_text)
    assert any("conditional" in n["classes"] for n in page.nodes.values())


@pytest.mark.parametrize("path", example_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_layout_keeps_boxes_and_edges_apart(path: Path) -> None:
    for graph in compile_graphs(path, [Path(a) for a in schema_args(path)[1::2]]):
        check_layout(graph)


def check_layout(graph: CompiledGraph) -> None:
    box = layout(graph)
    rows: dict[float, list[tuple[float, float]]] = {}
    for p in box.nodes.values():
        assert 0 <= p.x and p.x + p.width <= box.width and 0 <= p.y and p.y + p.height <= box.height
        rows.setdefault(p.y, []).append((p.x, p.x + p.width))
    for spans in rows.values():
        spans.sort()
        assert all(left[1] < right[0] for left, right in zip(spans, spans[1:], strict=False))
    for edge in box.edges:
        a, b = box.nodes[edge.source], box.nodes[edge.target]
        assert a.layer < b.layer
        assert edge.points[0] == (a.x + a.width / 2, a.y + a.height)
        assert edge.points[-1] == (b.x + b.width / 2, b.y)
        for x, y in edge.points[1:-1]:  # waypoints through the rows between: clear of every box
            assert all(not left <= x <= right for left, right in rows.get(y, []))


def test_output_file_and_dot_format(tmp_path: Path) -> None:
    path = next(p for p in example_files() if p.parent.name == "webapp")
    target = tmp_path / "diagram.html"
    assert invoke("diagram", "-f", str(path), "-o", str(target)) == ""
    assert target.read_text() == invoke("diagram", str(path))
    dot = invoke("diagram", str(path), "--format", "dot")
    (graph,) = compile_graphs(path)
    assert dot.startswith(f'digraph "{graph.rgd_name}" {{') and dot.rstrip().endswith("}")
    nodes = dict(re.findall(r'^  "([^"]+)" \[label="([^"]*)"', dot, re.M))
    assert nodes == {
        i: f"{i} ({graph.nodes[i].gvk.kind})\\n#{n}" for n, i in enumerate(graph.topological_order)
    }
    edges = set(re.findall(r'^  "([^"]+)" -> "([^"]+)";$', dot, re.M))
    assert edges == {(d, n.id) for n in graph.nodes.values() for d in n.dependencies} and edges
    dashed = set(re.findall(r'^  "([^"]+)" \[.*style="[^"]*dashed', dot, re.M))
    assert dashed == {n.id for n in graph.nodes.values() if n.include_when}


def test_several_rgds_in_one_file_get_one_section_each(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    docs = []
    for name in ("first", "second"):
        docs.append(
            {
                "apiVersion": "kro.run/v1alpha1",
                "kind": "ResourceGraphDefinition",
                "metadata": {"name": name},
                "spec": {
                    "schema": {"apiVersion": "v1alpha1", "kind": name.title(), "spec": {"n": "string"}},
                    "resources": [
                        {
                            "id": "cm",
                            "template": {
                                "apiVersion": "v1",
                                "kind": "ConfigMap",
                                "metadata": {"name": "${schema.spec.n}"},
                            },
                        }
                    ],
                },
            }
        )
    path.write_text(yaml.safe_dump_all(docs))
    page = Diagram()
    page.feed(invoke("diagram", str(path)))
    assert page.sections == ["first", "second"] and set(page.nodes) == {("first", "cm"), ("second", "cm")}
    assert page.edges == []


def test_unwritable_output_is_a_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = next(p for p in example_files() if p.parent.name == "webapp")
    target = tmp_path / "missing-dir" / "d.html"
    code, out, err = run_main(monkeypatch, capsys, "generate", "diagram", str(path), "-o", str(target))
    assert (code, out) == (1, "")
    assert err == f"error: {target}: cannot write: No such file or directory\n"
