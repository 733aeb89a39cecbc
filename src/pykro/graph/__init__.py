"""The compiled graph of an RGD (spec §4): `build_graph(rgd, registry) -> CompiledGraph`. See
docs/graph.md."""

from pykro.graph.builder import build_graph, instance_schema_variable
from pykro.graph.errors import GraphError
from pykro.graph.hashing import spec_hash
from pykro.graph.model import (
    AuthorCondition,
    CompiledGraph,
    Condition,
    ExpressionKind,
    FieldExpression,
    FieldPath,
    ForEachDimension,
    Node,
    NodeType,
    StatusField,
    VariableKind,
    format_path,
)

__all__ = [
    "AuthorCondition",
    "CompiledGraph",
    "Condition",
    "ExpressionKind",
    "FieldExpression",
    "FieldPath",
    "ForEachDimension",
    "GraphError",
    "Node",
    "NodeType",
    "StatusField",
    "VariableKind",
    "build_graph",
    "format_path",
    "instance_schema_variable",
    "spec_hash",
]
