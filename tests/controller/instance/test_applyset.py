import base64
import hashlib

import pytest

from pykro.api.conventions import (
    APPLYSET_GROUP_KINDS_ANNOTATION,
    APPLYSET_ID_LABEL,
    APPLYSET_INVENTORY_HASH_ANNOTATION,
    applyset_id,
)
from pykro.controller.instance.applyset import InvalidInventory, Inventory, group_kind_string, read_inventory


def test_applyset_id_is_sha256_of_parent_identity() -> None:
    digest = hashlib.sha256(b"web.default.WebApp.kro.run").digest()
    expected = "applyset-" + base64.urlsafe_b64encode(digest).decode().rstrip("=") + "-v1"
    assert applyset_id("web", "default", "WebApp", "kro.run") == expected
    assert applyset_id("web", "other", "WebApp", "kro.run") != expected


def test_group_kind_string_omits_core_group() -> None:
    assert group_kind_string("", "ConfigMap") == "ConfigMap"
    assert group_kind_string("apps", "Deployment") == "Deployment.apps"


def test_inventory_round_trips_and_excludes_parent_namespace() -> None:
    set_id = applyset_id("a", "ns", "K", "g")
    inv = Inventory.of({"Deployment.apps", "ConfigMap"}, {"ns", "other", ""}, "ns")
    annotations = inv.annotations(set_id)
    assert annotations[APPLYSET_GROUP_KINDS_ANNOTATION] == "ConfigMap,Deployment.apps"
    assert read_inventory(set_id, {APPLYSET_ID_LABEL: set_id}, annotations) == Inventory(
        frozenset({"ConfigMap", "Deployment.apps"}), frozenset({"other"})
    )


def test_missing_inventory_is_none_and_tampered_one_is_rejected() -> None:
    set_id = applyset_id("a", "ns", "K", "g")
    assert read_inventory(set_id, {}, {}) is None
    annotations = Inventory.of({"ConfigMap"}, (), "ns").annotations(set_id)
    tampered = {**annotations, APPLYSET_GROUP_KINDS_ANNOTATION: "Secret"}
    with pytest.raises(InvalidInventory, match="hash"):
        read_inventory(set_id, {APPLYSET_ID_LABEL: set_id}, tampered)
    with pytest.raises(InvalidInventory, match="id label"):
        read_inventory(set_id, {APPLYSET_ID_LABEL: "applyset-other-v1"}, annotations)
    assert APPLYSET_INVENTORY_HASH_ANNOTATION in annotations


def test_inventory_covers_is_a_superset_check_on_kinds_and_namespaces() -> None:
    recorded = Inventory(frozenset({"ConfigMap", "Deployment.apps"}), frozenset({"team-a"}))
    assert recorded.covers(Inventory(frozenset({"ConfigMap"}), frozenset()))
    assert recorded.covers(recorded)
    assert not recorded.covers(Inventory(frozenset({"Secret"}), frozenset()))
    assert not recorded.covers(Inventory(frozenset({"ConfigMap"}), frozenset({"team-b"})))
    wider = recorded.union(Inventory(frozenset({"Secret"}), frozenset({"team-b"})))
    assert wider.covers(recorded) and not recorded.covers(wider)
