"""When a child may be left alone: live already has every desired value and we own nothing extra."""

from __future__ import annotations

from typing import Any

from pykro.api.conventions import APPLYSET_MANAGER
from pykro.controller.instance.fields import up_to_date


def live_with(owned: dict[str, Any], **body: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "c",
            "labels": {"a": "1", "b": "2"},
            "managedFields": [
                {"manager": APPLYSET_MANAGER, "operation": "Apply", "fieldsV1": owned},
                {"manager": "someone", "operation": "Update", "fieldsV1": {"f:data": {}}},
            ],
        },
        **body,
    }


def desired(**body: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "1"}}, **body}


OWNED_A = {"f:metadata": {"f:labels": {"f:a": {}}}, "f:data": {"f:x": {}}}


def test_unchanged_object_is_up_to_date() -> None:
    assert up_to_date(
        live_with(OWNED_A, data={"x": "1", "other": "z"}), desired(data={"x": "1"}), APPLYSET_MANAGER
    )


def test_changed_value_needs_apply() -> None:
    assert not up_to_date(live_with(OWNED_A, data={"x": "1"}), desired(data={"x": "2"}), APPLYSET_MANAGER)


def test_field_dropped_from_template_needs_apply_to_remove_it() -> None:
    owned = {"f:metadata": {"f:labels": {"f:a": {}, "f:b": {}}}, "f:data": {"f:x": {}}}
    assert not up_to_date(live_with(owned, data={"x": "1"}), desired(data={"x": "1"}), APPLYSET_MANAGER)


def test_fewer_list_items_than_owned_needs_apply() -> None:
    owned: dict[str, Any] = {"f:spec": {"f:ports": {'k:{"port":1}': {}, 'k:{"port":2}': {}}}}
    live = {
        "metadata": {
            "managedFields": [{"manager": APPLYSET_MANAGER, "operation": "Apply", "fieldsV1": owned}]
        },
        "spec": {"ports": [{"port": 1}]},
    }
    assert not up_to_date(live, {"spec": {"ports": [{"port": 1}]}}, APPLYSET_MANAGER)
