"""Patch and apply against the real built-in schemas from the schema registry."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from pykro.apiserver.admission.defaults import apply_defaults
from pykro.apiserver.machinery.strategicmerge import apply_strategic_merge_patch
from pykro.apiserver.registry.apply import ApplyConflict, server_side_apply, update_managed_fields
from pykro.schema.gvk import GVK
from pykro.schema.registry import SchemaRegistry

DEPLOY = GVK("apps", "v1", "Deployment")


@pytest.fixture(scope="module")
def schema() -> Any:
    return SchemaRegistry().resolve(DEPLOY).schema


def config(image: str = "nginx:1.25", replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "main", "image": image, "ports": [{"containerPort": 8080, "name": "http"}]}
                    ]
                },
            },
        },
    }


def test_kubectl_create_then_client_side_apply_patch(schema: Any) -> None:
    created = apply_defaults(DEPLOY, config())
    created = update_managed_fields(None, created, "kubectl-client-side-apply", schema=schema, now="t0")
    ports = created["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"]["f:template"]["f:spec"][
        "f:containers"
    ]['k:{"name":"main"}']["f:ports"]
    assert 'k:{"containerPort":8080,"protocol":"TCP"}' in ports
    patch = {
        "metadata": {
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(config())}
        },
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "main"}],
                    "containers": [{"image": "nginx:1.26", "name": "main"}],
                }
            }
        },
    }
    patched = apply_strategic_merge_patch(created, patch, schema)
    container = patched["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.26" and container["imagePullPolicy"] == "IfNotPresent"
    updated = update_managed_fields(created, patched, "kubectl-client-side-apply", schema=schema, now="t1")
    assert len(updated["metadata"]["managedFields"]) == 1


def test_kro_apply_conflicts_with_kubectl_and_force_wins(schema: Any) -> None:
    created = update_managed_fields(
        None, apply_defaults(DEPLOY, config()), "kubectl-client-side-apply", schema=schema, now="t0"
    )
    with pytest.raises(ApplyConflict) as info:
        server_side_apply(
            created, config(replicas=3), manager="kro.run/applyset", force=False, schema=schema, now="t1"
        )
    assert str(info.value) == (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using '
        "apps/v1: .spec.replicas"
    )
    forced = server_side_apply(
        created, config(replicas=3), manager="kro.run/applyset", force=True, schema=schema, now="t1"
    )
    assert forced.changed and forced.obj["spec"]["replicas"] == 3
    again = server_side_apply(
        forced.obj, config(replicas=3), manager="kro.run/applyset", force=True, schema=schema, now="t2"
    )
    assert not again.changed and again.obj == forced.obj


def test_apply_on_defaulted_live_is_noop(schema: Any) -> None:
    first = server_side_apply(None, config(), manager="kro", force=True, schema=schema, now="t0").obj
    live = apply_defaults(DEPLOY, first)
    second = server_side_apply(live, config(), manager="kro", force=True, schema=schema, now="t1")
    assert not second.changed
    dropped = copy.deepcopy(config())
    del dropped["spec"]["template"]["spec"]["containers"][0]["ports"]
    third = server_side_apply(live, dropped, manager="kro", force=True, schema=schema, now="t1").obj
    assert "ports" not in third["spec"]["template"]["spec"]["containers"][0]
    assert third["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
