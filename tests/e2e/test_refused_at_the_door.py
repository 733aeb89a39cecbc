"""What can never work is refused when it is submitted, as a kro user meets it on the embedded server:
an RGD whose SimpleSchema default breaks its own constraints, and an instance name too long for the
kro.run/instance-name label every child carries."""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

import pytest

from tests.controller.rgd.helpers import cluster, condition, simple_rgd

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


async def _kubectl(kubeconfig: Any, *args: str, stdin: str = "") -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        "kubectl",
        "--kubeconfig",
        str(kubeconfig),
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(stdin.encode()), timeout=60)
    return proc.returncode or 0, out.decode()


async def test_a_default_breaking_its_constraints_leaves_the_rgd_inactive_with_the_servers_reason() -> None:
    rgd = simple_rgd()
    rgd["spec"]["schema"]["spec"]["replicas"] = "integer | minimum=10 default=5"
    async with cluster() as env:
        await env.client.create(rgd)
        found = await env.wait_rgd(
            "app-config",
            lambda o: "default: Invalid value" in condition(o, "Ready").get("message", ""),
            timeout=30,
            what="Ready=False with the server's refusal of the CRD",
        )
        assert found["status"]["state"] == "Inactive"
        message = " ".join(c.get("message", "") for c in found["status"]["conditions"])
        assert "properties[replicas].default: Invalid value: 5" in message, message
        assert "should be greater than or equal to 10" in message
        assert condition(found, "Ready")["status"] == "False"


async def test_instance_names_longer_than_63_characters_are_refused_by_the_crd() -> None:
    async with cluster() as env:
        await env.client.create(simple_rgd())
        await env.wait_active("app-config", timeout=30)

        def instance(name: str) -> str:
            return (
                "apiVersion: kro.run/v1alpha1\nkind: AppConfig\n"
                f"metadata: {{name: {name}, namespace: default}}\nspec: {{value: v}}\n"
            )

        code, out = await _kubectl(env.kubeconfig, "apply", "-f", "-", stdin=instance("a" * 64))
        assert code == 1
        assert "metadata.name must be no more than 63 characters" in out, out
        assert "kro.run/instance-name" in out
        code, out = await _kubectl(env.kubeconfig, "apply", "-f", "-", stdin=instance("b" * 63))
        assert code == 0, out
