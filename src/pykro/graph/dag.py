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

    def add_vertex(self, vertex: str) -> None:
        if vertex in self.order:
            raise ValueError(f"node {vertex} already exists")
        self.order[vertex] = len(self.order)
        self.deps[vertex] = []

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
            if dep not in self.deps[vertex]:
                self.deps[vertex].append(dep)
                added.append(dep)
        cycle = self._find_cycle()
        if cycle:
            self.deps[vertex] = [d for d in self.deps[vertex] if d not in added]
            raise CycleError(cycle)

    def _find_cycle(self) -> list[str] | None:
        white, grey, black = 0, 1, 2
        colour = dict.fromkeys(self.order, white)
        stack: list[str] = []

        def visit(v: str) -> list[str] | None:
            colour[v] = grey
            stack.append(v)
            for d in self.deps[v]:
                if colour[d] == grey:
                    return [*stack[stack.index(d) :], d]
                if colour[d] == white and (found := visit(d)):
                    return found
            stack.pop()
            colour[v] = black
            return None

        for v in sorted(self.order, key=self.order.__getitem__):
            if colour[v] == white and (found := visit(v)):
                return found
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
        dependents = {v: set(ws) for v, ws in self.dependents().items()}
        remaining = set(self.order)
        layers: list[list[str]] = []
        while remaining:
            layer = sorted(
                (v for v in remaining if not dependents[v] & remaining), key=lambda v: (self.order[v], v)
            )
            layers.append(layer)
            remaining -= set(layer)
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
