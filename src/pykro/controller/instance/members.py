"""Finding and deleting an instance's ApplySet members (spec §5.5 pruning, §5.9 deletion)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pykro.api.conventions import APPLY_ORDER_ANNOTATION, APPLYSET_PART_OF_LABEL, NODE_ID_LABEL
from pykro.controller.instance.applyset import Inventory
from pykro.controller.instance.reads import CachedReads
from pykro.kube import Conflict, KubeClient, NotFound
from pykro.schema.gvk import GVK

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Member:
    gvk: GVK
    namespace: str
    name: str
    uid: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    terminating: bool

    @property
    def apply_order(self) -> int:
        """The `internal.kro.run/apply-order` wave; missing/invalid/≤0 is wave 0 (deleted last)."""
        try:
            wave = int(self.annotations.get(APPLY_ORDER_ANNOTATION, "0"))
        except ValueError:
            return 0
        return max(wave, 0)

    def describe(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.gvk.kind} {where}"


async def _gvk_for(client: KubeClient, group_kind: str, known: Mapping[str, GVK]) -> GVK | None:
    """The served version of a `Kind.group` string; graph kinds first, then discovery."""
    if group_kind in known:
        return known[group_kind]
    kind, _, group = group_kind.partition(".")
    for res in client.mapper.all_resources():
        if res.gvk.kind == kind and res.gvk.group == group:
            return res.gvk
    await client.mapper.refresh()
    for res in client.mapper.all_resources():
        if res.gvk.kind == kind and res.gvk.group == group:
            return res.gvk
    return None


async def list_members(
    client: KubeClient,
    set_id: str,
    inventory: Inventory,
    parent_namespace: str,
    known: Mapping[str, GVK],
    cache: CachedReads | None = None,
) -> list[Member]:
    """Every object labelled as part of `set_id`, among the inventory's kinds and namespaces.
    Kinds the server no longer serves are skipped. With `cache`, a kind whose informer has synced
    is listed from its cache (pruning); without, everything is listed live (deletion)."""
    namespaces = sorted({parent_namespace or "default", *inventory.namespaces})
    selector = f"{APPLYSET_PART_OF_LABEL}={set_id}"
    members: dict[str, Member] = {}
    for group_kind in sorted(inventory.group_kinds):
        gvk = await _gvk_for(client, group_kind, known)
        if gvk is None:
            continue
        try:
            res = await client.resource(gvk)
            scopes: Sequence[str | None] = namespaces if res.namespaced else [None]
            cached = (
                None if cache is None else cache.members(gvk, set_id, namespaces if res.namespaced else None)
            )
            if cached is not None:
                for item in cached:
                    member = member_from(item, gvk)
                    members[member.uid] = member
                continue
            for ns in scopes:
                page = await client.list_all(gvk, namespace=ns, label_selector=selector, metadata_only=True)
                for item in page.items:
                    member = member_from(item, gvk)
                    members[member.uid] = member
        except NotFound:
            continue  # the kind disappeared (CRD deleted): nothing of it is left to delete
    return list(members.values())


async def delete_members(client: KubeClient, members: Iterable[Member]) -> bool:
    """Delete concurrently with UID preconditions; False if any hit a conflict (retry later)."""

    async def one(member: Member) -> bool:
        try:
            await client.delete(
                member.gvk,
                member.name,
                namespace=member.namespace or None,
                preconditions={"uid": member.uid},
                propagation_policy="Background",
            )
        except NotFound:
            return True
        except Conflict:
            log.info("delete of %s deferred: its uid changed", member.describe())
            return False
        return True

    results = await asyncio.gather(*(one(m) for m in members))
    return all(results)


def prune_waves(members: Sequence[Member], topological_order: Sequence[str]) -> list[list[Member]]:
    """Group prune candidates by their node's position in the current order, highest first;
    members of unknown/removed nodes come first."""
    position = {node_id: i for i, node_id in enumerate(topological_order)}
    unknown = len(topological_order)
    by_pos: dict[int, list[Member]] = {}
    for m in members:
        by_pos.setdefault(position.get(m.labels.get(NODE_ID_LABEL, ""), unknown), []).append(m)
    return [by_pos[p] for p in sorted(by_pos, reverse=True)]


def member_from(obj: Mapping[str, Any], gvk: GVK) -> Member:
    meta = obj.get("metadata") or {}
    return Member(
        gvk,
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
        str(meta.get("uid") or ""),
        dict(meta.get("labels") or {}),
        dict(meta.get("annotations") or {}),
        bool(meta.get("deletionTimestamp")),
    )
