"""The cluster's `/openapi/v3` as a `pykro.schema.registry.SchemaSource`.

The registry looks kinds up synchronously, so this source is filled ahead of time:
`await source.load(gvks)` fetches discovery and each needed group-version's document, and
`lookup(gvk)` answers from memory. Documents are cached by the `?hash=` in the index's
`serverRelativeURL`, so reloading after a CRD change re-fetches only the group-versions
whose schema changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from pykro.kube.client import KubeClient
from pykro.kube.errors import KubeError
from pykro.kube.restmapper import APIResource, UnknownKind, discovery_path
from pykro.schema.builtin import builtin_definitions
from pykro.schema.gvk import GVK
from pykro.schema.registry_openapi import OpenAPIComponents
from pykro.schema.registry_types import KindInfo, ResolvedKind


def kind_info(res: APIResource) -> KindInfo:
    """The registry's `KindInfo` for a discovered resource."""
    return KindInfo(
        gvk=res.gvk,
        plural=res.plural,
        namespaced=res.namespaced,
        subresources=res.subresources,
        short_names=res.short_names,
        singular=res.singular,
        list_kind=f"{res.gvk.kind}List",
        verbs=res.verbs,
        categories=res.categories,
    )


def _index_key(group_version: str) -> str:
    """The key `/openapi/v3` lists a group-version under: its discovery path without the leading slash."""
    return discovery_path(group_version).lstrip("/")


class ClusterSchemaSource:
    """A `SchemaSource` backed by one cluster. Not thread-safe; use from the event loop's thread."""

    def __init__(self, client: KubeClient, *, kubernetes_version: str | None = None) -> None:
        self.client = client
        self._fallback = builtin_definitions(kubernetes_version)
        self._index: dict[str, str] = {}  # index key ("apis/apps/v1") → serverRelativeURL with ?hash=
        self._documents: dict[str, OpenAPIComponents] = {}  # serverRelativeURL → parsed document
        self._resolved: dict[GVK, ResolvedKind] = {}
        self.fetches = 0  # documents downloaded (observability, and proof of the hash cache)
        self.errors: dict[str, str] = {}  # group-version → why its document could not be loaded

    async def refresh_index(self) -> None:
        index = await self.client.get_json("/openapi/v3")
        paths = (index or {}).get("paths") or {}
        self._index = {
            str(k): str(v.get("serverRelativeURL", "")) for k, v in paths.items() if isinstance(v, dict)
        }

    async def load(self, gvks: Iterable[GVK]) -> None:
        """Fetch what `lookup` needs for `gvks` (discovery plus one document per group-version).
        Kinds the server does not serve are skipped (their `lookup` stays None)."""
        wanted = list(dict.fromkeys(gvks))
        await self.refresh_index()
        resources: dict[GVK, APIResource] = {}
        for gvk in wanted:
            try:
                resources[gvk] = await self.client.mapper.resource_for(gvk)
            except UnknownKind:
                self._resolved.pop(gvk, None)
        group_versions = sorted({gvk.api_version for gvk in resources})
        await asyncio.gather(*(self._load_document(gv) for gv in group_versions))
        for gvk, res in resources.items():
            url = self._index.get(_index_key(gvk.api_version))
            document = self._documents.get(url or "")
            resolved = document.kind(kind_info(res)) if document is not None else None
            if resolved is None:
                self._resolved.pop(gvk, None)
            else:
                self._resolved[gvk] = resolved

    async def _load_document(self, group_version: str) -> None:
        url = self._index.get(_index_key(group_version))
        if not url:
            self.errors[group_version] = "not listed in /openapi/v3"
            return
        if url in self._documents:
            return  # same hash: the schema has not changed
        try:
            doc: Any = await self.client.get_json(url)
        except KubeError as err:
            self.errors[group_version] = str(err)
            return
        self.fetches += 1
        stale = [u for u in self._documents if u.split("?", 1)[0] == url.split("?", 1)[0]]
        for old in stale:
            del self._documents[old]
        self._documents[url] = OpenAPIComponents(doc, self._fallback)
        self.errors.pop(group_version, None)

    def lookup(self, gvk: GVK) -> ResolvedKind | None:
        return self._resolved.get(gvk)
