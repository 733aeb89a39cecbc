"""`pykro tree`: a user's view of an instance's resources, printed by the CLI (a subprocess) from a real
cluster (the embedded API server with pykro's controller)."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import yaml

from tests.controller.rgd.helpers import CM, Env, cluster, simple_rgd, wait_for
from tests.paths import REPO

PYKRO = [sys.executable, "-m", "pykro.cli.main"]

OUTER = yaml.safe_load("""
apiVersion: kro.run/v1alpha1
kind: ResourceGraphDefinition
metadata: {name: outer}
spec:
  schema:
    apiVersion: v1alpha1
    kind: Outer
    spec:
      extra: boolean | default=false
      regions: "[]string"
  resources:
  - id: base
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.metadata.name}-base"}
      data: {a: "1"}
  - id: optional
    includeWhen: ["${schema.spec.extra}"]
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.metadata.name}-optional"}
  - id: regional
    forEach: [{region: "${schema.spec.regions}"}]
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.metadata.name}-${region}"}
  - id: gate
    readyWhen: ["${gate.data.ok == 'yes'}"]
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.metadata.name}-gate"}
      data: {ok: "no"}
  - id: child
    template:
      apiVersion: kro.run/v1alpha1
      kind: Inner
      metadata: {name: "${schema.metadata.name}-child"}
      spec: {value: "${base.metadata.name}"}
  - id: settings
    externalRef:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: settings}
  - id: colored
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.metadata.name}-colored"}
      data: {color: "${settings.data.color}"}
""")

SETTINGS = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "settings", "namespace": "default"},
    "data": {"color": "blue"},
}


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    """Outer/demo reconciled as far as it goes without the `settings` ConfigMap it references."""
    async with cluster() as env:
        await env.client.create(simple_rgd(name="inner", kind="Inner"))
        await env.wait_active("inner", timeout=30)
        await env.client.create(OUTER)
        await env.wait_active("outer", timeout=30)
        await env.client.create(
            {
                "apiVersion": "kro.run/v1alpha1",
                "kind": "Outer",
                "metadata": {"name": "demo", "namespace": "default"},
                "spec": {"regions": ["eu", "us"]},
            }
        )
        await wait_for(
            lambda: env.exists(CM, "demo-child-cm", "default"), timeout=30, what="the nested instance's child"
        )
        yield env


async def pykro_tree(env: Env, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *PYKRO,
        "tree",
        *args,
        "--kubeconfig",
        str(env.kubeconfig),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def rows(table: str) -> list[list[str]]:
    """The table's rows below the header: name (tree drawing stripped) then the other columns."""
    out = []
    for line in table.splitlines()[1:]:
        cells = [c for c in line.split("   ") if c.strip()]
        out.append([cells[0].lstrip("│├└─ ")] + [c.strip() for c in cells[1:]])
    return out


async def test_tree_lists_resources_in_dependency_order_with_their_states(env: Env) -> None:
    code, out, err = await pykro_tree(env, "outer/demo")
    assert (code, err) == (0, ""), err
    table = rows(out)
    assert [row[:2] for row in table] == [
        ["Outer/demo", "IN_PROGRESS"],
        ["ConfigMap/demo-base", "Ready"],
        ["ConfigMap [optional]", "Excluded"],
        ["ConfigMap/demo-eu", "Ready"],  # forEach: a row per object
        ["ConfigMap/demo-us", "Ready"],
        ["ConfigMap/demo-gate", "NotReady"],
        ["Inner/demo-child", "Ready"],
        ["ConfigMap/demo-child-cm", "Ready"],
        ["ConfigMap [settings]", "Pending"],
        ["ConfigMap [colored]", "Pending"],
    ]
    assert table[2][3] == "includeWhen is false"
    assert table[5][3] == "resource 'gate' readyWhen ${gate.data.ok == 'yes'} is false"
    assert table[8][3] == "external reference 'settings': ConfigMap default/settings not found"
    assert 'dependent node "settings" not ready' in table[9][3]  # what it waits on
    assert "└─ ConfigMap/demo-child-cm" in out  # drawn below its instance


async def test_kind_may_be_plural_or_qualified_and_json_nests_the_same_tree(env: Env) -> None:
    code, out, err = await pykro_tree(env, "outers.kro.run/demo", "-n", "default", "-o", "json")
    assert (code, err) == (0, ""), err
    root = json.loads(out)
    assert (root["kind"], root["name"], root["namespace"], root["state"]) == (
        "Outer",
        "demo",
        "default",
        "IN_PROGRESS",
    )
    assert [(c["nodeId"], c["state"]) for c in root["children"]] == [
        ("base", "Ready"),
        ("optional", "Excluded"),
        ("regional", "Ready"),
        ("regional", "Ready"),
        ("gate", "NotReady"),
        ("child", "Ready"),
        ("settings", "Pending"),
        ("colored", "Pending"),
    ]
    child = root["children"][5]
    assert (child["apiVersion"], child["kind"], child["name"]) == ("kro.run/v1alpha1", "Inner", "demo-child")
    assert [(c["nodeId"], c["kind"], c["name"], c["state"]) for c in child["children"]] == [
        ("cm", "ConfigMap", "demo-child-cm", "Ready")
    ]
    base = root["children"][0]
    live = await env.client.get(CM, "demo-base", namespace="default")
    assert base["resourceVersion"] == live["metadata"]["resourceVersion"]
    assert base["lastChange"] >= live["metadata"]["creationTimestamp"]


async def test_wide_adds_node_namespace_api_version_and_resource_version(env: Env) -> None:
    code, out, err = await pykro_tree(env, "Outer/demo", "-o", "wide")
    assert (code, err) == (0, ""), err
    header, *_ = out.splitlines()
    assert header.split() == [
        "NAME", "STATE", "LAST", "CHANGE", "NODE", "NAMESPACE", "APIVERSION", "RESOURCEVERSION", "MESSAGE"
    ]  # fmt: skip
    live = await env.client.get(CM, "demo-base", namespace="default")
    base = rows(out)[1]
    assert base[:2] == ["ConfigMap/demo-base", "Ready"]
    assert base[3:7] == ["base", "default", "v1", live["metadata"]["resourceVersion"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuchkind/demo"], 'error: the server doesn\'t have a resource type "nosuchkind"\n'),
        (["outer/missing"], 'error: Outer "missing" not found in namespace "default"\n'),
        (
            ["configmap/demo-base"],
            "error: ConfigMap is not a kro instance kind: its CustomResourceDefinition",
        ),
    ],
)
async def test_errors_are_one_line_and_exit_1(env: Env, args: list[str], message: str) -> None:
    code, out, err = await pykro_tree(env, *args)
    assert (code, out) == (1, "")
    assert err.startswith(message) and err.count("\n") == 1, err


async def test_no_cluster_is_one_line_error(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    proc = await asyncio.create_subprocess_exec(
        *PYKRO, "tree", "outer/demo", "--kubeconfig", str(kubeconfig),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1 and out == b""
    assert err.decode().startswith("error: cannot reach the cluster at https://127.0.0.1:1: ")
    assert err.decode().count("\n") == 1, err


async def test_watch_redraws_on_change_and_stops_cleanly_on_ctrl_c(env: Env) -> None:
    proc = await asyncio.create_subprocess_exec(
        *PYKRO, "tree", "outer/demo", "--watch", "--kubeconfig", str(env.kubeconfig),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert proc.stdout is not None
    seen: list[str] = []

    async def read_until(wanted: Callable[[str], bool]) -> None:
        """Read lines until one is `wanted` (the earlier ones are kept in `seen`)."""
        while True:
            line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()  # type: ignore[union-attr]
            assert line, "".join(seen)
            seen.append(line)
            if wanted(line):
                return

    try:
        await read_until(lambda line: "ConfigMap [colored]" in line)  # the first tree: colored waits
        await env.client.create(SETTINGS)
        # Redrawn as the controller goes on: settings found, then colored created.
        await read_until(lambda line: line.startswith("└─ ConfigMap/demo-colored") and " Ready " in line)
    finally:
        proc.send_signal(signal.SIGINT)
        rest, err = await asyncio.wait_for(proc.communicate(), 30)
    seen += rest.decode().splitlines(keepends=True)
    assert proc.returncode == 0, err.decode()
    assert "Traceback" not in err.decode()
    assert any(line.startswith("├─ ConfigMap/settings") and " Ready " in line for line in seen)
