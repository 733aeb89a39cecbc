"""ApplySet (KEP-3659) metadata that ties an instance to the children it applied.

The parent's id label and inventory annotations are what pruning and deletion trust, so they are
computed here in one place and validated before anything is deleted (spec §5.4, §5.9).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pykro.api.conventions import (
    APPLYSET_GROUP_KINDS_ANNOTATION,
    APPLYSET_ID_LABEL,
    APPLYSET_INVENTORY_HASH_ANNOTATION,
    APPLYSET_NAMESPACES_ANNOTATION,
    APPLYSET_TOOLING,
    APPLYSET_TOOLING_ANNOTATION,
    b64url,
)


def group_kind_string(group: str, kind: str) -> str:
    return f"{kind}.{group}" if group else kind


@dataclass(frozen=True)
class Inventory:
    """What an instance's ApplySet may contain: group-kinds and extra namespaces."""

    group_kinds: frozenset[str]
    namespaces: frozenset[str]

    def union(self, other: Inventory) -> Inventory:
        return Inventory(self.group_kinds | other.group_kinds, self.namespaces | other.namespaces)

    def covers(self, other: Inventory) -> bool:
        """Does this inventory already list every group-kind and namespace of `other`?"""
        return other.group_kinds <= self.group_kinds and other.namespaces <= self.namespaces

    @staticmethod
    def of(group_kinds: Iterable[str], namespaces: Iterable[str], parent_namespace: str) -> Inventory:
        return Inventory(
            frozenset(group_kinds), frozenset(ns for ns in namespaces if ns and ns != parent_namespace)
        )

    def annotations(self, set_id: str) -> dict[str, str]:
        gks = ",".join(sorted(self.group_kinds))
        nss = ",".join(sorted(self.namespaces))
        digest = hashlib.sha256(f"{set_id}\x00{gks}\x00{nss}".encode()).digest()
        return {
            APPLYSET_TOOLING_ANNOTATION: APPLYSET_TOOLING,
            APPLYSET_GROUP_KINDS_ANNOTATION: gks,
            APPLYSET_NAMESPACES_ANNOTATION: nss,
            APPLYSET_INVENTORY_HASH_ANNOTATION: f"sha256:{b64url(digest)}",
        }


class InvalidInventory(ValueError):
    """The parent's persisted inventory cannot be trusted for deletion."""


def read_inventory(
    set_id: str, labels: Mapping[str, str], annotations: Mapping[str, str]
) -> Inventory | None:
    """The persisted inventory, None when the parent has none yet; raises when it is present but broken."""
    present = [
        k
        for k in (
            APPLYSET_TOOLING_ANNOTATION,
            APPLYSET_GROUP_KINDS_ANNOTATION,
            APPLYSET_NAMESPACES_ANNOTATION,
        )
        if k in annotations
    ]
    if not present and APPLYSET_ID_LABEL not in labels:
        return None
    if labels.get(APPLYSET_ID_LABEL) != set_id:
        raise InvalidInventory(f"applyset id label is {labels.get(APPLYSET_ID_LABEL)!r}, expected {set_id!r}")
    if not annotations.get(APPLYSET_TOOLING_ANNOTATION, "").startswith("kro/"):
        raise InvalidInventory("applyset tooling annotation is not kro's")
    if (
        APPLYSET_GROUP_KINDS_ANNOTATION not in annotations
        or APPLYSET_NAMESPACES_ANNOTATION not in annotations
    ):
        raise InvalidInventory("applyset inventory annotations are incomplete")
    inventory = Inventory(
        frozenset(filter(None, annotations[APPLYSET_GROUP_KINDS_ANNOTATION].split(","))),
        frozenset(filter(None, annotations[APPLYSET_NAMESPACES_ANNOTATION].split(","))),
    )
    recorded = annotations.get(APPLYSET_INVENTORY_HASH_ANNOTATION)
    if recorded is not None and recorded != inventory.annotations(set_id)[APPLYSET_INVENTORY_HASH_ANNOTATION]:
        raise InvalidInventory("applyset inventory hash does not match its annotations")
    return inventory
