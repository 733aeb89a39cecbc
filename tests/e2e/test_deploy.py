"""deploy/: the manifests that run pykro in a real cluster are valid and current."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
from pathlib import Path

import pytest
import yaml

from pykro.api.crd import rgd_crd_manifest
from tests.controller.rgd.helpers import REPO, cluster

DEPLOY = REPO / "deploy"


def test_rgd_crd_file_matches_the_code() -> None:
    spec = importlib.util.spec_from_file_location("deploy_generate", DEPLOY / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (DEPLOY / "01-rgd-crd.yaml").read_text()
    assert text == module.render(), (
        "deploy/01-rgd-crd.yaml is stale: run `.venv/bin/python deploy/generate.py`"
    )
    assert yaml.safe_load(text) == rgd_crd_manifest()


def test_deployment_runs_the_controller_with_leader_election() -> None:
    docs = [d for f in sorted(DEPLOY.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][:2] == ["run", "--leader-elect"]
    account = deployment["spec"]["template"]["spec"]["serviceAccountName"]
    binding = next(d for d in docs if d["kind"] == "ClusterRoleBinding")
    assert {"kind": "ServiceAccount", "name": account, "namespace": "kro-system"} in binding["subjects"]


async def _kubectl(kubeconfig: Path, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        "kubectl",
        *args,
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
async def test_manifests_pass_server_side_dry_run() -> None:
    async with cluster(controller=False) as env:
        # A dry run creates nothing, so the namespace the rest lives in must exist for real.
        code, out = await _kubectl(env.kubeconfig, "apply", "-f", str(DEPLOY / "00-namespace.yaml"))
        assert code == 0, out
        code, out = await _kubectl(env.kubeconfig, "apply", "--dry-run=server", "-f", str(DEPLOY))
        assert code == 0, out
        for obj in (
            "customresourcedefinition.apiextensions.k8s.io/resourcegraphdefinitions.kro.run",
            "serviceaccount/pykro",
            "clusterrole.rbac.authorization.k8s.io/pykro",
            "clusterrolebinding.rbac.authorization.k8s.io/pykro",
            "deployment.apps/pykro",
        ):
            assert f"{obj} created (server dry run)" in out, out
