"""Event routing helpers (pure: events are built directly)."""

from __future__ import annotations

from typing import Any

from pykro.schema.gvk import GVK
from pykro.toolkit import (
    InformerEvent,
    ObjectRef,
    SelectorRef,
    enqueue_label,
    enqueue_owners,
    filtered,
    generation_changed,
)

DEPLOY = GVK("apps", "v1", "Deployment")
WEBAPP = GVK("kro.run", "v1alpha1", "WebApp")
SUSPEND = "kro.run/suspend"


def obj(
    generation: int = 1,
    *,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    owners: list[dict[str, str]] | None = None,
    status: str = "",
) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "x",
            "namespace": "ns",
            "generation": generation,
            "labels": labels or {},
            "annotations": annotations or {},
            "ownerReferences": owners or [],
        },
        "status": {"state": status},
    }


def test_generation_predicate_ignores_status_and_label_writes() -> None:
    assert generation_changed(InformerEvent("ADDED", obj()))
    assert generation_changed(InformerEvent("DELETED", obj(), obj()))
    assert not generation_changed(InformerEvent("MODIFIED", obj(status="ACTIVE"), obj()))
    assert not generation_changed(InformerEvent("MODIFIED", obj(labels={"a": "b"}), obj()))
    assert generation_changed(InformerEvent("MODIFIED", obj(2), obj(1)))
    toggled = InformerEvent("MODIFIED", obj(annotations={SUSPEND: "true"}), obj())
    assert not generation_changed(toggled)
    assert generation_changed(toggled, lambda o: (o["metadata"].get("annotations") or {}).get(SUSPEND))
    deleting = obj()
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert generation_changed(InformerEvent("MODIFIED", deleting, obj()))


def test_filtered_handler_only_sees_accepted_events() -> None:
    seen: list[str] = []
    handler = filtered(lambda e: seen.append(e.type), generation_changed)
    handler(InformerEvent("MODIFIED", obj(status="x"), obj()))
    handler(InformerEvent("MODIFIED", obj(3), obj(2)))
    assert seen == ["MODIFIED"]


def test_owner_routing_uses_old_and_new_owners() -> None:
    got: list[ObjectRef] = []
    handler = enqueue_owners(got.append, WEBAPP)
    mine = {"apiVersion": "kro.run/v1alpha1", "kind": "WebApp", "name": "web", "uid": "1"}
    other = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "2"}
    previous = {"apiVersion": "kro.run/v1alpha1", "kind": "WebApp", "name": "old-web", "uid": "3"}
    handler(InformerEvent("MODIFIED", obj(owners=[mine, other]), obj(owners=[previous])))
    assert sorted(got) == [ObjectRef(WEBAPP, "ns", "old-web"), ObjectRef(WEBAPP, "ns", "web")]


def test_label_routing_dedupes_values() -> None:
    got: list[str] = []
    handler = enqueue_label(got.append, "kro.run/instance-id")
    handler(
        InformerEvent(
            "MODIFIED", obj(labels={"kro.run/instance-id": "a"}), obj(labels={"kro.run/instance-id": "a"})
        )
    )
    handler(InformerEvent("ADDED", obj(labels={"other": "b"})))
    assert got == ["a"]


def test_selector_ref_matches_namespace_and_labels() -> None:
    sel = SelectorRef.of(DEPLOY, {"app": "web", "tier": "front"}, "ns")
    assert sel.matches(obj(labels={"app": "web", "tier": "front", "extra": "1"}))
    assert not sel.matches(obj(labels={"app": "web"}))
    anywhere = SelectorRef.of(DEPLOY, {"app": "web"})
    elsewhere = obj(labels={"app": "web"})
    elsewhere["metadata"]["namespace"] = "other"
    assert anywhere.matches(elsewhere) and not SelectorRef.of(DEPLOY, {"app": "web"}, "ns").matches(elsewhere)
