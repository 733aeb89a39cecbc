"""`pykro tree` as a user runs it: a separate process against the embedded API server with pykro's
controller beside it, the objects created with kubectl."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
import yaml

from pykro.controller.manager import ManagerOptions
from tests.controller.rgd.helpers import Env, cluster, wait_for
from tests.paths import REPO

INNER = {
    "apiVersion": "kro.run/v1alpha1",
    "kind": "ResourceGraphDefinition",
    "metadata": {"name": "inner.kro.run"},
    "spec": {
        "schema": {"apiVersion": "v1alpha1", "kind": "Inner", "spec": {"value": 'string | default="x"'}},
        "resources": [
            {
                "id": "cm",
                "template": {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "${schema.metadata.name}-inner"},
                    "data": {"v": "${schema.spec.value}"},
                },
            }
        ],
    },
}


def configmap(node: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "${schema.metadata.name}-" + node},
        "data": data,
    }


OUTER = {
    "apiVersion": "kro.run/v1alpha1",
    "kind": "ResourceGraphDefinition",
    "metadata": {"name": "outer.kro.run"},
    "spec": {
        "schema": {"apiVersion": "v1alpha1", "kind": "Outer", "spec": {"extra": "boolean | default=false"}},
        "resources": [
            {"id": "base", "template": configmap("base", {"k": "v"})},
            {
                "id": "optional",
                "includeWhen": ["${schema.spec.extra}"],
                "template": configmap("optional", {}),
            },
            {
                "id": "job",  # no workload simulation here: it never succeeds
                "readyWhen": ["${job.status.?succeeded.orValue(0) > 0}"],
                "template": {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "metadata": {"name": "${schema.metadata.name}-job"},
                    "spec": {
                        "template": {
                            "spec": {
                                "restartPolicy": "Never",
                                "containers": [{"name": "c", "image": "busybox"}],
                            }
                        }
                    },
                },
            },
            {"id": "waits", "template": configmap("waits", {"started": "${string(job.status.startTime)}"})},
            {
                "id": "nested",
                "template": {
                    "apiVersion": "kro.run/v1alpha1",
                    "kind": "Inner",
                    "metadata": {"name": "${schema.metadata.name}-inner"},
                    "spec": {"value": "${base.data.k}"},
                },
            },
        ],
    },
}


async def kubectl(env: Env, *args: str, stdin: str | None = None) -> str:
    proc = await asyncio.create_subprocess_exec(
        "kubectl",
        *args,
        env={**os.environ, "KUBECONFIG": str(env.kubeconfig)},
        stdin=asyncio.subprocess.PIPE if stdin is not None else None,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin else None), 60)
    assert proc.returncode == 0, out.decode()
    return out.decode()


async def pykro(env: Env, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pykro.cli.main",
        *args,
        "--kubeconfig",
        str(env.kubeconfig),
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(), err.decode()


@pytest.fixture
async def outer() -> AsyncIterator[Env]:
    async with cluster(ManagerOptions(requeue_interval=0.5), workloads=False) as env:
        await kubectl(env, "apply", "-f", "-", stdin=yaml.safe_dump_all([INNER, OUTER]))
        await env.wait_active("inner.kro.run", timeout=30)
        await env.wait_active("outer.kro.run", timeout=30)
        instance = {"apiVersion": "kro.run/v1alpha1", "kind": "Outer", "metadata": {"name": "o1"}, "spec": {}}
        await kubectl(env, "apply", "-n", "default", "-f", "-", stdin=yaml.safe_dump(instance))

        async def nested_ready() -> bool:
            out = await kubectl(env, "get", "inner", "o1-inner", "-n", "default", "-o", "json")
            return bool((json.loads(out).get("status") or {}).get("state") == "ACTIVE")

        await wait_for(nested_ready, timeout=30, what="the nested instance")
        yield env


def rows(text: str) -> list[list[str]]:
    """Each line after the header, as (tree label, state, rest...) split on runs of spaces."""
    return [[cell.strip() for cell in line.split("   ") if cell.strip()] for line in text.splitlines()[1:]]


async def test_the_tree_shows_every_resource_in_dependency_order_with_its_state(outer: Env) -> None:
    code, out, err = await pykro(outer, "tree", "outer/o1", "-n", "default")
    assert (code, err) == (0, ""), err
    table = rows(out)
    labels = [r[0] for r in table]
    assert labels == [
        "Outer/o1",
        "├─ ConfigMap/o1-base [base]",
        "├─ ConfigMap (none) [optional]",
        "├─ Job/o1-job [job]",
        "├─ ConfigMap (none) [waits]",
        "└─ Inner/o1-inner [nested]",
        "└─ ConfigMap/o1-inner-inner [cm]",
    ]
    states = {r[0].split(" [")[-1].rstrip("]"): r[1] for r in table[1:]}
    assert states == {
        "base": "Ready",
        "optional": "Excluded",
        "job": "Waiting",
        "waits": "Pending",
        "nested": "Ready",
        "cm": "Ready",
    }
    assert table[0][1] == "IN_PROGRESS"
    assert "includeWhen is false" in out
    assert 'node "waits": dependent node "job" not ready' in out  # what the pending resource waits for
    assert "readyWhen ${job.status.?succeeded.orValue(0) > 0} is false" in out
    assert out.splitlines()[0].split() == ["NAME", "STATE", "LAST", "CHANGE", "MESSAGE"]


async def test_json_and_wide_output(outer: Env) -> None:
    code, out, _ = await pykro(outer, "tree", "outer/o1", "-n", "default", "-o", "json")
    assert code == 0
    tree = json.loads(out)
    assert (tree["kind"], tree["name"], tree["state"]) == ("Outer", "o1", "IN_PROGRESS")
    by_node = {c["node"]: c for c in tree["children"]}
    assert by_node["waits"]["dependsOn"] == ["job"]
    assert by_node["job"]["state"] == "Waiting" and by_node["job"]["resourceVersion"]
    assert by_node["nested"]["children"][0]["name"] == "o1-inner-inner"
    code, wide, _ = await pykro(outer, "tree", "outer/o1", "-n", "default", "-o", "wide")
    assert code == 0
    header = wide.splitlines()[0]
    for column in ("NAMESPACE", "API VERSION", "RESOURCE VERSION", "DEPENDS ON"):
        assert column in header
    job_line = next(line for line in wide.splitlines() if "[job]" in line)
    assert "batch/v1" in job_line and "default" in job_line


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nosuchkind/x", 'error: the server doesn\'t have a resource type "nosuchkind"\n'),
        ("outer/missing", 'error: Outer "missing" not found in namespace "default"\n'),
        (
            "configmap/o1-base",
            "error: ConfigMap/o1-base is not an instance of a ResourceGraphDefinition "
            "(no kro.run/resource-graph-definition-name label)\n",
        ),
        ("outer", "error: 'outer': want KIND/NAME, e.g. configrollout/demo\n"),
    ],
)
async def test_what_cannot_be_shown_is_one_line(outer: Env, target: str, message: str) -> None:
    code, out, err = await pykro(outer, "tree", target, "-n", "default")
    assert (code, out, err) == (1, "", message)


async def test_watch_prints_the_tree_again_when_it_changes_and_ctrl_c_ends_it(outer: Env) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pykro.cli.main",
        "tree",
        "outer/o1",
        "-n",
        "default",
        "--watch",
        "--kubeconfig",
        str(outer.kubeconfig),
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    first = await asyncio.wait_for(proc.stdout.readuntil(b"[cm]"), 60)
    assert b"ConfigMap (none) [optional]" in first
    await kubectl(
        outer, "patch", "outer", "o1", "-n", "default", "--type=merge", "-p", '{"spec":{"extra":true}}'
    )
    redrawn = await asyncio.wait_for(proc.stdout.readuntil(b"ConfigMap/o1-optional [optional]"), 60)
    assert b"NAME" in redrawn
    proc.send_signal(signal.SIGINT)
    rest, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
