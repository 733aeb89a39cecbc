"""`pykro validate` advice on rollouts: a note when a resourceVersion feeds a pod template, a warning
when another resource's version or uid feeds a name; only `--strict` fails on warnings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.cli.cli_process import ROLLOUT_RGD, run_cli
from tests.paths import REPO


def rgd(deployment_annotations: dict[str, str], name: str = "${schema.metadata.name}") -> dict[str, Any]:
    return {
        "apiVersion": "kro.run/v1alpha1",
        "kind": "ResourceGraphDefinition",
        "metadata": {"name": "hints.kro.run"},
        "spec": {
            "schema": {"apiVersion": "v1alpha1", "kind": "Hinted", "spec": {}},
            "resources": [
                {
                    "id": "settings",
                    "template": {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": {"name": "${schema.metadata.name}-settings"},
                        "data": {"k": "v"},
                    },
                },
                {
                    "id": "app",
                    "template": {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "metadata": {"name": name},
                        "spec": {
                            "selector": {"matchLabels": {"app": "x"}},
                            "template": {
                                "metadata": {"labels": {"app": "x"}, "annotations": deployment_annotations},
                                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                            },
                        },
                    },
                },
            ],
        },
    }


def write(tmp_path: Path, doc: dict[str, Any]) -> str:
    path = tmp_path / "rgd.yaml"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def test_a_resource_version_in_a_pod_template_gets_a_note_with_the_hash_alternative(tmp_path: Path) -> None:
    path = write(tmp_path, rgd({"v": "${settings.metadata.resourceVersion}"}))
    done = run_cli("validate", path)
    assert done.returncode == 0
    assert done.stderr == (
        f'note: {path}: hints.kro.run: resource "app": spec.template.metadata.annotations.v: '
        "settings.metadata.resourceVersion feeds the pod template: any write to the ConfigMap of resource "
        "'settings', labels and annotations included, rolls the workload; to roll it only when its content "
        "changes, use ${base64.encode(hash.sha256(json.marshal(settings.data)))}\n"
    )
    assert run_cli("validate", "--strict", path).returncode == 0  # notes never fail


def test_the_content_hash_gets_no_note(tmp_path: Path) -> None:
    path = write(tmp_path, rgd({"v": "${base64.encode(hash.sha256(json.marshal(settings.data)))}"}))
    done = run_cli("validate", path)
    assert (done.returncode, done.stderr) == (0, "")


def test_a_name_from_another_resources_version_is_a_warning_and_fails_only_when_strict(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, rgd({}, name="app-${settings.metadata.resourceVersion}"))
    done = run_cli("validate", path)
    assert done.returncode == 0
    assert done.stderr.startswith(
        f'warning: {path}: hints.kro.run: resource "app": metadata.name: name reads '
        "settings.metadata.resourceVersion, which changes whenever the ConfigMap of resource 'settings' "
        "is written or recreated"
    )
    assert "kubernetes-sigs/kro#536" in done.stderr
    strict = run_cli("validate", "--strict", path)
    assert strict.returncode == 1 and strict.stderr == done.stderr


def test_the_config_rollout_example_gets_the_note_and_the_content_hash_example_none() -> None:
    done = run_cli("validate", str(ROLLOUT_RGD))
    assert done.returncode == 0
    assert done.stderr.count("note: ") == 2
    assert "${base64.encode(hash.sha256(json.marshal(secret.data)))}" in done.stderr
    hashed = run_cli("validate", str(REPO / "examples/config-rollout-content-hash/rgd.yaml"))
    assert (hashed.returncode, hashed.stderr) == (0, "")


def test_strict_also_fails_on_a_document_that_cannot_be_validated(tmp_path: Path) -> None:
    other = tmp_path / "cm.yaml"
    other.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}))
    assert run_cli("validate", str(ROLLOUT_RGD), str(other)).returncode == 0
    strict = run_cli("validate", "--strict", str(ROLLOUT_RGD), str(other))
    assert strict.returncode == 1 and "warning: " in strict.stderr
