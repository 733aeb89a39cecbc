"""The catalog of served resources: built-in kinds from the schema registry plus CRDs."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pykro.errors import PykroError
from pykro.schema.gvk import GVK
from pykro.schema.registry import SchemaRegistry

log = logging.getLogger(__name__)

GroupResource = tuple[str, str]

CRD_GROUP = "apiextensions.k8s.io"
CRD_GR: GroupResource = (CRD_GROUP, "customresourcedefinitions")
NAMESPACES_GR: GroupResource = ("", "namespaces")


@dataclass(frozen=True)
class ServedKind:
    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    subresources: frozenset[str]
    short_names: tuple[str, ...]
    verbs: tuple[str, ...]
    categories: tuple[str, ...]
    list_kind: str
    crd: str | None = None  # name of the defining CRD, None for built-ins
    printer_columns: tuple[Mapping[str, Any], ...] = ()
    schema: Mapping[str, Any] | None = field(default=None, compare=False)  # CRD openAPIV3Schema

    @property
    def gr(self) -> GroupResource:
        return (self.group, self.plural)

    @property
    def gvk(self) -> GVK:
        return GVK(self.group, self.version, self.kind)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


_VERSION = re.compile(r"^v([0-9]+)(?:(alpha|beta)([0-9]+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key matching Kubernetes' version priority: GA > beta > alpha, newer first, then others."""
    m = _VERSION.match(version)
    if not m:
        return (3, 0, 0, version)
    major, stage, minor = int(m.group(1)), m.group(2), int(m.group(3) or 0)
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -major, -minor, version)


_ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


def _builtin_infos(registry: SchemaRegistry) -> list[ServedKind]:
    out: list[ServedKind] = []
    for info in registry.builtin_kinds():
        gvk = info.gvk
        out.append(
            ServedKind(
                gvk.group,
                gvk.version,
                gvk.kind,
                info.plural,
                info.singular,
                info.namespaced,
                frozenset(info.subresources),
                tuple(info.short_names),
                tuple(info.verbs),
                tuple(info.categories),
                info.list_kind,
            )
        )
    return out


class Catalog:
    """Which (group, version, plural) the server serves, and the whole-object schema of each: the one
    owner of both, so a CRD change updates what is served and how patches and applies are typed
    together. Changes bump `generation`."""

    def __init__(
        self, builtins: Iterable[ServedKind] | None = None, registry: SchemaRegistry | None = None
    ) -> None:
        self.schemas = registry if registry is not None else SchemaRegistry()
        self._by_gv: dict[tuple[str, str], dict[str, ServedKind]] = {}
        self._builtin_groups: set[str] = set()
        self._crd_kinds: dict[str, list[ServedKind]] = {}
        self.generation = 0
        for k in builtins if builtins is not None else _builtin_infos(self.schemas):
            if "list" not in k.verbs and "create" not in k.verbs:
                continue  # virtual kinds (TokenReview, Binding-like) need custom REST logic
            self._add(k)
            self._builtin_groups.add(k.group)

    def _add(self, k: ServedKind) -> None:
        self._by_gv.setdefault((k.group, k.version), {})[k.plural] = k
        self.generation += 1

    def lookup(self, group: str, version: str, plural: str) -> ServedKind | None:
        return self._by_gv.get((group, version), {}).get(plural)

    def has_group_version(self, group: str, version: str) -> bool:
        return (group, version) in self._by_gv

    def kinds(self, group: str, version: str) -> list[ServedKind]:
        return sorted(self._by_gv.get((group, version), {}).values(), key=lambda k: k.plural)

    def groups(self) -> list[tuple[str, list[str]]]:
        """(group, versions by priority) with the core group first, then built-ins, then CRD groups."""
        versions: dict[str, list[str]] = {}
        for group, version in self._by_gv:
            versions.setdefault(group, []).append(version)

        def order(g: str) -> tuple[int, str]:
            return (0 if g == "" else 1 if g in self._builtin_groups else 2, g)

        return [(g, sorted(versions[g], key=version_priority)) for g in sorted(versions, key=order)]

    def preferred(self, group: str, plural: str) -> ServedKind | None:
        """The resource in its group's preferred version that serves it (the order `groups` lists).
        Only this group's versions are sorted: the garbage collector asks for every object it checks."""
        for v in sorted((v for g, v in self._by_gv if g == group), key=version_priority):
            k = self.lookup(group, v, plural)
            if k is not None:
                return k
        return None

    def find_kind(self, group: str, version: str, kind: str) -> ServedKind | None:
        for k in self._by_gv.get((group, version), {}).values():
            if k.kind == kind:
                return k
        return None

    def schema_for(self, kind: ServedKind) -> Mapping[str, Any] | None:
        """The whole-object schema patches and applies are typed with (None: free-form)."""
        found = self.schemas.find(GVK(kind.group, kind.version, kind.kind))
        return found.schema if found is not None else None

    # CRDs -------------------------------------------------------------------------------------------
    def set_crd(self, crd: Mapping[str, Any]) -> list[ServedKind]:
        name = crd["metadata"]["name"]
        self.remove_crd(name)
        kinds = kinds_from_crd(crd)
        for k in kinds:
            self._add(k)
        self._crd_kinds[name] = kinds
        try:
            self.schemas.add_crd(crd)
        except PykroError as err:
            # Validation still uses the CRD's own schema; only apply's field ownership and strategic
            # merge fall back to treating the kind as free-form. Say so rather than hide it.
            log.warning("CRD %s: served without a typed schema for apply: %s", name, err)
        return kinds

    def remove_crd(self, name: str) -> None:
        self.schemas.remove_crd(name)
        for k in self._crd_kinds.pop(name, []):
            gv = self._by_gv.get((k.group, k.version))
            if gv is not None and gv.get(k.plural) is k:
                del gv[k.plural]
                if not gv:
                    del self._by_gv[(k.group, k.version)]
        self.generation += 1

    def crd_kinds(self, name: str) -> list[ServedKind]:
        return list(self._crd_kinds.get(name, []))

    def is_builtin_group(self, group: str) -> bool:
        return group in self._builtin_groups


def kinds_from_crd(crd: Mapping[str, Any]) -> list[ServedKind]:
    spec = crd.get("spec", {})
    names = spec.get("names", {})
    group = spec.get("group", "")
    out: list[ServedKind] = []
    for v in spec.get("versions", []):
        if not v.get("served", True):
            continue
        subs = v.get("subresources") or {}
        schema = (v.get("schema") or {}).get("openAPIV3Schema")
        out.append(
            ServedKind(
                group=group,
                version=v["name"],
                kind=names["kind"],
                plural=names["plural"],
                singular=names.get("singular") or names["kind"].lower(),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                subresources=frozenset(s for s in ("status", "scale") if s in subs),
                short_names=tuple(names.get("shortNames") or ()),
                verbs=_ALL_VERBS,
                categories=tuple(names.get("categories") or ()),
                list_kind=names.get("listKind") or names["kind"] + "List",
                crd=crd["metadata"]["name"],
                printer_columns=tuple(v.get("additionalPrinterColumns") or ()),
                schema=schema,
            )
        )
    return out
