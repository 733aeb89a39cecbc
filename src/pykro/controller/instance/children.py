"""Reading and applying an instance's children (spec §5.2 node kinds, §5.4 conflicts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pykro.api.conventions import (
    APPLYSET_MANAGER,
    APPLYSET_PART_OF_LABEL,
    INSTANCE_ID_LABEL,
    NODE_ID_LABEL,
    InstanceIdentity,
    meta,
)
from pykro.controller.instance.fields import up_to_date
from pykro.controller.instance.reads import CachedReads
from pykro.controller.instance.selectors import label_selector
from pykro.graph.model import Node
from pykro.kube import ApiError, KubeClient
from pykro.schema.gvk import GVK
from pykro.toolkit import ObjectRef, SelectorRef
from pykro.toolkit.watches import Read

Obj = dict[str, Any]


@dataclass
class Applied:
    """One object to apply (a forEach node has one per item) and what came of it."""

    node_id: str
    gvk: GVK
    desired: Obj
    live: Obj | None
    result: Obj | None = None
    error: str | None = None
    retryable: bool = False  # the API refused or failed the apply: try again with backoff
    changed: bool = False
    adopted: bool = False  # it existed, and no kro instance had created it


def object_ref(node: Node, obj: Obj) -> ObjectRef:
    ref = ObjectRef.of(obj, node.gvk)
    return ref if node.namespaced else ObjectRef(node.gvk, "", ref.name)


def _identity(obj: Obj) -> tuple[str, str]:
    m = meta(obj)
    return str(m.get("namespace") or ""), str(m.get("name") or "")


async def read_one(source: CachedReads, node: Node, desired: Obj, reads: set[Read]) -> Obj | None:
    """Read one object (from the watch cache when it can be trusted), declaring the (scalar) watch."""
    ref = object_ref(node, desired)
    reads.add(ref)
    return await source.get(node.gvk, ref.name, ref.namespace or None)


async def read_collection(
    source: CachedReads,
    node: Node,
    identity: InstanceIdentity,
    desired: list[Obj],
    reads: set[Read],
) -> list[Obj | None]:
    """LIST a forEach node's objects by instance/node label in every namespace (one selector
    watch, so drift is seen in any namespace); the live object of each desired item, in order."""
    labels = {INSTANCE_ID_LABEL: identity.uid, NODE_ID_LABEL: node.id}
    reads.add(SelectorRef.of(node.gvk, labels))
    listed = source.instance_children(
        node.gvk, identity.uid, {NODE_ID_LABEL: node.id}, [object_ref(node, d) for d in desired]
    )
    if listed is None:
        selector = ",".join(f"{k}={v}" for k, v in labels.items())
        listed = (await source.client.list_all(node.gvk, namespace=None, label_selector=selector)).items
    by_identity = {_identity(o): o for o in listed}
    return [by_identity.get(_identity(d)) for d in desired]


async def read_external_collection(
    client: KubeClient, node: Node, reference: Obj, reads: set[Read]
) -> list[Obj]:
    """LIST what an external collection's selector matches, in its namespace or all namespaces.
    Raises ValueError for a malformed selector."""
    ref_meta = meta(reference)
    namespace = str(ref_meta.get("namespace") or "") or None
    selector, match_labels = label_selector(ref_meta.get("selector"))
    # The watch matches on matchLabels only: a superset of the selection, never a miss.
    reads.add(SelectorRef.of(node.gvk, match_labels, namespace))
    listed = await client.list_all(node.gvk, namespace=namespace, label_selector=selector or None)
    return listed.items


def plan_child(identity: InstanceIdentity, item: Applied, *, refuse_adoption: bool = False) -> bool:
    """Decide, without a request, whether `item` needs an apply. Refuses (sets `error`) an object
    that belongs to another instance's ApplySet, and, with `refuse_adoption`, one that no kro instance
    created; an up-to-date object keeps its live state as the result. Returns True when the item must
    go to the API (an apply, or an error to report)."""
    live = item.live
    if live is None:
        return True
    owner = (meta(live).get("labels") or {}).get(APPLYSET_PART_OF_LABEL)
    if not owner:  # kro labels everything it creates: this object was made by someone else
        namespace, name = _identity(item.desired)
        where = f"{namespace}/{name}" if namespace else name
        if refuse_adoption:
            item.error = (
                f"resource {item.node_id!r}: {item.gvk.kind} {where} already exists and no kro instance "
                'created it; the adoption policy "refuse" leaves it alone'
            )
            return True
        item.adopted = True
    if owner and owner != identity.applyset_id:
        namespace, name = _identity(item.desired)
        where = f"{namespace}/{name}" if namespace else name
        item.error = (
            f"resource {item.node_id!r}: resource belongs to a different ApplySet: {where} "
            f"({item.gvk}) belongs to ApplySet {owner!r}, cannot reassign to {identity.applyset_id!r}"
        )
        return True
    if up_to_date(live, item.desired, APPLYSET_MANAGER):
        item.result = live
        return False
    return True


async def apply_child(client: KubeClient, item: Applied) -> None:
    """SSA one planned child (`plan_child` said it is needed and found no conflict)."""
    if item.error is not None or item.result is not None:
        return
    live = item.live
    try:
        item.result = await client.apply(item.desired, field_manager=APPLYSET_MANAGER, force=True)
    except ApiError as exc:
        item.error = f"resource {item.node_id!r}: apply failed: {exc}"
        item.retryable = True
        return
    before = meta(live).get("resourceVersion") if live is not None else None
    item.changed = live is None or meta(item.result).get("resourceVersion") != before
