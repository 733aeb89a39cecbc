"""ApplySet (KEP-3659) metadata that ties an instance to the children it applied.

The parent's id label and inventory annotations are what pruning and deletion trust, so they are
computed here in one place and validated before anything is deleted (spec §5.4, §5.9).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pykro import __version__

ID_LABEL = "applyset.kubernetes.io/id"
PART_OF_LABEL = "applyset.kubernetes.io/part-of"
TOOLING_ANNOTATION = "applyset.kubernetes.io/tooling"
GROUP_KINDS_ANNOTATION = "applyset.kubernetes.io/contains-group-kinds"
NAMESPACES_ANNOTATION = "applyset.kubernetes.io/additional-namespaces"
INVENTORY_HASH_ANNOTATION = "internal.kro.run/applyset-inventory-hash"
TOOLING = f"kro/{__version__}"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def applyset_id(name: str, namespace: str, kind: str, group: str) -> str:
    digest = hashlib.sha256(f"{name}.{namespace}.{kind}.{group}".encode()).digest()
    return f"applyset-{_b64url(digest)}-v1"


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
        return Inventory(frozenset(group_kinds), frozenset(ns for ns in namespaces if ns and ns != parent_namespace))

    def annotations(self, set_id: str) -> dict[str, str]:
        gks = ",".join(sorted(self.group_kinds))
        nss = ",".join(sorted(self.namespaces))
        digest = hashlib.sha256(f"{set_id}\x00{gks}\x00{nss}".encode()).digest()
        return {
            TOOLING_ANNOTATION: TOOLING,
            GROUP_KINDS_ANNOTATION: gks,
            NAMESPACES_ANNOTATION: nss,
            INVENTORY_HASH_ANNOTATION: f"sha256:{_b64url(digest)}",
        }


class InvalidInventory(ValueError):
    """The parent's persisted inventory cannot be trusted for deletion."""


def read_inventory(set_id: str, labels: Mapping[str, str], annotations: Mapping[str, str]) -> Inventory | None:
    """The persisted inventory, None when the parent has none yet; raises when it is present but broken."""
    present = [k for k in (TOOLING_ANNOTATION, GROUP_KINDS_ANNOTATION, NAMESPACES_ANNOTATION) if k in annotations]
    if not present and ID_LABEL not in labels:
        return None
    if labels.get(ID_LABEL) != set_id:
        raise InvalidInventory(f"applyset id label is {labels.get(ID_LABEL)!r}, expected {set_id!r}")
    if not annotations.get(TOOLING_ANNOTATION, "").startswith("kro/"):
        raise InvalidInventory("applyset tooling annotation is not kro's")
    if GROUP_KINDS_ANNOTATION not in annotations or NAMESPACES_ANNOTATION not in annotations:
        raise InvalidInventory("applyset inventory annotations are incomplete")
    inventory = Inventory(
        frozenset(filter(None, annotations[GROUP_KINDS_ANNOTATION].split(","))),
        frozenset(filter(None, annotations[NAMESPACES_ANNOTATION].split(","))),
    )
    recorded = annotations.get(INVENTORY_HASH_ANNOTATION)
    if recorded is not None and recorded != inventory.annotations(set_id)[INVENTORY_HASH_ANNOTATION]:
        raise InvalidInventory("applyset inventory hash does not match its annotations")
    return inventory
