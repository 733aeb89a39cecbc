"""kro's wire conventions: the finalizer, labels, annotations and field managers that kro writes and
reads on RGDs, generated CRDs, instances and their children (spec §5.4, §6). One definition each,
so pykro and upstream kro recognise each other's objects.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pykro import __version__

# Label values may not contain '+' (semver build metadata).
KRO_VERSION = __version__.replace("+", "-")

FINALIZER = "kro.run/finalizer"

# Labels on instances, generated CRDs and children.
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
GRAPH_REVISION_HASH_LABEL = "kro.run/graph-revision-hash"

# Annotations.
APPLY_ORDER_ANNOTATION = "internal.kro.run/apply-order"
SUSPEND_ANNOTATION = "kro.run/reconcile"
SUSPEND_VALUES = frozenset({"suspended", "disabled"})
ALLOW_BREAKING_CHANGES_ANNOTATION = "kro.run/allow-breaking-changes"

# pykro's rollout extensions (docs/rollouts.md), all under one prefix kro ignores. On the RGD (or a
# workload's template) they switch the extensions on; on workloads pykro records the last rollout.
PYKRO_PREFIX = "pykro.dev/"
ROLLOUT_RECORD_ANNOTATION = "pykro.dev/rollout-record"  # "true": say why each rollout happened
ROLLOUT_DEBOUNCE_ANNOTATION = "pykro.dev/rollout-debounce"  # Go duration: coalesce changes
ROLLOUT_MAX_CONCURRENT_ANNOTATION = "pykro.dev/rollout-max-concurrent"  # per-RGD rollout budget
ROLLOUT_TIMEOUT_ANNOTATION = "pykro.dev/rollout-timeout"  # a rollout holds its slot at most this long
LAST_ROLLOUT_CAUSE_ANNOTATION = "pykro.dev/last-rollout-cause"
LAST_ROLLOUT_TIME_ANNOTATION = "pykro.dev/last-rollout-time"
ROLLOUT_INPUTS_ANNOTATION = "pykro.dev/rollout-inputs"  # what the pod template was made from

# ApplySet (KEP-3659) keys on the instance (the parent) and its children.
APPLYSET_ID_LABEL = "applyset.kubernetes.io/id"
APPLYSET_PART_OF_LABEL = "applyset.kubernetes.io/part-of"
APPLYSET_TOOLING_ANNOTATION = "applyset.kubernetes.io/tooling"
APPLYSET_GROUP_KINDS_ANNOTATION = "applyset.kubernetes.io/contains-group-kinds"
APPLYSET_NAMESPACES_ANNOTATION = "applyset.kubernetes.io/additional-namespaces"
APPLYSET_INVENTORY_HASH_ANNOTATION = "internal.kro.run/applyset-inventory-hash"
APPLYSET_TOOLING = f"kro/{__version__}"

# Server-side apply field managers.
LABELLER_MANAGER = "kro.run/labeller"  # finalizer and labels on the instance
APPLYSET_PARENT_MANAGER = "kro.run/applyset-parent"  # ApplySet metadata on the instance
APPLYSET_MANAGER = "kro.run/applyset"  # children


def meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """An object's `metadata`, or an empty mapping."""
    m = obj.get("metadata")
    return m if isinstance(m, Mapping) else {}


def is_suspended(obj: Mapping[str, Any]) -> bool:
    """True when the instance carries `kro.run/reconcile: suspended|disabled` (any case)."""
    annotations = meta(obj).get("annotations") or {}
    return str(annotations.get(SUSPEND_ANNOTATION, "")).strip().lower() in SUSPEND_VALUES


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def applyset_id(name: str, namespace: str, kind: str, group: str) -> str:
    """The instance's ApplySet id (KEP-3659: `applyset-<base64url(sha256(name.namespace.Kind.group))>-v1`)."""
    digest = hashlib.sha256(f"{name}.{namespace}.{kind}.{group}".encode()).digest()
    return f"applyset-{b64url(digest)}-v1"


class _GroupVersionKind(Protocol):
    @property
    def group(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def kind(self) -> str: ...


@dataclass(frozen=True)
class InstanceIdentity:
    """Who an instance is: what its children are labelled with, and its ApplySet id."""

    group: str
    version: str
    kind: str
    name: str
    namespace: str  # "" for cluster-scoped instances
    uid: str

    @classmethod
    def of(cls, instance: Mapping[str, Any], gvk: _GroupVersionKind) -> InstanceIdentity:
        m = meta(instance)
        return cls(
            gvk.group,
            gvk.version,
            gvk.kind,
            str(m.get("name") or ""),
            str(m.get("namespace") or ""),
            str(m.get("uid") or ""),
        )

    @functools.cached_property
    def applyset_id(self) -> str:  # a sha256: asked for several times per reconcile
        return applyset_id(self.name, self.namespace, self.kind, self.group)

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
            INSTANCE_GROUP_LABEL: self.group,
            INSTANCE_VERSION_LABEL: self.version,
            INSTANCE_KIND_LABEL: self.kind,
            MANAGED_BY_LABEL: "kro",
            OWNED_LABEL: "true",
            KRO_VERSION_LABEL: KRO_VERSION,
            NODE_ID_LABEL: node_id,
            APPLYSET_PART_OF_LABEL: self.applyset_id,
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
        **(annotations if isinstance(annotations, dict) else {}),
        APPLY_ORDER_ANNOTATION: str(apply_order),
    }
