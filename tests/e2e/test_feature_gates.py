"""kro's feature gates as a user meets them: `--feature-gates` on the command line, and omit() end to
end on the embedded server with the CELOmitFunction gate on and off."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

from pykro.controller.features import FeatureGates, parse_feature_gates
from pykro.controller.manager import ManagerOptions
from pykro.errors import PykroError
from pykro.schema.gvk import GVK
from tests.controller.rgd.helpers import Env, cluster, condition, wait_for

NOTE = GVK("kro.run", "v1alpha1", "OmitNote")
CM = GVK("", "v1", "ConfigMap")
DEPLOYMENT = GVK("apps", "v1", "Deployment")

RGD: dict[str, Any] = {
    "apiVersion": "kro.run/v1alpha1",
    "kind": "ResourceGraphDefinition",
    "metadata": {"name": "omitnotes.kro.run"},
    "spec": {
        "schema": {
            "apiVersion": "v1alpha1",
            "kind": "OmitNote",
            "spec": {"owner": 'string | default=""', "flag": 'string | default=""'},
        },
        "resources": [
            {
                "id": "cm",
                "template": {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "${schema.metadata.name}-note"},
                    "data": {
                        "always": "here",
                        "owner": "${schema.spec.owner == '' ? omit() : schema.spec.owner}",
                    },
                },
            },
            {
                "id": "deploy",
                "template": {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": "${schema.metadata.name}"},
                    "spec": {
                        "selector": {"matchLabels": {"app": "${schema.metadata.name}"}},
                        "template": {
                            "metadata": {"labels": {"app": "${schema.metadata.name}"}},
                            "spec": {
                                "containers": [
                                    {
                                        "name": "app",
                                        "image": "nginx",
                                        "args": [
                                            "serve",
                                            "${schema.spec.flag == '' ? omit() : schema.spec.flag}",
                                        ],
                                    }
                                ]
                            },
                        },
                    },
                },
            },
        ],
    },
}


def test_gates_parse_as_upstreams_flag() -> None:
    assert parse_feature_gates("") == FeatureGates()
    assert parse_feature_gates("CELOmitFunction=true, InstanceConditionEvents=false").CELOmitFunction
    assert parse_feature_gates("CELOmitFunction=TRUE").enabled() == ["CELOmitFunction"]
    for bad, fragment in (("Nope=true", "unrecognized feature gate: Nope"), ("CELOmitFunction", "want true")):
        with pytest.raises(PykroError, match=fragment):
            parse_feature_gates(bad)


@pytest.mark.parametrize("command", ["run", "up"])
def test_unknown_gate_is_a_one_line_error(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pykro.cli.main", command, "--feature-gates", "Bogus=true"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "error: --feature-gates: unrecognized feature gate: Bogus "
        "(known: CELOmitFunction, InstanceConditionEvents, InstanceConditionMetrics)"
    ]


@pytest.fixture
async def gated() -> AsyncIterator[Env]:
    options = ManagerOptions(requeue_interval=0.3, feature_gates=FeatureGates(CELOmitFunction=True))
    async with cluster(options) as env:
        await env.client.create(RGD)
        await env.wait_active("omitnotes.kro.run")
        yield env


async def _note(env: Env, **spec: str) -> None:
    await env.client.apply(
        {"apiVersion": "kro.run/v1alpha1", "kind": "OmitNote", "metadata": {"name": "n"}, "spec": spec},
        field_manager="test",
        namespace="default",
    )


async def _data(env: Env, want: dict[str, str]) -> dict[str, str]:
    async def probe() -> dict[str, str] | None:
        cm = await env.client.get(CM, "n-note", namespace="default")
        return cm["data"] if cm.get("data") == want else None

    return await wait_for(probe, timeout=30, what=f"ConfigMap data {want}")


async def _args(env: Env, want: list[str]) -> list[str]:
    async def probe() -> list[str] | None:
        d = await env.client.get(DEPLOYMENT, "n", namespace="default")
        args = d["spec"]["template"]["spec"]["containers"][0].get("args")
        return args if args == want else None

    return await wait_for(probe, timeout=30, what=f"container args {want}")


async def test_omit_drops_a_map_key_until_it_has_a_value_and_removes_it_again(gated: Env) -> None:
    await _note(gated)
    await _data(gated, {"always": "here"})  # omitted: absent, not ""
    await _args(gated, ["serve"])  # an omitted list element is dropped
    await _note(gated, owner="ada", flag="--verbose")
    await _data(gated, {"always": "here", "owner": "ada"})
    await _args(gated, ["serve", "--verbose"])
    await _note(gated)  # back to omit(): removed from the live objects
    await _data(gated, {"always": "here"})
    await _args(gated, ["serve"])


async def test_without_the_gate_the_rgd_is_inactive_with_upstreams_message() -> None:
    async with cluster(ManagerOptions(requeue_interval=0.3)) as env:
        await env.client.create(RGD)
        rgd = await env.wait_rgd(
            "omitnotes.kro.run", lambda o: (o.get("status") or {}).get("state") == "Inactive"
        )
        message = condition(rgd, "Ready").get("message", "")
        assert "omit() requires the CELOmitFunction feature gate to be enabled" in message
