"""Reading references out of expressions (spec §4.3) and small shared helpers of the builder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from pykro.cel.checked import AstInfo
from pykro.cel.compiler import CheckedExpression
from pykro.cel.errors import CelError
from pykro.cel.scanner import Literal, Standalone, parse_value
from pykro.graph.fields import Leaf
from pykro.graph.model import SCHEMA, ExpressionKind, FieldExpression, FieldPath, format_path

# Roots of the dotted function names of kro's CEL environment (`hash.fnv64a`, `lists.range`,
# `base64.encode`, `optional.of`, `cel.bind`, ...).
FUNCTION_NAMESPACES = frozenset(
    {"base64", "cel", "hash", "ip", "json", "lists", "optional", "random", "strings"}
)


def unknown_identifiers(info: AstInfo, known: AbstractSet[str]) -> list[str]:
    """Free identifiers of an expression that are not declared variables."""
    # `hash.fnv64a(x)` lists `hash` as an identifier: a dotted call rooted at a function
    # namespace is a function call, which the type checker resolves.
    namespaces = {
        root for f in info.functions if "." in f and (root := f.split(".", 1)[0]) in FUNCTION_NAMESPACES
    }
    return [i for i in info.identifiers if i not in known and i not in namespaces]


def merge(infos: Sequence[AstInfo]) -> AstInfo:
    if len(infos) == 1:
        return infos[0]
    idents: dict[str, None] = {}
    funcs: dict[str, None] = {}
    paths: dict[str, None] = {}
    for info in infos:
        idents.update(dict.fromkeys(info.identifiers))
        funcs.update(dict.fromkeys(info.functions))
        paths.update(dict.fromkeys(info.paths))
    return AstInfo(tuple(idents), tuple(funcs), tuple(paths))


def field_expression(
    leaf: Leaf,
    checked: CheckedExpression,
    refs: AstInfo,
    ids: frozenset[str],
    iterators: frozenset[str] = frozenset(),
) -> FieldExpression:
    kind = ExpressionKind.STANDALONE if isinstance(leaf.parsed, Standalone) else ExpressionKind.TEMPLATE
    return FieldExpression(
        path=leaf.path,
        kind=kind,
        text=leaf.text,
        expressions=leaf.expressions,
        checked=checked,
        resources=tuple(i for i in refs.identifiers if i in ids),
        uses_schema=SCHEMA in refs.identifiers,
        iterators=tuple(i for i in refs.identifiers if i in iterators),
    )


def literal_paths(value: Any, path: FieldPath, out: list[str]) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            literal_paths(v, (*path, str(k)), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            literal_paths(v, (*path, i), out)
    elif not isinstance(value, str) or not has_expression(value):
        out.append(format_path(path))


def has_expression(text: str) -> bool:
    return not is_literal(text)


def is_literal(text: str) -> bool:
    try:
        return isinstance(parse_value(text), Literal)
    except CelError:
        return False  # reported with its scan error by the leaf walk
