"""The dependency DAG of an RGD's resources.

Ordering rules are upstream kro's (spec §4.4): among nodes that are free to go, the one declared
first goes first, so a user reading the RGD top to bottom sees the order they wrote wherever the
dependencies leave a choice.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


class CycleError(ValueError):
    """Adding these edges would close a cycle; `cycle` lists it, first node repeated at the end."""

    def __init__(self, cycle: Sequence[str]) -> None:
        self.cycle = tuple(cycle)
        super().__init__("graph contains a cycle: " + " -> ".join(self.cycle))


@dataclass
class DAG:
    """Vertices in declaration order; `deps[v]` are the vertices `v` depends on."""

    order: dict[str, int] = field(default_factory=dict)
    deps: dict[str, list[str]] = field(default_factory=dict)
    # The reverse edges, kept in step with `deps` so a cycle check can search backwards.
    _dependents: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)

    def add_vertex(self, vertex: str) -> None:
        if vertex in self.order:
            raise ValueError(f"node {vertex} already exists")
        self.order[vertex] = len(self.order)
        self.deps[vertex] = []
        self._dependents[vertex] = []

    def add_dependencies(self, vertex: str, dependencies: Iterable[str]) -> None:
        """Record that `vertex` depends on each of `dependencies`; atomic on error."""
        if vertex not in self.order:
            raise ValueError(f"node {vertex} does not exist")
        added: list[str] = []
        for dep in dependencies:
            if dep not in self.order:
                raise ValueError(f"node {dep} does not exist")
            if dep == vertex:
                raise ValueError("self references are not allowed")
            if dep not in self.deps[vertex] and dep not in added:
                added.append(dep)
        if added and self._closes_cycle(vertex, added):
            self.deps[vertex].extend(added)
            cycle = self._find_cycle()
            self.deps[vertex] = self.deps[vertex][: -len(added)]
            raise CycleError(cycle or [vertex, vertex])
        self.deps[vertex].extend(added)
        for dep in added:
            self._dependents[dep].append(vertex)

    def _closes_cycle(self, vertex: str, added: list[str]) -> bool:
        """Whether edges vertex -> added close a cycle, i.e. whether vertex is reachable from them.

        The graph is acyclic before, so this is the only way a cycle appears. The search runs
        forwards from `added` and backwards from `vertex` in turn and stops when either side runs
        out, so it costs twice the smaller side: O(1) per resource for chains declared either way,
        where a whole-graph search per resource would make building a graph quadratic.
        """
        targets = set(added)
        forward, backward = list(added), [vertex]
        seen_forward, seen_backward = set(added), {vertex}
        while forward and backward:
            for d in self.deps[forward.pop()]:
                if d == vertex:
                    return True
                if d not in seen_forward:
                    seen_forward.add(d)
                    forward.append(d)
            for w in self._dependents[backward.pop()]:
                if w in targets:
                    return True
                if w not in seen_backward:
                    seen_backward.add(w)
                    backward.append(w)
        return False

    def _find_cycle(self) -> list[str] | None:
        """The first cycle a depth-first search in declaration order meets: the one reported.

        Iterative, so a chain thousands of resources long does not exhaust Python's recursion limit.
        """
        white, grey, black = 0, 1, 2
        colour = dict.fromkeys(self.order, white)
        for root in sorted(self.order, key=self.order.__getitem__):
            if colour[root] != white:
                continue
            colour[root] = grey
            path, positions = [root], [0]  # the grey path, and how far each node's deps are explored
            while path:
                v, k = path[-1], positions[-1]
                if k == len(self.deps[v]):
                    colour[v] = black
                    path.pop()
                    positions.pop()
                    continue
                positions[-1] = k + 1
                d = self.deps[v][k]
                if colour[d] == grey:
                    return [*path[path.index(d) :], d]
                if colour[d] == white:
                    colour[d] = grey
                    path.append(d)
                    positions.append(0)
        return None

    def dependents(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {v: [] for v in self.order}
        for v, ds in self.deps.items():
            for d in ds:
                out[d].append(v)
        return out

    def topological_order(self) -> list[str]:
        """Kahn's algorithm with a min-heap on (declaration order, id)."""
        remaining = {v: len(ds) for v, ds in self.deps.items()}
        dependents = self.dependents()
        ready = [(self.order[v], v) for v, n in remaining.items() if n == 0]
        heapq.heapify(ready)
        result: list[str] = []
        while ready:
            _, v = heapq.heappop(ready)
            result.append(v)
            for w in dependents[v]:
                remaining[w] -= 1
                if remaining[w] == 0:
                    heapq.heappush(ready, (self.order[w], w))
        return result

    def reverse_topological_layers(self) -> list[list[str]]:
        """Deletion waves: each layer holds every node nothing remaining depends on."""
        # Kahn's algorithm on the reversed graph, one wave at a time: linear in nodes and edges.
        waiting = {v: len(ws) for v, ws in self.dependents().items()}
        layer = [v for v, n in waiting.items() if n == 0]
        layers: list[list[str]] = []
        while layer:
            layer.sort(key=lambda v: (self.order[v], v))
            layers.append(layer)
            following: list[str] = []
            for v in layer:
                for d in self.deps[v]:
                    waiting[d] -= 1
                    if waiting[d] == 0:
                        following.append(d)
            layer = following
        return layers

    def apply_order(self) -> dict[str, int]:
        """The wave number kro stamps on children: roots get 1, deleted last."""
        layers = self.reverse_topological_layers()
        return {v: len(layers) - i for i, layer in enumerate(layers) for v in layer}


def build_dag(declared: Sequence[str], dependencies: Mapping[str, Sequence[str]]) -> DAG:
    dag = DAG()
    for vertex in declared:
        dag.add_vertex(vertex)
    for vertex in declared:
        dag.add_dependencies(vertex, dependencies.get(vertex, ()))
    return dag
