"""Reuse of the expensive, pure parts of a compile across builds.

Normalizing a kind's whole-object schema and building its CEL types dominates a build, and the
registry hands out the same schema object for a kind until its CRD changes. So typed compilers and
data preparers are cached by the identity of the schemas they were built from (the cache holds
those objects, so an id cannot be reused while its entry lives) and by the `schema` variable's
content. A CRD replaced in the registry yields new schema objects, hence a miss.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from pykro.cel.checked import CelType
from pykro.cel.compiler import CelCompiler, VariableDecl
from pykro.cel.data import DataPreparer

_MAX_COMPILERS = 64
_MAX_PREPARERS = 512
_lock = threading.Lock()
_compilers: OrderedDict[tuple[Any, ...], tuple[CelCompiler, tuple[Any, ...]]] = OrderedDict()
_preparers: dict[int, tuple[DataPreparer, Any]] = {}


def compiler_for(
    schema_variable: Mapping[str, Any] | None,
    nodes: Mapping[str, tuple[Mapping[str, Any], bool]],
    *,
    enable_omit: bool,
    extra: Mapping[str, CelType] | None = None,
) -> CelCompiler:
    """A typed compiler (possibly shared with earlier builds) declaring `schema` (unless None), every
    node id (`(schema, is_collection)`: a collection is a list of its objects) and `extra` variables."""
    key = (
        json.dumps(schema_variable, sort_keys=True, default=str),
        tuple((name, id(schema), listed) for name, (schema, listed) in nodes.items()),
        tuple(sorted((extra or {}).items(), key=lambda kv: kv[0])),
        enable_omit,
    )
    with _lock:
        hit = _compilers.get(key)
        if hit is not None:
            _compilers.move_to_end(key)
            return hit[0]
    variables: dict[str, VariableDecl] = {}
    if schema_variable is not None:
        variables["schema"] = schema_variable
    for name, (schema, listed) in nodes.items():
        variables[name] = {"type": "array", "items": schema} if listed else schema
    variables.update(extra or {})
    compiler = CelCompiler(variables, enable_omit=enable_omit)
    with _lock:
        _compilers[key] = (compiler, tuple(nodes.values()))
        while len(_compilers) > _MAX_COMPILERS:
            _compilers.popitem(last=False)
    return compiler


def preparer_for(schema: Mapping[str, Any]) -> DataPreparer:
    with _lock:
        hit = _preparers.get(id(schema))
        if hit is not None and hit[1] is schema:
            return hit[0]
    preparer = DataPreparer(schema)
    with _lock:
        if len(_preparers) >= _MAX_PREPARERS:
            _preparers.clear()
        _preparers[id(schema)] = (preparer, schema)
    return preparer
