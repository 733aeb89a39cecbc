"""A read-only view of a schema tree that follows `$ref`s as it is walked.

Kubernetes schemas are graphs, not trees (JSONSchemaProps refers to itself), so they cannot be inlined
eagerly. `SchemaView` resolves a node's `$ref` when the node is reached: the referenced definition is
merged with the node's own keys (which win, so a field's description beats its type's). Lists come back
as tuples. Walkers must bound their depth; `materialize` does, and equality compares materialized copies
(so `view == {"type": "string"}` works).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from pykro.api.frozen import thaw
from pykro.errors import PykroError

_MAX_REF_CHAIN = 32
# Where a schema holds sub-schemas; every other key holds plain data (enum, default, extensions).
_SCHEMA_KEYS = frozenset({"items", "additionalProperties", "not"})
_SCHEMA_LIST_KEYS = frozenset({"allOf", "anyOf", "oneOf"})
_NAME_MAP_KEYS = frozenset({"properties", "patternProperties"})


def _frozen_data(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen_data(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_frozen_data(v) for v in value)
    return value


def _deref(
    node: Mapping[str, Any], definitions: Mapping[str, Mapping[str, Any]]
) -> tuple[Mapping[str, Any], str]:
    hops = 0
    name = ""
    while "$ref" in node:
        ref = node["$ref"]
        name = ref.rpartition("/")[2] if isinstance(ref, str) else ""
        target = definitions.get(name)
        if target is None:
            raise PykroError(f"schema reference {ref!r} points at no known definition")
        hops += 1
        if hops > _MAX_REF_CHAIN:
            raise PykroError(f"schema reference {ref!r} is part of a reference cycle")
        merged = dict(target)
        merged.update((k, v) for k, v in node.items() if k != "$ref")
        node = merged
    return node, name


class SchemaView(Mapping[str, Any]):
    """Mapping over one schema node with `$ref` resolved.

    Sub-schemas (`items`, `additionalProperties`, each of `properties`, `allOf`...) are views too;
    `properties` is a read-only name -> view mapping; other values (enum, default, extensions) are
    read-only data: mappings as `MappingProxyType`, lists as tuples.
    """

    __slots__ = ("_children", "_definitions", "_node", "definition")

    def __init__(self, node: Mapping[str, Any], definitions: Mapping[str, Mapping[str, Any]]) -> None:
        self._node, ref = _deref(node, definitions)
        self.definition = ref  # name of the definition this node refers to ("" for an inline schema)
        self._definitions = definitions
        self._children: dict[str, Any] = {}

    def _wrap(self, key: str, value: Any) -> Any:
        if key in _SCHEMA_KEYS and isinstance(value, Mapping):
            return SchemaView(value, self._definitions)
        if key in _SCHEMA_LIST_KEYS and isinstance(value, list | tuple):
            return tuple(SchemaView(item, self._definitions) for item in value)
        if key in _NAME_MAP_KEYS and isinstance(value, Mapping):
            return MappingProxyType({name: SchemaView(sub, self._definitions) for name, sub in value.items()})
        return _frozen_data(value)

    def __getitem__(self, key: str) -> Any:
        try:
            return self._children[key]
        except KeyError:
            pass
        value = self._wrap(key, self._node[key])
        self._children[key] = value
        return value

    def get(self, key: str, default: Any = None) -> Any:
        # Mapping.get goes through a KeyError for every absent key; the hot schema walks (apply,
        # pruning, validation) mostly ask for absent ones (`x-kubernetes-map-type`, `default`...).
        children = self._children
        if key in children:
            return children[key]
        return self[key] if key in self._node else default

    def __iter__(self) -> Iterator[str]:
        return iter(self._node)

    def __len__(self) -> int:
        return len(self._node)

    def __contains__(self, key: object) -> bool:
        return key in self._node

    def __repr__(self) -> str:
        keys = ", ".join(sorted(self._node))
        return f"SchemaView({{{keys}}})"

    # Mapping's own __eq__ would recurse forever on self-referencing schemas; compare bounded copies.
    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Mapping):
            return NotImplemented
        theirs = materialize(other) if isinstance(other, SchemaView) else thaw(other)
        return materialize(self) == theirs

    __hash__ = None  # type: ignore[assignment]  # mutable-looking like dict: unhashable


def materialize(schema: Mapping[str, Any], *, max_depth: int = 32) -> dict[str, Any]:
    """A plain JSON-able copy of `schema` (normally a `SchemaView`) with references inlined.

    Recursive types are cut where a definition reappears inside itself, and anything nested deeper than
    `max_depth` schemas is cut too: a cut node becomes `{x-kubernetes-preserve-unknown-fields: true}`
    (keeping `type: object`), so the copy stays structural.
    """

    def node(value: Mapping[str, Any], depth: int, expanding: frozenset[str]) -> dict[str, Any]:
        if "$ref" in value:
            raise PykroError("materialize() needs a SchemaView (or a schema without $ref)")
        ref = getattr(value, "definition", "")
        if depth > max_depth or ref in expanding:
            cut: dict[str, Any] = {"x-kubernetes-preserve-unknown-fields": True}
            if value.get("type") == "object":
                cut["type"] = "object"
            if "description" in value:
                cut["description"] = value["description"]
            return cut
        inner = expanding | {ref} if ref else expanding
        out: dict[str, Any] = {}
        for key, sub in value.items():
            if key in _SCHEMA_KEYS and isinstance(sub, Mapping):
                out[key] = node(sub, depth + 1, inner)
            elif key in _SCHEMA_LIST_KEYS and isinstance(sub, list | tuple):
                out[key] = [node(item, depth + 1, inner) for item in sub]
            elif key in _NAME_MAP_KEYS and isinstance(sub, Mapping):
                out[key] = {name: node(item, depth + 1, inner) for name, item in sub.items()}
            else:
                out[key] = thaw(sub)
        return out

    return node(schema, 0, frozenset())
