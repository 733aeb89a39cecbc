"""Kinds from an `/openapi/v3` document, as a live API server publishes it.

Building block for a cluster-backed `SchemaSource`: the document supplies schemas, discovery supplies
the `KindInfo` (plural, scope, ...), and `OpenAPIComponents.kind(info)` joins them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pykro.schema.builtin import normalize_schema, whole_object
from pykro.schema.gvk import GVK
from pykro.schema.lazy import SchemaView
from pykro.schema.registry_types import KindInfo, ResolvedKind


class _Components(Mapping[str, Mapping[str, Any]]):
    """`components.schemas`, normalized per entry on first access; falls back to `fallback` for names the
    document lacks (per-group-version documents do not repeat ObjectMeta's dependencies, for example)."""

    def __init__(self, raw: Mapping[str, Any], fallback: Mapping[str, Mapping[str, Any]]) -> None:
        self._raw = raw
        self._fallback = fallback
        self._done: dict[str, dict[str, Any]] = {}

    def __getitem__(self, name: str) -> Mapping[str, Any]:
        if name not in self._raw:
            return self._fallback[name]
        done = self._done.get(name)
        if done is None:
            raw = self._raw[name]
            done = self._done[name] = normalize_schema(
                raw, top_level_kind="x-kubernetes-group-version-kind" in raw
            )
        return done

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


class OpenAPIComponents:
    """The schemas of one (or several merged) `/openapi/v3` documents."""

    def __init__(
        self, document: Mapping[str, Any], fallback: Mapping[str, Mapping[str, Any]] | None = None
    ) -> None:
        schemas = document.get("components", {}).get("schemas", {})
        self.definitions: Mapping[str, Mapping[str, Any]] = _Components(schemas, fallback or {})
        self._by_gvk: dict[GVK, str] = {}
        for name, schema in schemas.items():
            gvks = schema.get("x-kubernetes-group-version-kind") if isinstance(schema, Mapping) else None
            if isinstance(gvks, list) and len(gvks) == 1:
                entry = gvks[0]
                self._by_gvk[GVK(entry.get("group", ""), entry["version"], entry["kind"])] = name

    def kind(self, info: KindInfo) -> ResolvedKind | None:
        """`info`'s kind with its schema from this document, or None if the document lacks it."""
        name = self._by_gvk.get(info.gvk)
        if name is None:
            return None
        return ResolvedKind(info, SchemaView(whole_object(self.definitions[name]), self.definitions))
