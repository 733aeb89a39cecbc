"""YAML reading with file/line-aware errors.

Decoding matches what kubectl sends to the API server: timestamps stay strings (JSON has no
timestamp type) and a duplicate key keeps its last value (upstream examples rely on this).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pykro.errors import Problem, PykroError


class _KubeLoader(yaml.SafeLoader):
    pass


# Drop the timestamp resolver: `2024-01-01` must stay a string, as it would through JSON.
_KubeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _yaml_problem(err: yaml.YAMLError, source: str) -> Problem:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    reason = getattr(err, "problem", None) or str(err)
    context = getattr(err, "context", None)
    if context and getattr(err, "problem", None):
        reason = f"{context}: {reason}"
    where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source
    return Problem("", f"invalid YAML: {reason}", where)


# Aliases can make a small file expand into a huge (or cyclic) tree; the API server would refuse it.
MAX_EXPANDED_NODES = 1_000_000
# Far beyond any real manifest, and low enough that recursive consumers never hit Python's stack limit.
MAX_DEPTH = 100


def shape_problem(doc: Any) -> str | None:
    """Reject self-referencing (via aliases), too deep or overly expanded documents; iterative, so no
    recursion."""
    count = 0
    stack: list[tuple[Any, frozenset[int]]] = [(doc, frozenset())]
    while stack:
        node, ancestors = stack.pop()
        count += 1
        if count > MAX_EXPANDED_NODES:
            return f"document expands to more than {MAX_EXPANDED_NODES} nodes (YAML aliases)"
        if isinstance(node, dict | list):
            if id(node) in ancestors:
                return "document contains itself through a YAML alias"
            if len(ancestors) >= MAX_DEPTH:
                return f"document nests deeper than {MAX_DEPTH} levels"
            inner = ancestors | {id(node)}
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, inner) for child in children if isinstance(child, dict | list))
    return None


def parse_yaml_documents(text: str, source: str = "") -> list[Any]:
    """Every document of `text` (empty documents dropped); malformed YAML raises `PykroError`."""
    try:
        docs = list(yaml.load_all(text, Loader=_KubeLoader))
    except yaml.YAMLError as err:
        problem = _yaml_problem(err, source)
        raise PykroError(str(problem), (problem,)) from None
    except RecursionError:
        problem = Problem("", "invalid YAML: nesting too deep", source)
        raise PykroError(str(problem), (problem,)) from None
    docs = [doc for doc in docs if doc is not None]
    problems = tuple(
        Problem("", f"document {index + 1}: {reason}", source)
        for index, doc in enumerate(docs)
        if (reason := shape_problem(doc)) is not None
    )
    if problems:
        raise PykroError(str(problems[0]), problems)
    return docs


def load_documents(path: str | Path) -> list[dict[str, Any]]:
    """Read a (multi-document) YAML file; every non-empty document must be a mapping."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise PykroError(
            f"{source}: cannot read file: {reason}", (Problem("", f"cannot read file: {reason}", source),)
        ) from None
    docs = parse_yaml_documents(text, source)
    problems = tuple(
        Problem("", f"document {index + 1} is a {_type_name(doc)}, expected a mapping", source)
        for index, doc in enumerate(docs)
        if not isinstance(doc, dict)
    )
    if problems:
        raise PykroError(str(problems[0]), problems)
    return docs


def _type_name(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__
