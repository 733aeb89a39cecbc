"""A resource between parsing (step 4) and type checking (step 8) of the graph build."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pykro.api.model import Resource
from pykro.cel.checked import AstInfo
from pykro.graph.fields import Leaf
from pykro.graph.model import FieldPath, NodeType, format_path
from pykro.schema.gvk import GVK


@dataclass
class Pending:
    """A node between parsing (step 4) and type checking (step 8)."""

    resource: Resource
    index: int
    type: NodeType
    gvk: GVK
    plural: str
    namespaced: bool
    obj: dict[str, Any]
    schema: Mapping[str, Any]
    leaves: list[Leaf]
    typed_fields: bool  # False: schemaless (externals, CRDs): every expression is dyn-typed
    include_refs: list[tuple[str, AstInfo]]
    ready_refs: list[tuple[str, AstInfo]]
    for_each_refs: list[tuple[str, str, str, AstInfo]]  # (iterator, text, expression, references)
    leaf_refs: list[AstInfo]
    dependencies: list[str]

    @property
    def iterators(self) -> frozenset[str]:
        return frozenset(name for name, _t, _e, _r in self.for_each_refs)


def yaml_path(index: int, section: str, path: FieldPath = ()) -> str:
    """Where a field of resource `index` is in the RGD document (`spec.resources[2].template.x`)."""
    return format_path(path, f"spec.resources[{index}].{section}")
