"""GraphRevisions issued and served by the RGD controller (spec §1.2, §6.2, §6.6)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from pykro.api.conventions import GRAPH_REVISION_HASH_LABEL, OWNED_LABEL, RGD_NAME_LABEL
from pykro.api.rgd import parse_rgd
from pykro.controller.manager import Manager, ManagerOptions
from pykro.controller.revisions.naming import GRAPH_REVISION
from pykro.graph import spec_hash
from tests.controller.rgd.helpers import CM, RGD, Env, cluster, condition, simple_rgd, wait_for


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with cluster() as e:
        yield e


async def revisions(env: Env, rgd: str) -> list[dict[str, Any]]:
    page = await env.client.list(GRAPH_REVISION, field_selector=f"spec.snapshot.name={rgd}")
    return sorted(page.items, key=lambda r: int(r["spec"]["revision"]))


async def revision_numbers(env: Env, rgd: str) -> list[int]:
    return [int(r["spec"]["revision"]) for r in await revisions(env, rgd)]


async def wait_ready(env: Env, name: str, generation: int) -> dict[str, Any]:
    """Ready=True for `generation`: the latest revision is Active and served."""
    return await env.wait_rgd(
        name,
        lambda o: (
            condition(o, "Ready").get("status") == "True"
            and condition(o, "Ready").get("observedGeneration") == generation
        ),
        what=f"Ready at generation {generation}",
    )


async def update(env: Env, name: str, edit: Any) -> int:
    obj = await env.rgd(name)
    edit(obj)
    return int((await env.client.replace(obj))["metadata"]["generation"])


def set_value(template: str) -> Any:
    def edit(obj: dict[str, Any]) -> None:
        obj["spec"]["resources"][0]["template"]["data"]["value"] = template

    return edit


async def make_instance(env: Env, name: str) -> dict[str, Any]:
    await env.client.create(
        {
            "apiVersion": "kro.run/v1alpha1",
            "kind": "AppConfig",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"value": name},
        }
    )
    return await wait_for(
        lambda: env.client.get(CM, f"{name}-cm", namespace="default"), what=f"ConfigMap {name}-cm"
    )


async def test_the_first_revision_is_issued_owned_and_served(env: Env) -> None:
    created = await env.client.create(simple_rgd())
    obj = await wait_ready(env, "app-config", 1)
    [gr] = await revisions(env, "app-config")
    meta = gr["metadata"]
    assert meta["name"] == "app-config-r00001"
    assert meta["labels"][OWNED_LABEL] == "true" and meta["labels"][RGD_NAME_LABEL] == "app-config"
    assert meta["labels"][GRAPH_REVISION_HASH_LABEL] == spec_hash(parse_rgd(obj).spec)
    assert meta["labels"]["kro.run/kro-version"]
    assert meta["finalizers"] == ["kro.run/finalizer"]
    [owner] = meta["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
        "ResourceGraphDefinition",
        "app-config",
        created["metadata"]["uid"],
        True,
    )
    assert gr["spec"] == {
        "revision": 1,
        "snapshot": {"name": "app-config", "generation": 1, "spec": obj["spec"]},
    }
    assert condition(gr, "GraphVerified")["status"] == "True"

    resolved = condition(obj, "GraphRevisionsResolved")
    assert (resolved["status"], resolved["message"]) == ("True", "revision 1 compiled and active")
    assert obj["status"]["lastIssuedRevision"] == 1 and obj["status"]["state"] == "Active"
    assert obj["metadata"]["finalizers"] == ["kro.run/finalizer"]
    assert env.manager is not None
    served = env.manager.rgds.served("app-config")
    assert served is not None and served.revision == 1
    await make_instance(env, "one")


async def test_cosmetic_reordering_issues_no_revision_but_a_real_change_does(env: Env) -> None:
    doc = simple_rgd()
    doc["spec"]["resources"].append(
        {
            "id": "extra",
            "readyWhen": ["${true}", "${1 == 1}"],
            "template": {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "${schema.metadata.name}-extra"},
            },
        }
    )
    await env.client.create(doc)
    await wait_ready(env, "app-config", 1)

    def reorder(obj: dict[str, Any]) -> None:
        obj["spec"]["resources"].reverse()
        obj["spec"]["resources"][0]["readyWhen"].reverse()

    generation = await update(env, "app-config", reorder)
    assert generation == 2
    obj = await wait_ready(env, "app-config", 2)
    assert await revision_numbers(env, "app-config") == [1]
    assert obj["status"]["lastIssuedRevision"] == 1

    generation = await update(
        env,
        "app-config",
        lambda o: o["spec"]["resources"][1]["template"].update(
            data={"value": "changed-${schema.spec.value}"}
        ),
    )
    obj = await wait_ready(env, "app-config", generation)
    assert await revision_numbers(env, "app-config") == [1, 2]
    assert obj["status"]["lastIssuedRevision"] == 2
    assert condition(obj, "GraphRevisionsResolved")["message"] == "revision 2 compiled and active"
    assert (await make_instance(env, "two"))["data"] == {"value": "changed-two"}


async def test_an_invalid_update_issues_nothing_and_the_old_revision_keeps_serving(env: Env) -> None:
    await env.client.create(simple_rgd())
    await wait_ready(env, "app-config", 1)
    await update(env, "app-config", set_value("${schema.spec.missing}"))
    obj = await env.wait_rgd(
        "app-config",
        lambda o: (
            condition(o, "GraphAccepted").get("observedGeneration") == 2
            and condition(o, "GraphAccepted")["status"] == "False"
        ),
    )
    assert condition(obj, "GraphAccepted")["reason"] == "InvalidResourceGraph"
    assert await revision_numbers(env, "app-config") == [1]
    assert (await make_instance(env, "late"))["data"] == {"value": "late"}


async def test_a_failed_latest_revision_is_reported_while_the_older_active_one_serves(env: Env) -> None:
    await env.client.create(simple_rgd())
    obj = await wait_ready(env, "app-config", 1)
    # A revision 2 of the current spec (same hash) whose snapshot does not compile, created by hand
    # and without an owner: the controller adopts it, and it must never be served.
    broken = copy.deepcopy(obj["spec"])
    broken["resources"][0]["template"]["data"]["value"] = "${schema.spec.missing}"
    await env.client.create(
        {
            "apiVersion": "internal.kro.run/v1alpha1",
            "kind": "GraphRevision",
            "metadata": {
                "name": "app-config-r00002",
                "labels": {GRAPH_REVISION_HASH_LABEL: spec_hash(parse_rgd(obj).spec)},
            },
            "spec": {"revision": 2, "snapshot": {"name": "app-config", "generation": 1, "spec": broken}},
        }
    )
    obj = await env.wait_rgd(
        "app-config", lambda o: condition(o, "GraphRevisionsResolved").get("status") == "False"
    )
    assert condition(obj, "GraphAccepted")["status"] == "False"
    assert condition(obj, "GraphAccepted")["message"] == "latest graph revision 2 failed compilation"
    assert obj["status"]["state"] == "Inactive" and obj["status"]["lastIssuedRevision"] == 2
    gr = await env.client.get(GRAPH_REVISION, "app-config-r00002")
    assert condition(gr, "GraphVerified")["reason"] == "InvalidGraph"
    assert [ref["uid"] for ref in gr["metadata"]["ownerReferences"]] == [obj["metadata"]["uid"]]
    assert env.manager is not None
    served = env.manager.rgds.served("app-config")
    assert served is not None and served.revision == 1
    assert (await make_instance(env, "still"))["data"] == {"value": "still"}

    generation = await update(env, "app-config", set_value("fixed-${schema.spec.value}"))
    obj = await wait_ready(env, "app-config", generation)
    assert await revision_numbers(env, "app-config") == [1, 2, 3]
    assert condition(obj, "GraphRevisionsResolved")["message"] == "revision 3 compiled and active"


async def test_only_the_newest_revisions_are_kept_and_numbering_never_goes_back(env: Env) -> None:
    await env.client.create(simple_rgd())
    await wait_ready(env, "app-config", 1)
    for i in range(6):
        generation = await update(env, "app-config", set_value(f"v{i}-${{schema.spec.value}}"))
        await wait_ready(env, "app-config", generation)

    async def collected() -> list[int] | None:
        numbers = await revision_numbers(env, "app-config")
        return numbers if numbers == [3, 4, 5, 6, 7] else None

    await wait_for(collected, what="revisions beyond the newest 5 to be deleted")
    assert env.manager is not None

    async def evicted() -> bool:
        return [e.revision for e in env.manager.revisions.entries("app-config")] == [3, 4, 5, 6, 7]  # type: ignore[union-attr]

    await wait_for(evicted, what="deleted revisions to leave the registry")
    assert (await env.rgd("app-config"))["status"]["lastIssuedRevision"] == 7

    # Even with every revision gone, the next one continues the numbering.
    for number in (3, 4, 5, 6, 7):
        await env.client.delete(GRAPH_REVISION, f"app-config-r{number:05d}")

    async def reissued() -> list[int] | None:
        numbers = await revision_numbers(env, "app-config")
        return numbers if numbers == [8] else None

    await wait_for(reissued, what="revision 8 to be issued", timeout=15)
    obj = await env.wait_rgd(
        "app-config",
        lambda o: condition(o, "GraphRevisionsResolved").get("message") == "revision 8 compiled and active",
        timeout=15,
    )
    assert obj["status"]["lastIssuedRevision"] == 8


async def test_deleting_the_rgd_collects_its_revisions(env: Env) -> None:
    await env.client.create(simple_rgd())
    await wait_ready(env, "app-config", 1)
    await env.client.delete(RGD, "app-config")
    await env.wait_gone(RGD, "app-config")
    await env.wait_gone(GRAPH_REVISION, "app-config-r00001")
    assert env.manager is not None

    async def evicted() -> bool:
        return env.manager.revisions.entries("app-config") == []  # type: ignore[union-attr]

    await wait_for(evicted, what="the registry to forget the revision")


def new_manager(env: Env) -> Manager:
    return Manager(env.server.kubeconfig_path, ManagerOptions(requeue_interval=0.5))


@asynccontextmanager
async def running(env: Env, manager: Manager) -> AsyncIterator[Manager]:
    """`manager` started as `env`'s controller, and stopped at the end (a restart is two of these)."""
    await manager.start()
    env.manager = manager
    try:
        yield manager
    finally:
        await manager.stop()


async def test_a_restart_leaves_an_unchanged_rgd_untouched() -> None:
    """A restarted controller compiles the existing revisions before it reconciles RGDs, so an RGD that
    did not change is not written: no flip through WaitingForGraphRevisionWarmup and back."""
    async with cluster(controller=False) as env:
        async with running(env, new_manager(env)):
            await env.client.create(simple_rgd())
            before = await wait_ready(env, "app-config", 1)
            assert (await make_instance(env, "before"))["data"] == {"value": "before"}

        second = new_manager(env)
        compile_revision = second.graph_revisions.compiler.compile

        async def slow_compile(rgd: Any) -> Any:  # a big RGD: the RGD controller would win the race
            await asyncio.sleep(1.0)
            return await compile_revision(rgd)

        second.graph_revisions.compiler.compile = slow_compile  # type: ignore[method-assign]
        async with running(env, second):
            assert second.revisions.get("app-config", 1) is not None  # compiled before the RGDs start

            async def settled() -> bool:
                queue = second.rgds.controller.queue
                served = second.rgds.served("app-config") is not None
                return served and not len(queue) and not queue.processing

            await wait_for(settled, what="the RGD to be served again")
            after = await env.rgd("app-config")
            assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
            assert after["status"] == before["status"]
            assert (await make_instance(env, "after"))["data"] == {"value": "after"}


async def test_after_a_restart_revisions_are_recompiled_and_numbering_continues() -> None:
    async with cluster(controller=False) as env:
        async with running(env, new_manager(env)):
            await env.client.create(simple_rgd())
            await wait_ready(env, "app-config", 1)
            generation = await update(env, "app-config", set_value("v2-${schema.spec.value}"))
            await wait_ready(env, "app-config", generation)

        async with running(env, new_manager(env)) as second:

            async def recompiled() -> bool:
                entries = second.revisions.entries("app-config")
                return [(e.revision, e.state) for e in entries] == [(1, "Active"), (2, "Active")]

            await wait_for(recompiled, what="both revisions to be compiled again")

            async def served() -> bool:
                current = second.rgds.served("app-config")
                return current is not None and current.revision == 2

            await wait_for(served, what="revision 2 to be served again")
            assert (await make_instance(env, "after"))["data"] == {"value": "v2-after"}

            generation = await update(env, "app-config", set_value("v3-${schema.spec.value}"))
            obj = await wait_ready(env, "app-config", generation)
            assert [r["metadata"]["name"] for r in await revisions(env, "app-config")] == [
                "app-config-r00001",
                "app-config-r00002",
                "app-config-r00003",
            ]
            assert obj["status"]["lastIssuedRevision"] == 3
