"""Discovery and the REST mapper: which plural, scope and verbs serve a GVK.

Group-versions are discovered independently, so one broken API group (an aggregated
API whose backend is down, say) is recorded in `errors` and does not hide the others.
A lookup that misses the cache re-discovers just that group-version, which is how a kind
whose CRD was created a moment ago becomes usable without a full refresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pykro.kube.errors import ApiError, KubeError, NotFound
from pykro.schema.gvk import GVK


@dataclass(frozen=True, order=True)
class GVR:
    """A group/version/resource (the plural name used in URLs)."""

    group: str
    version: str
    resource: str

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def __str__(self) -> str:
        return (
            f"{self.resource}.{self.version}.{self.group}"
            if self.group
            else f"{self.resource}.{self.version}"
        )


@dataclass(frozen=True)
class APIResource:
    """One kind served by the API server, as discovery describes it."""

    gvk: GVK
    plural: str
    namespaced: bool
    verbs: tuple[str, ...] = ()
    short_names: tuple[str, ...] = ()
    singular: str = ""
    categories: tuple[str, ...] = ()
    subresources: frozenset[str] = frozenset()

    @property
    def gvr(self) -> GVR:
        return GVR(self.gvk.group, self.gvk.version, self.plural)

    def path(
        self, namespace: str | None = None, name: str | None = None, subresource: str | None = None
    ) -> str:
        """The URL path for the collection (no name) or one object; `namespace=None` on a namespaced
        kind addresses all namespaces (list/watch only)."""
        prefix = (
            f"/apis/{self.gvk.group}/{self.gvk.version}" if self.gvk.group else f"/api/{self.gvk.version}"
        )
        parts = [prefix]
        if self.namespaced and namespace:
            parts.append(f"namespaces/{namespace}")
        parts.append(self.plural)
        if name is not None:
            parts.append(name)
            if subresource:
                parts.append(subresource)
        return "/".join(parts)


class UnknownKind(NotFound):
    """The API server serves no such kind (not even after re-discovering its group-version)."""

    def __init__(self, gvk: GVK, detail: str = "") -> None:
        self.gvk = gvk
        msg = f"the server does not serve kind {gvk.kind!r} in {gvk.api_version!r}" + (
            f" ({detail})" if detail else ""
        )
        super().__init__(
            {"kind": "Status", "status": "Failure", "code": 404, "reason": "NotFound", "message": msg}
        )


def parse_resource_list(doc: Mapping[str, Any]) -> list[APIResource]:
    """The kinds in one `APIResourceList` (`/api/v1` or `/apis/<group>/<version>`), subresources folded in."""
    group_version = str(doc.get("groupVersion") or "")
    group, _, version = group_version.rpartition("/")
    subresources: dict[str, set[str]] = {}
    mains: list[Mapping[str, Any]] = []
    for res in doc.get("resources") or ():
        name = str(res.get("name", ""))
        if "/" in name:
            base, _, sub = name.partition("/")
            subresources.setdefault(base, set()).add(sub)
        elif name:
            mains.append(res)
    out = []
    for res in mains:
        name = str(res["name"])
        out.append(
            APIResource(
                # An entry may override group/version (rare; e.g. cross-group subresources): honour it.
                gvk=GVK(
                    str(res.get("group") or group),
                    str(res.get("version") or version),
                    str(res.get("kind", "")),
                ),
                plural=name,
                namespaced=bool(res.get("namespaced", False)),
                verbs=tuple(res.get("verbs") or ()),
                short_names=tuple(res.get("shortNames") or ()),
                singular=str(res.get("singularName") or "") or str(res.get("kind", "")).lower(),
                categories=tuple(res.get("categories") or ()),
                subresources=frozenset(subresources.get(name, ())),
            )
        )
    return out


def group_versions(core: Mapping[str, Any] | None, groups: Mapping[str, Any] | None) -> list[str]:
    """Every group-version named by `/api` (an `APIVersions`) and `/apis` (an `APIGroupList`)."""
    out = [str(v) for v in (core or {}).get("versions") or ()]
    for group in (groups or {}).get("groups") or ():
        out.extend(str(v["groupVersion"]) for v in group.get("versions") or ())
    return out


def discovery_path(group_version: str) -> str:
    return f"/apis/{group_version}" if "/" in group_version else f"/api/{group_version}"


Fetch = Callable[[str], Awaitable[Any]]


class RESTMapper:
    """Caches discovery per group-version; `fetch(path)` returns a decoded JSON document."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._by_gv: dict[str, dict[str, APIResource]] = {}  # group-version → kind → resource
        self._inflight: dict[str, asyncio.Future[None]] = {}
        self.errors: dict[str, str] = {}  # group-version → why its discovery failed

    # -- lookups -------------------------------------------------------------------------------
    def cached(self, gvk: GVK) -> APIResource | None:
        return self._by_gv.get(gvk.api_version, {}).get(gvk.kind)

    def all_resources(self) -> list[APIResource]:
        return [r for kinds in self._by_gv.values() for r in kinds.values()]

    async def resource_for(self, gvk: GVK) -> APIResource:
        """The resource serving `gvk`, re-discovering its group-version once on a miss."""
        found = self.cached(gvk)
        if found is not None:
            return found
        await self.refresh_group_version(gvk.api_version)
        found = self.cached(gvk)
        if found is None:
            raise UnknownKind(gvk, self.errors.get(gvk.api_version, ""))
        return found

    def find(self, name: str) -> list[APIResource]:
        """Cached resources matching a kind, plural, singular or short name (case-insensitive),
        optionally qualified as `name.group`."""
        name = name.lower()
        base, _, group = name.partition(".")
        hits = []
        for res in self.all_resources():
            names = {res.gvk.kind.lower(), res.plural, res.singular, *res.short_names}
            if base in names and (
                not group or res.gvk.group == group or res.gvk.group.startswith(group + ".")
            ):
                hits.append(res)
        return sorted(hits, key=lambda r: (r.gvk.group, r.gvk.version))

    # -- refresh -------------------------------------------------------------------------------
    def invalidate(self, group_version: str | None = None) -> None:
        """Forget one group-version (e.g. its CRD was deleted) or everything."""
        if group_version is None:
            self._by_gv.clear()
            self.errors.clear()
        else:
            self._by_gv.pop(group_version, None)
            self.errors.pop(group_version, None)

    async def refresh(self) -> None:
        """Full discovery. Group-versions are fetched concurrently; failures land in `errors`."""
        core, groups = await asyncio.gather(self._fetch("/api"), self._fetch("/apis"))
        gvs = group_versions(core, groups)
        await asyncio.gather(*(self.refresh_group_version(gv) for gv in gvs))
        for stale in set(self._by_gv) - set(gvs):
            del self._by_gv[stale]

    async def refresh_group_version(self, group_version: str) -> None:
        """Re-discover one group-version; concurrent callers share one request."""
        pending = self._inflight.get(group_version)
        if pending is not None:
            await asyncio.shield(pending)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._inflight[group_version] = fut
        try:
            await self._load(group_version)
        finally:
            del self._inflight[group_version]
            fut.set_result(None)

    async def _load(self, group_version: str) -> None:
        try:
            doc = await self._fetch(discovery_path(group_version))
        except NotFound:
            self._by_gv.pop(group_version, None)
            self.errors.pop(group_version, None)
            return
        except (ApiError, KubeError) as err:
            self.errors[group_version] = str(err)
            return
        try:
            resources = parse_resource_list(doc)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            self.errors[group_version] = f"malformed discovery document: {err!r}"
            return
        self._by_gv[group_version] = {r.gvk.kind: r for r in resources}
        self.errors.pop(group_version, None)

    def load_documents(self, docs: Iterable[Mapping[str, Any]]) -> None:
        """Seed the cache from `APIResourceList` documents (tests, or a saved discovery)."""
        for doc in docs:
            resources = parse_resource_list(doc)
            self._by_gv[str(doc.get("groupVersion"))] = {r.gvk.kind: r for r in resources}
