"""Spec §4.4 vectors. `X->Y` in the spec means Y depends on X."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pykro.graph.dag import DAG, CycleError, build_dag


def dag_from_arrows(nodes: str, arrows: list[str]) -> DAG:
    deps: dict[str, list[str]] = {}
    for arrow in arrows:
        src, dst = arrow.split("->")
        deps.setdefault(dst, []).append(src)
    return build_dag(list(nodes), deps)


@pytest.mark.parametrize(
    ("nodes", "arrows", "expected"),
    [
        ("AB", [], "AB"),
        ("AB", ["A->B"], "AB"),
        ("AB", ["B->A"], "BA"),
        ("ABCDEF", ["C->D"], "ABCDEF"),
        ("ABCDEF", ["D->C"], "ABDCEF"),
        ("ABCDEF", ["F->A", "F->B", "B->A"], "CDEFBA"),
        ("ABCDEF", ["B->A", "C->A", "D->B", "D->C", "F->E", "A->E"], "DBCAFE"),
        ("ABCD", ["A->B", "C->B", "C->D"], "ACBD"),
    ],
)
def test_topological_order_vectors(nodes: str, arrows: list[str], expected: str) -> None:
    assert "".join(dag_from_arrows(nodes, arrows).topological_order()) == expected


def test_builder_vector_order_and_apply_waves() -> None:
    ids = ["vpc", "clusterpolicy", "clusterrole", "subnet1", "subnet2", "cluster"]
    deps = {
        "clusterrole": ["clusterpolicy"],
        "subnet1": ["vpc"],
        "subnet2": ["vpc"],
        "cluster": ["clusterrole", "subnet1", "subnet2"],
    }
    dag = build_dag(ids, deps)
    assert dag.topological_order() == ids
    assert dag.apply_order() == {
        "vpc": 1,
        "clusterpolicy": 1,
        "clusterrole": 2,
        "subnet1": 2,
        "subnet2": 2,
        "cluster": 3,
    }


@pytest.mark.parametrize(
    ("nodes", "arrows", "expected"),
    [
        ("", [], []),
        ("ABC", [], [["A", "B", "C"]]),
        ("ABC", ["A->B", "B->C"], [["C"], ["B"], ["A"]]),
        ("ABCD", ["A->B", "A->C", "B->D", "C->D"], [["D"], ["B", "C"], ["A"]]),
        ("ABCDE", ["A->B", "A->C", "B->D"], [["C", "D", "E"], ["B"], ["A"]]),
    ],
)
def test_reverse_topological_layers_vectors(nodes: str, arrows: list[str], expected: list[list[str]]) -> None:
    assert dag_from_arrows(nodes, arrows).reverse_topological_layers() == expected


def test_cycle_names_the_cycle_and_leaves_graph_unchanged() -> None:
    dag = build_dag(["a", "b"], {"b": ["a"]})
    with pytest.raises(CycleError) as err:
        dag.add_dependencies("a", ["b"])
    assert str(err.value) == "graph contains a cycle: a -> b -> a"
    assert dag.deps["a"] == []
    assert dag.topological_order() == ["a", "b"]


def test_self_and_unknown_edges_rejected() -> None:
    dag = build_dag(["a"], {})
    with pytest.raises(ValueError, match="self references are not allowed"):
        dag.add_dependencies("a", ["a"])
    with pytest.raises(ValueError, match="node x does not exist"):
        dag.add_dependencies("a", ["x"])


def _reachable(deps: dict[str, list[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        v = todo.pop()
        if v == goal:
            return True
        if v not in seen:
            seen.add(v)
            todo.extend(deps[v])
    return False


def _first_cycle_recursive(nodes: list[str], deps: dict[str, list[str]]) -> list[str] | None:
    """The cycle a recursive depth-first search in declaration order meets first (the reported one)."""
    colour = dict.fromkeys(nodes, 0)
    stack: list[str] = []

    def visit(v: str) -> list[str] | None:
        colour[v] = 1
        stack.append(v)
        for d in deps[v]:
            if colour[d] == 1:
                return [*stack[stack.index(d) :], d]
            if colour[d] == 0 and (found := visit(d)):
                return found
        stack.pop()
        colour[v] = 2
        return None

    for v in nodes:
        if colour[v] == 0 and (found := visit(v)):
            return found
    return None


def _layers_by_definition(dag: DAG) -> list[list[str]]:
    """Each wave: every remaining node no remaining node depends on (the definition, quadratic)."""
    remaining = set(dag.order)
    layers = []
    while remaining:
        layer = sorted(
            (v for v in remaining if not any(v in dag.deps[w] for w in remaining)), key=dag.order.__getitem__
        )
        layers.append(layer)
        remaining -= set(layer)
    return layers


@given(
    n=st.integers(min_value=1, max_value=8),
    edges=st.lists(st.tuples(st.integers(0, 7), st.lists(st.integers(0, 7), max_size=3)), max_size=12),
)
def test_cycles_refused_exactly_and_waves_match_their_definition(
    n: int, edges: list[tuple[int, list[int]]]
) -> None:
    """Adding edges is refused exactly when they close a cycle, and leaves the graph unchanged then."""
    nodes = [f"n{i}" for i in range(n)]
    dag = build_dag(nodes, {})
    for source, targets in edges:
        vertex = nodes[source % n]
        deps = [nodes[t % n] for t in targets if t % n != source % n]
        before = {v: list(ds) for v, ds in dag.deps.items()}
        closes = any(_reachable(before, d, vertex) for d in deps)
        if closes:
            with pytest.raises(CycleError) as err:
                dag.add_dependencies(vertex, deps)
            assert dag.deps == before
            closed = {**before, vertex: list(dict.fromkeys(before[vertex] + deps))}
            assert list(err.value.cycle) == _first_cycle_recursive(nodes, closed)
        else:
            dag.add_dependencies(vertex, deps)
    assert dag.reverse_topological_layers() == _layers_by_definition(dag)


def test_long_chains_build_and_name_their_cycle_without_recursion() -> None:
    nodes = [f"r{i}" for i in range(5000)]
    forward = {v: [nodes[i + 1]] for i, v in enumerate(nodes[:-1])}  # each reads the next one
    dag = build_dag(nodes, forward)
    assert dag.topological_order() == nodes[::-1]
    with pytest.raises(CycleError) as err:
        dag.add_dependencies(nodes[-1], [nodes[0]])
    assert err.value.cycle == (*nodes, nodes[0])
