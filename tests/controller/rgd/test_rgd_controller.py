"""The RGD controller against the embedded API server (spec §6)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator

import pytest
import yaml

from pykro.api.conventions import OWNED_LABEL, RGD_ID_LABEL, RGD_NAME_LABEL
from pykro.api.rgd import parse_rgd
from pykro.controller.manager import ManagerOptions
from pykro.controller.revisions.compiler import error_message
from pykro.errors import PykroError
from pykro.graph import build_graph
from pykro.schema.gvk import GVK
from pykro.schema.registry import SchemaRegistry
from tests.controller.rgd.helpers import CM, CRD, EXAMPLES, RGD, Env, cluster, condition, simple_rgd, wait_for

APP = GVK("kro.run", "v1alpha1", "AppConfig")


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with cluster() as e:
        yield e


def _status(obj: dict[str, object]) -> dict[str, object]:
    status = obj.get("status")
    assert isinstance(status, dict)
    return status


async def test_rgd_becomes_active_with_crd_and_status(env: Env) -> None:
    doc = yaml.safe_load((EXAMPLES / "config-rollout" / "rgd.yaml").read_text())
    name = doc["metadata"]["name"]
    created = await env.client.create(doc)
    obj = await env.wait_active(name)

    graph = build_graph(parse_rgd(obj), SchemaRegistry())
    status = _status(obj)
    assert status["topologicalOrder"] == list(graph.topological_order)
    assert status["resources"] == graph.status_resources()
    assert status["resources"] and all(r["dependencies"] for r in status["resources"])  # type: ignore[union-attr]
    types = [c["type"] for c in status["conditions"]]  # type: ignore[union-attr]
    assert types[-1] == "Ready" and set(types) == {
        "GraphRevisionsResolved",
        "GraphAccepted",
        "KindReady",
        "ControllerReady",
        "Ready",
    }
    for kind in types:
        c = condition(obj, kind)
        assert c["status"] == "True" and c["observedGeneration"] == 1, c
    assert "kro.run/finalizer" in obj["metadata"]["finalizers"]

    crd = await env.client.get(CRD, str(graph.crd["metadata"]["name"]))
    labels = crd["metadata"]["labels"]
    assert labels[OWNED_LABEL] == "true"
    assert labels[RGD_NAME_LABEL] == name
    assert labels[RGD_ID_LABEL] == created["metadata"]["uid"]
    assert any(c["type"] == "Established" and c["status"] == "True" for c in crd["status"]["conditions"])


async def test_instances_are_served(env: Env) -> None:
    await env.client.create(simple_rgd())
    await env.wait_active("app-config")
    await env.client.create(
        {
            "apiVersion": "kro.run/v1alpha1",
            "kind": "AppConfig",
            "metadata": {"name": "one", "namespace": "default"},
            "spec": {"value": "v1"},
        }
    )
    cm = await wait_for(lambda: env.client.get(CM, "one-cm", namespace="default"), what="ConfigMap one-cm")
    assert cm["data"] == {"value": "v1"}


async def test_invalid_rgd_is_inactive_with_the_compile_error(env: Env) -> None:
    doc = simple_rgd(data="${schema.spec.missing}")
    with pytest.raises(PykroError) as compile_error:
        build_graph(parse_rgd(doc), SchemaRegistry())
    await env.client.create(doc)
    obj = await env.wait_rgd("app-config", lambda o: condition(o, "GraphAccepted").get("status") == "False")
    accepted = condition(obj, "GraphAccepted")
    assert accepted["reason"] == "InvalidResourceGraph"
    assert accepted["message"] == error_message(compile_error.value)
    assert _status(obj)["state"] == "Inactive"
    assert condition(obj, "Ready")["status"] == "False"
    assert not await env.exists(CRD, "appconfigs.kro.run")


async def test_invalid_update_keeps_serving_the_last_good_graph(env: Env) -> None:
    await env.client.create(simple_rgd())
    good = await env.wait_active("app-config")
    bad = copy.deepcopy(good)
    bad["spec"]["resources"][0]["template"]["data"]["value"] = "${schema.spec.missing}"
    await env.client.replace(bad)
    obj = await env.wait_rgd(
        "app-config",
        lambda o: (
            condition(o, "GraphAccepted").get("observedGeneration") == 2
            and condition(o, "GraphAccepted")["status"] == "False"
        ),
    )
    assert _status(obj)["state"] == "Inactive"
    # As upstream: every condition speaks for the new generation, the revisions' one included.
    assert {c["type"]: c.get("observedGeneration") for c in _status(obj)["conditions"]} == {
        "GraphRevisionsResolved": 2,
        "GraphAccepted": 2,
        "KindReady": 2,
        "ControllerReady": 2,
        "Ready": 2,
    }
    serving = condition(obj, "ControllerReady")
    assert (
        serving["status"] == "True"
        and "last accepted graph (generation 1, revision 1) keeps serving" in serving["message"]
    )
    assert _status(obj)["topologicalOrder"] == ["cm"]
    # The generation-1 graph still serves new instances.
    await env.client.create(
        {
            "apiVersion": "kro.run/v1alpha1",
            "kind": "AppConfig",
            "metadata": {"name": "late", "namespace": "default"},
            "spec": {"value": "still"},
        }
    )
    cm = await wait_for(lambda: env.client.get(CM, "late-cm", namespace="default"), what="ConfigMap late-cm")
    assert cm["data"] == {"value": "still"}

    fixed = await env.rgd("app-config")
    fixed["spec"]["resources"][0]["template"]["data"]["value"] = "fixed-${schema.spec.value}"
    await env.client.replace(fixed)
    obj = await env.wait_rgd(
        "app-config",
        lambda o: (
            condition(o, "Ready").get("observedGeneration") == 3 and condition(o, "Ready")["status"] == "True"
        ),
    )
    assert _status(obj)["state"] == "Active" and _status(obj)["lastIssuedRevision"] == 2
    assert condition(obj, "ControllerReady")["message"] == "controller is running"


async def test_second_rgd_for_the_same_kind_is_refused(env: Env) -> None:
    await env.client.create(simple_rgd("first"))
    await env.wait_active("first")
    await env.client.create(simple_rgd("second"))
    obj = await env.wait_rgd("second", lambda o: condition(o, "KindReady").get("status") == "False")
    assert condition(obj, "KindReady")["message"] == "CRD is owned by another ResourceGraphDefinition first"
    assert _status(obj)["state"] == "Inactive"
    crd = await env.client.get(CRD, "appconfigs.kro.run")
    assert crd["metadata"]["labels"][RGD_NAME_LABEL] == "first"


async def test_status_is_written_only_when_it_changes(env: Env) -> None:
    await env.client.create(simple_rgd())
    obj = await env.wait_active("app-config")
    assert env.manager is not None
    registry = env.manager.registry
    labels = {"name": "resourcegraphdefinition", "result": "done"}

    def reconciled() -> float:
        return registry.get_sample_value("controller_reconcile_total", labels) or 0.0

    def patches() -> float:  # no instances exist, so every PATCH would be the RGD's status
        return (
            registry.get_sample_value("rest_client_requests_total", {"verb": "PATCH", "code": "200"}) or 0.0
        )

    patched = patches()
    for _ in range(3):
        before = reconciled()
        env.manager.rgds.controller.enqueue("app-config")

        async def ran(before: float = before) -> bool:
            return reconciled() > before

        await wait_for(ran, what="a reconcile of the unchanged RGD")
    assert patches() == patched, "an unchanged status is not written"
    again = await env.rgd("app-config")
    assert again["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]


async def test_rgd_using_another_rgds_kind_becomes_active_once_that_kind_exists(env: Env) -> None:
    composite = simple_rgd("composite", "Composite")
    composite["spec"]["resources"] = [
        {
            "id": "inner",
            "template": {
                "apiVersion": "kro.run/v1alpha1",
                "kind": "AppConfig",
                "metadata": {"name": "${schema.metadata.name}-inner"},
                "spec": {"value": "${schema.spec.value}"},
            },
        }
    ]
    composite["spec"]["schema"]["status"] = {"innerCm": "${inner.status.cmName}"}
    await env.client.create(composite)
    await env.wait_rgd("composite", lambda o: condition(o, "GraphAccepted").get("status") == "False")
    await env.client.create(simple_rgd())
    await env.wait_active("composite", timeout=15)


async def test_deleting_an_rgd_keeps_its_crd_by_default(env: Env) -> None:
    await env.client.create(simple_rgd())
    await env.wait_active("app-config")
    await env.client.delete(RGD, "app-config")
    await env.wait_gone(RGD, "app-config")
    assert await env.exists(CRD, "appconfigs.kro.run")
    assert env.manager is not None and env.manager.rgds.served("app-config") is None


async def test_crd_deletion_waits_for_instances_when_allowed() -> None:
    async with cluster(ManagerOptions(allow_crd_deletion=True, requeue_interval=0.5)) as env:
        await env.client.create(simple_rgd())
        await env.wait_active("app-config")
        await env.client.create(
            {
                "apiVersion": "kro.run/v1alpha1",
                "kind": "AppConfig",
                "metadata": {"name": "one", "namespace": "default"},
                "spec": {"value": "a"},
            }
        )
        await wait_for(lambda: env.client.get(CM, "one-cm", namespace="default"), what="ConfigMap one-cm")
        await env.client.delete(RGD, "app-config")
        blocked = await env.wait_rgd(
            "app-config", lambda o: condition(o, "KindReady").get("reason") == "DeletionBlocked"
        )
        assert "instances still exist (1 AppConfig)" in condition(blocked, "KindReady")["message"]
        assert "kro.run/finalizer" in blocked["metadata"]["finalizers"]
        assert await env.exists(CRD, "appconfigs.kro.run")

        await env.client.delete(APP, "one", namespace="default")  # still served: its finalizer is handled
        await env.wait_gone(APP, "one", "default")
        await env.wait_gone(RGD, "app-config", timeout=15)
        await env.wait_gone(CRD, "appconfigs.kro.run")


async def test_a_deleted_instance_crd_is_recreated(env: Env) -> None:
    await env.client.create(simple_rgd())
    await env.wait_active("app-config")
    before = await env.client.get(CRD, "appconfigs.kro.run")
    await env.client.delete(CRD, "appconfigs.kro.run")

    async def recreated() -> bool:
        crd = await env.client.get(CRD, "appconfigs.kro.run")
        return bool(
            crd["metadata"]["uid"] != before["metadata"]["uid"]
            and not crd["metadata"].get("deletionTimestamp")
        )

    await wait_for(recreated, what="the CRD to be recreated")


async def test_stripped_ownership_labels_are_put_back(env: Env) -> None:
    created = await env.client.create(simple_rgd())
    await env.wait_active("app-config")
    await env.client.patch(CRD, "appconfigs.kro.run", {"metadata": {"labels": {RGD_ID_LABEL: None}}})

    async def repaired() -> bool:
        crd = await env.client.get(CRD, "appconfigs.kro.run")
        return bool(crd["metadata"]["labels"].get(RGD_ID_LABEL) == created["metadata"]["uid"])

    await wait_for(repaired, what="the rgd-id label to be restored")
