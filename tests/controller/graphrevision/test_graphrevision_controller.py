"""The GraphRevision CRD and controller against the embedded API server (spec §1.2, §6.6)."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
from collections.abc import AsyncIterator

import pytest
import yaml

from pykro.api.crd import graph_revision_crd_manifest
from pykro.controller.revisions.naming import GRAPH_REVISION
from pykro.controller.revisions.registry import ACTIVE
from pykro.kube.errors import ApiError
from tests.controller.rgd.helpers import CRD, REPO, Env, cluster, condition, simple_rgd, wait_for


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with cluster() as e:
        yield e


async def _revision(env: Env, name: str) -> dict[str, object]:
    async def verified() -> dict[str, object] | None:
        obj = await env.client.get(GRAPH_REVISION, name)
        return obj if condition(obj, "GraphVerified") else None

    return await wait_for(verified, what=f"GraphRevision {name} to be compiled")


async def test_the_manager_installs_the_graph_revision_crd(env: Env) -> None:
    crd = await env.client.get(CRD, "graphrevisions.internal.kro.run")
    assert crd["spec"]["names"]["shortNames"] == ["gr"] and crd["spec"]["scope"] == "Cluster"
    wanted = graph_revision_crd_manifest()["spec"]["versions"][0]
    version = crd["spec"]["versions"][0]
    assert version["subresources"] == {"status": {}}
    assert [c["name"] for c in version["additionalPrinterColumns"]] == [
        "RGD",
        "REVISION",
        "HASH",
        "READY",
        "AGE",
    ]
    assert version["schema"] == wanted["schema"]


async def test_a_revision_compiles_to_verified_status(env: Env) -> None:
    await env.client.create(simple_rgd())
    gr = await _revision(env, "app-config-r00001")
    verified = condition(gr, "GraphVerified")
    assert (verified["status"], verified["reason"], verified["message"]) == (
        "True",
        "Verified",
        "graph revision compiled and verified",
    )
    assert condition(gr, "Ready")["status"] == "True"
    assert gr["status"]["topologicalOrder"] == ["cm"]  # type: ignore[index]
    assert "kro.run/finalizer" in gr["metadata"]["finalizers"]  # type: ignore[index]
    assert env.manager is not None
    entry = env.manager.revisions.get("app-config", 1)
    assert entry is not None and entry.state == ACTIVE and entry.graph is not None
    assert list(entry.graph.topological_order) == gr["status"]["topologicalOrder"]  # type: ignore[index]


async def test_revision_spec_is_immutable(env: Env) -> None:
    await env.client.create(simple_rgd())
    await _revision(env, "app-config-r00001")
    with pytest.raises(ApiError) as refused:
        await env.client.patch(GRAPH_REVISION, "app-config-r00001", {"spec": {"revision": 9}})
    assert "spec is immutable" in str(refused.value)
    # Status and metadata stay writable.
    patched = await env.client.patch(
        GRAPH_REVISION, "app-config-r00001", {"metadata": {"labels": {"team": "a"}}}
    )
    assert patched["metadata"]["labels"]["team"] == "a" and patched["spec"]["revision"] == 1


async def test_a_revision_that_does_not_compile_is_failed(env: Env) -> None:
    bad = simple_rgd(name="orphan", data="${schema.spec.missing}")
    await env.client.create(
        {
            "apiVersion": "internal.kro.run/v1alpha1",
            "kind": "GraphRevision",
            "metadata": {"name": "orphan-r00001"},
            "spec": {"revision": 1, "snapshot": {"name": "orphan", "generation": 1, "spec": bad["spec"]}},
        }
    )
    gr = await _revision(env, "orphan-r00001")
    verified = condition(gr, "GraphVerified")
    assert verified["status"] == "False" and verified["reason"] == "InvalidGraph"
    assert "missing" in verified["message"]
    assert "topologicalOrder" not in gr["status"]  # type: ignore[operator]
    assert env.manager is not None
    entry = env.manager.revisions.get("orphan", 1)
    assert entry is not None and entry.state == "Failed" and entry.error == verified["message"]

    await env.client.delete(GRAPH_REVISION, "orphan-r00001")
    await env.wait_gone(GRAPH_REVISION, "orphan-r00001")  # the controller let go of its finalizer
    assert env.manager.revisions.get("orphan", 1) is None


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
async def test_kubectl_lists_revisions_by_short_name_with_columns(env: Env) -> None:
    await env.client.create(simple_rgd())
    await _revision(env, "app-config-r00001")
    proc = await asyncio.create_subprocess_exec(
        "kubectl",
        "get",
        "gr",
        "-o",
        "wide",
        env={**os.environ, "KUBECONFIG": str(env.kubeconfig)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    lines = out.decode().splitlines()
    assert lines[0].split() == ["NAME", "RGD", "REVISION", "HASH", "READY", "AGE"], out
    name, rgd, revision, digest, ready = lines[1].split()[:5]
    assert (name, rgd, revision, ready) == ("app-config-r00001", "app-config", "1", "True")
    assert len(digest) == 16


def test_deploy_manifest_matches_the_code() -> None:
    spec = importlib.util.spec_from_file_location("deploy_generate", REPO / "deploy" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (REPO / "deploy" / "01-graphrevision-crd.yaml").read_text()
    assert text == module.render_graph_revision(), "stale: run `.venv/bin/python deploy/generate.py`"
    assert yaml.safe_load(text) == graph_revision_crd_manifest()
