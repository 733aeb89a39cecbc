"""Per-kind behaviour of the registry, one strategy object per group-resource, in the spirit of
kube-apiserver's `RESTCreateStrategy`/`RESTUpdateStrategy`/`RESTDeleteStrategy`.

The generic registry (`resources.Resources`) asks `strategy_for(kind)` at each point where kinds
differ, instead of testing which kind it holds. A kind with no entry gets `Strategy()`, which does
nothing special.
"""

from __future__ import annotations

import base64
from typing import Any, Protocol

from pykro.apiserver.machinery.status import Cause, invalid
from pykro.apiserver.registry import crds
from pykro.apiserver.registry.kinds import CRD_GR, NAMESPACES_GR, GroupResource, ServedKind

Obj = dict[str, Any]
# (kind, object) pairs held by a namespace or CRD: what must go before the parent may.
Contents = list[tuple[ServedKind, Obj]]


class Holdings(Protocol):
    """What the registry can list for a parent's `contents`."""

    def namespace_contents(self, namespace: str) -> Contents: ...

    def custom_resources(self, crd_name: str) -> Contents: ...


class Strategy:
    """The default: nothing to normalize, no extra validation, deleted at once without finalizers."""

    # Deletion always goes through a terminating phase (the object waits for its contents).
    graceful_delete = False
    # Whether `propagationPolicy` Foreground/Orphan adds the garbage collector's finalizer.
    garbage_collected = True
    # A change to the stored object changes which kinds are served (CRDs).
    defines_kinds = False

    def initial_status(self) -> Obj:
        """The status a new object of a kind with a status subresource starts with."""
        return {}

    def normalize(self, obj: Obj) -> None:
        """Before validation on create and update: fold input-only fields, fill defaults."""

    def validate(self, obj: Obj) -> list[Cause]:
        """Kind-specific validation beyond ObjectMeta, before admission runs."""
        return []

    def accept(self, obj: Obj) -> None:
        """After validation, before admission: derive server-owned status (CRD conditions)."""

    def mark_terminating(self, obj: Obj) -> None:
        """When a graceful deletion starts."""

    def contents(self, obj: Obj, holdings: Holdings) -> Contents:
        """The objects this one holds (a namespace's objects, a CRD's custom resources)."""
        return []


NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def label_namespace_name(obj: Obj) -> None:
    """kube-apiserver labels every namespace `kubernetes.io/metadata.name: <name>`, so selectors can
    pick namespaces by name: its defaulting does (so the writer's managedFields own the label), and
    the strategy's `Canonicalize` again once a generated name is known; a write that removes or
    changes the label gets it back."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("name"), str) and meta["name"]:
        labels = meta.get("labels")
        meta["labels"] = {**(labels if isinstance(labels, dict) else {}), NAMESPACE_NAME_LABEL: meta["name"]}


class NamespaceStrategy(Strategy):
    graceful_delete = True
    garbage_collected = False

    def normalize(self, obj: Obj) -> None:
        label_namespace_name(obj)

    def initial_status(self) -> Obj:
        return {"phase": "Active"}

    def mark_terminating(self, obj: Obj) -> None:
        obj["status"] = {**obj.get("status", {}), "phase": "Terminating"}

    def contents(self, obj: Obj, holdings: Holdings) -> Contents:
        return holdings.namespace_contents(obj["metadata"]["name"])


class CustomResourceDefinitionStrategy(Strategy):
    graceful_delete = True
    garbage_collected = False
    defines_kinds = True

    def normalize(self, obj: Obj) -> None:
        crds.set_defaults(obj)  # before the generation check: an omitted default is no change

    def validate(self, obj: Obj) -> list[Cause]:
        return crds.validate(obj)

    def accept(self, obj: Obj) -> None:
        crds.accept(obj)

    def mark_terminating(self, obj: Obj) -> None:
        crds.set_terminating(obj)

    def contents(self, obj: Obj, holdings: Holdings) -> Contents:
        return holdings.custom_resources(obj["metadata"]["name"])


class SecretStrategy(Strategy):
    def normalize(self, obj: Obj) -> None:
        """`stringData` is write-only: merged into `data` (base64), as the real Secret strategy does."""
        string_data = obj.pop("stringData", None)
        if string_data:
            if not isinstance(string_data, dict):
                cause = Cause(
                    "stringData", "Invalid value: must be a map of strings", "FieldValueTypeInvalid"
                )
                raise invalid("Secret", "", obj["metadata"].get("name", ""), [cause])
            data = dict(obj.get("data") or {})
            for k, v in string_data.items():
                data[k] = base64.b64encode(str(v).encode()).decode()
            obj["data"] = data
        if not obj.get("type"):
            obj["type"] = "Opaque"


class PodStrategy(Strategy):
    def initial_status(self) -> Obj:
        return {"phase": "Pending"}


_DEFAULT = Strategy()
STRATEGIES: dict[GroupResource, Strategy] = {
    NAMESPACES_GR: NamespaceStrategy(),
    CRD_GR: CustomResourceDefinitionStrategy(),
    ("", "secrets"): SecretStrategy(),
    ("", "pods"): PodStrategy(),
}


def strategy_for(kind: ServedKind) -> Strategy:
    return STRATEGIES.get(kind.gr, _DEFAULT)
