"""An RGD of 500 resources is admitted by the embedded server (its CRD's rules are linear, as
upstream's) and compiles to Active; duplicate ids are the graph builder's error, as in kro."""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

import pytest
import yaml

from tests.controller.rgd.helpers import cluster, condition, simple_rgd

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

RESOURCE_COUNT = 500


def many_resources_rgd(count: int) -> dict[str, Any]:
    rgd = simple_rgd(name="many", kind="Many")
    template = rgd["spec"]["resources"][0]["template"]
    rgd["spec"]["resources"] = [
        {
            "id": f"cm{i}",
            "template": {
                **template,
                "metadata": {"name": f"${{schema.metadata.name}}-{i}"},
            },
        }
        for i in range(count)
    ]
    rgd["spec"]["schema"]["status"] = {"cmName": "${cm0.metadata.name}"}
    return rgd


async def _kubectl_apply(kubeconfig: Any, manifest: dict[str, Any]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        "kubectl",
        "--kubeconfig",
        str(kubeconfig),
        "apply",
        "--server-side",
        "-f",
        "-",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(yaml.safe_dump(manifest).encode()), timeout=120)
    return proc.returncode or 0, out.decode()


async def test_an_rgd_of_500_resources_is_admitted_and_goes_active() -> None:
    async with cluster() as env:
        code, out = await _kubectl_apply(env.kubeconfig, many_resources_rgd(RESOURCE_COUNT))
        assert code == 0, out
        active = await env.wait_active("many", timeout=120)
        assert len(active["status"]["topologicalOrder"]) == RESOURCE_COUNT


async def test_duplicate_ids_are_reported_by_the_graph_builder() -> None:
    rgd = many_resources_rgd(3)
    rgd["spec"]["resources"][2]["id"] = "cm1"
    async with cluster() as env:
        code, out = await _kubectl_apply(env.kubeconfig, rgd)
        assert code == 0, out
        found = await env.wait_rgd(
            "many",
            lambda o: (
                "duplicate" in condition(o, "Ready").get("message", "")
                or "duplicate" in str((o.get("status") or {}).get("conditions"))
            ),
            timeout=30,
            what="the duplicate-id error",
        )
        assert found["status"]["state"] == "Inactive"
        assert "found duplicate resource IDs cm1" in str(found["status"]["conditions"])
