"""The schema registry: what every kind an RGD may mention looks like.

`SchemaRegistry.resolve(gvk)` answers from, in order: CRDs added with `add_crd` (the most specific
knowledge, e.g. an RGD's own instance CRD), sources added with `add_source` (a live cluster), and the
built-in kinds of the configured Kubernetes release. Built-in schemas are parsed on first use, not at
import, and normalized per definition as they are reached (see `pykro.schema.builtin`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from pykro.schema.builtin import (
    DEFAULT_KUBERNETES_VERSION,
    VERSION_ENV_VAR,
    builtin_definitions,
    definition_names,
    effective_version,
    whole_object,
)
from pykro.schema.builtin_kinds import CATEGORIES, SHORT_NAMES, kind_rows
from pykro.schema.gvk import GVK
from pykro.schema.lazy import SchemaView, materialize
from pykro.schema.objectmeta import object_meta_schema
from pykro.schema.registry_crd import parse_crd
from pykro.schema.registry_types import KindInfo, ResolvedKind, SchemaSource, UnknownKindError

__all__ = [
    "DEFAULT_KUBERNETES_VERSION",
    "VERSION_ENV_VAR",
    "KindInfo",
    "ResolvedKind",
    "SchemaRegistry",
    "SchemaSource",
    "UnknownKindError",
    "builtin_definitions",
    "materialize",
    "object_meta_schema",
]


@functools.cache
def _builtin_infos(version: str) -> dict[GVK, KindInfo]:
    served = definition_names(version)
    infos: dict[GVK, KindInfo] = {}
    for gvk, row in kind_rows().items():
        if gvk not in served:
            continue
        key = (gvk.group, row.plural)
        infos[gvk] = KindInfo(
            gvk=gvk,
            plural=row.plural,
            namespaced=row.namespaced,
            subresources=row.subresources,
            short_names=SHORT_NAMES.get(key, ()),
            singular=gvk.kind.lower(),
            list_kind=f"{gvk.kind}List",
            verbs=row.verbs,
            categories=CATEGORIES.get(key, ()),
        )
    return infos


@functools.lru_cache(maxsize=4096)
def _builtin_kind(version: str, gvk: GVK) -> ResolvedKind | None:
    """Shared by all registries of a release: views are read-only, so sharing their caches is safe."""
    info = _builtin_infos(version).get(gvk)
    if info is None:
        return None
    definitions = builtin_definitions(version)
    name = definition_names(version)[gvk]
    return ResolvedKind(info, SchemaView(whole_object(definitions[name]), definitions))


def _version_priority(version: str) -> tuple[int, int, int]:
    """Sort key putting versions in Kubernetes' preference order: v2, v1, v2beta1, v1beta2, v1alpha1."""
    match = re.fullmatch(r"v([0-9]+)(?:(alpha|beta)([0-9]+))?", version)
    if match is None:
        return (3, 0, 0)
    stability = {None: 0, "beta": 1, "alpha": 2}[match.group(2)]
    return (stability, -int(match.group(1)), -int(match.group(3) or 0))


class SchemaRegistry:
    """Kinds known to pykro: built-ins of one Kubernetes release, added CRDs, and schema sources.

    `kubernetes_version` ("1.33", "v1.33.1") defaults to $PYKRO_KUBERNETES_VERSION, else
    `DEFAULT_KUBERNETES_VERSION`; an uninstalled version raises `PykroError` naming the available ones.
    """

    def __init__(self, kubernetes_version: str | None = None) -> None:
        self.kubernetes_version = effective_version(kubernetes_version)
        self._crds: dict[str, list[GVK]] = {}
        self._crd_kinds: dict[GVK, ResolvedKind] = {}
        self._sources: list[SchemaSource] = []

    # -- lookups ---------------------------------------------------------------------------------

    def find(self, gvk: GVK) -> ResolvedKind | None:
        """The kind `gvk`, or None if no CRD, source or built-in describes it."""
        found = self._crd_kinds.get(gvk)
        if found is not None:
            return found
        for source in self._sources:
            found = source.lookup(gvk)
            if found is not None:
                return found
        return _builtin_kind(self.kubernetes_version, gvk)

    def resolve(self, gvk: GVK) -> ResolvedKind:
        """The kind `gvk`; raises `UnknownKindError` with suggestions when it is unknown."""
        found = self.find(gvk)
        if found is None:
            raise self._unknown(gvk)
        return found

    def builtin_kinds(self) -> list[KindInfo]:
        """Every built-in kind of this Kubernetes release, sorted by group, version, kind."""
        return sorted(_builtin_infos(self.kubernetes_version).values(), key=lambda info: info.gvk)

    def crd_kinds(self) -> list[KindInfo]:
        """Every kind added with `add_crd`."""
        return [kind.info for kind in self._crd_kinds.values()]

    # -- changes ---------------------------------------------------------------------------------

    def add_crd(self, crd: Mapping[str, Any]) -> list[GVK]:
        """Register every served version of an `apiextensions.k8s.io/v1` CRD; returns their GVKs.

        Re-adding a CRD of the same name replaces it. Raises `PykroError` (with one `Problem` per issue,
        located inside the CRD) if it is malformed or a version's schema is not structural.
        """
        name, versions = parse_crd(crd)
        self.remove_crd(name)
        definitions = builtin_definitions(self.kubernetes_version)
        for version in versions:
            self._crd_kinds[version.info.gvk] = ResolvedKind(
                version.info, SchemaView(version.schema, definitions)
            )
        self._crds[name] = [version.info.gvk for version in versions]
        return list(self._crds[name])

    def remove_crd(self, name: str) -> list[GVK]:
        """Forget the CRD `name` (`<plural>.<group>`); returns the GVKs dropped (none if it was unknown)."""
        removed = self._crds.pop(name, [])
        for gvk in removed:
            self._crd_kinds.pop(gvk, None)
        return removed

    def add_source(self, source: SchemaSource) -> None:
        """Consult `source` for kinds that no added CRD describes, before the built-ins."""
        self._sources.append(source)

    # -- errors ----------------------------------------------------------------------------------

    def _known(self) -> list[KindInfo]:
        return [*self.crd_kinds(), *self.builtin_kinds()]

    def _unknown(self, gvk: GVK) -> UnknownKindError:
        known = self._known()
        wanted = gvk.kind.lower()
        same = [i.gvk for i in known if wanted in (i.gvk.kind.lower(), i.plural, i.singular, *i.short_names)]
        if not same:
            import difflib  # only error paths pay for it

            by_kind: dict[str, list[GVK]] = {}
            for info in known:
                by_kind.setdefault(info.gvk.kind, []).append(info.gvk)
            for kind in difflib.get_close_matches(gvk.kind, list(by_kind), n=3, cutoff=0.7):
                same.extend(by_kind[kind])
        same.sort(key=lambda g: (g.group != gvk.group, _version_priority(g.version), g.kind, g.group))
        suggestions = tuple(same[:5])

        message = f"unknown kind {gvk.kind} in apiVersion {gvk.api_version}"
        if gvk in kind_rows():
            message += f" (Kubernetes {self.kubernetes_version} no longer or not yet serves it)"
        elif gvk.group and not any(info.gvk.group == gvk.group for info in known):
            message += f' (no CRD of group "{gvk.group}" is registered: is it installed?)'
        if suggestions:
            message += "; did you mean " + ", ".join(f"{g.kind} ({g.api_version})" for g in suggestions) + "?"
        return UnknownKindError(message, gvk, suggestions)
