"""The labels and annotations kro writes on instances and their children (spec §5.4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pykro import __version__
from pykro.runtime.applyset import PART_OF_LABEL, applyset_id
from pykro.schema.gvk import GVK

FINALIZER = "kro.run/finalizer"
OWNED_LABEL = "kro.run/owned"
KRO_VERSION_LABEL = "kro.run/kro-version"
RGD_ID_LABEL = "kro.run/resource-graph-definition-id"
RGD_NAME_LABEL = "kro.run/resource-graph-definition-name"
INSTANCE_ID_LABEL = "kro.run/instance-id"
INSTANCE_NAME_LABEL = "kro.run/instance-name"
INSTANCE_GROUP_LABEL = "kro.run/instance-group"
INSTANCE_VERSION_LABEL = "kro.run/instance-version"
INSTANCE_KIND_LABEL = "kro.run/instance-kind"
INSTANCE_NAMESPACE_LABEL = "kro.run/instance-namespace"
NODE_ID_LABEL = "kro.run/node-id"
COLLECTION_INDEX_LABEL = "kro.run/collection-index"
COLLECTION_SIZE_LABEL = "kro.run/collection-size"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
APPLY_ORDER_ANNOTATION = "internal.kro.run/apply-order"
SUSPEND_ANNOTATION = "kro.run/reconcile"
SUSPEND_VALUES = frozenset({"suspended", "disabled"})

# Label values may not contain '+' (semver build metadata).
KRO_VERSION = __version__.replace("+", "-")


def meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    m = obj.get("metadata")
    return m if isinstance(m, Mapping) else {}


def is_suspended(obj: Mapping[str, Any]) -> bool:
    annotations = meta(obj).get("annotations") or {}
    return str(annotations.get(SUSPEND_ANNOTATION, "")).strip().lower() in SUSPEND_VALUES


@dataclass(frozen=True)
class InstanceIdentity:
    """Who an instance is: what children are labelled with and its ApplySet id."""

    gvk: GVK
    name: str
    namespace: str  # "" for cluster-scoped instances
    uid: str

    @classmethod
    def of(cls, instance: Mapping[str, Any], gvk: GVK) -> InstanceIdentity:
        m = meta(instance)
        return cls(gvk, str(m.get("name") or ""), str(m.get("namespace") or ""), str(m.get("uid") or ""))

    @property
    def applyset_id(self) -> str:
        return applyset_id(self.name, self.namespace, self.gvk.kind, self.gvk.group)

    def managed_labels(self, rgd_name: str, rgd_uid: str) -> dict[str, str]:
        """Labels `ensureManaged` puts on the instance itself."""
        return {
            OWNED_LABEL: "true",
            KRO_VERSION_LABEL: KRO_VERSION,
            RGD_ID_LABEL: rgd_uid,
            RGD_NAME_LABEL: rgd_name,
        }

    def child_labels(self, node_id: str) -> dict[str, str]:
        labels = {
            INSTANCE_ID_LABEL: self.uid,
            INSTANCE_NAME_LABEL: self.name,
            INSTANCE_GROUP_LABEL: self.gvk.group,
            INSTANCE_VERSION_LABEL: self.gvk.version,
            INSTANCE_KIND_LABEL: self.gvk.kind,
            MANAGED_BY_LABEL: "kro",
            OWNED_LABEL: "true",
            KRO_VERSION_LABEL: KRO_VERSION,
            NODE_ID_LABEL: node_id,
            PART_OF_LABEL: self.applyset_id,
        }
        if self.namespace:
            labels[INSTANCE_NAMESPACE_LABEL] = self.namespace
        return labels


def decorate_child(obj: dict[str, Any], identity: InstanceIdentity, node_id: str, apply_order: int) -> None:
    """Add kro's labels and the apply-order annotation to a rendered child (in place); kro's win."""
    m = obj.get("metadata")
    if not isinstance(m, dict):
        m = obj["metadata"] = {}
    labels = m.get("labels")
    m["labels"] = {**(labels if isinstance(labels, dict) else {}), **identity.child_labels(node_id)}
    annotations = m.get("annotations")
    m["annotations"] = {
        **(annotations if isinstance(annotations, dict) else {}), APPLY_ORDER_ANNOTATION: str(apply_order),
    }
