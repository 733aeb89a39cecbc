"""`pykro validate` hints, run as a user runs it: a note when a resource's resourceVersion feeds a pod
template (any write to it rolls the workload), a warning when server-assigned metadata feeds a name
(the reconcile loop of kro#536); neither fails validation unless `--strict` turns warnings into failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.cli.cli_process import ROLLOUT, ROLLOUT_RGD, run_cli
from tests.paths import REPO

CONTENT_HASH = REPO / "examples/config-rollout-content-hash"
HASH_OF_SECRET_DATA = "${base64.encode(hash.sha256(json.marshal(secret.data)))}"

SECRET = {
    "id": "secret",
    "template": {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "${schema.metadata.name}"},
        "stringData": {"password": "${schema.spec.password}"},
    },
}


def pod_template(annotation: str) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": "demo"}, "annotations": {"example.com/secret": annotation}},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
    }


def deployment(annotation: str) -> dict[str, Any]:
    return {
        "id": "deployment",
        "template": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "${schema.metadata.name}"},
            "spec": {"selector": {"matchLabels": {"app": "demo"}}, "template": pod_template(annotation)},
        },
    }


def configmap(
    resource_id: str, metadata: dict[str, str], data: dict[str, str] | None = None
) -> dict[str, Any]:
    template = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data or {"a": "b"}}
    return {"id": resource_id, "template": template}


def write_rgd(tmp_path: Path, *resources: dict[str, Any]) -> Path:
    rgd = {
        "apiVersion": "kro.run/v1alpha1",
        "kind": "ResourceGraphDefinition",
        "metadata": {"name": "demo.kro.run"},
        "spec": {
            "schema": {"apiVersion": "v1alpha1", "kind": "Demo", "spec": {"password": "string"}},
            "resources": list(resources),
        },
    }
    path = tmp_path / "rgd.yaml"
    path.write_text(yaml.safe_dump(rgd))
    return path


def test_a_resource_version_in_a_pod_template_gets_a_note_with_the_content_hash(tmp_path: Path) -> None:
    path = write_rgd(tmp_path, SECRET, deployment("${secret.metadata.resourceVersion}"))
    result = run_cli("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{path}: demo.kro.run: valid (2 resources, order: secret, deployment)\n"
    assert result.stderr.splitlines() == [
        f'note: {path}: demo.kro.run: resource "deployment": '
        'spec.template.metadata.annotations["example.com/secret"]: reads secret.metadata.resourceVersion, '
        'which changes on any write to "secret" (labels and annotations included), so every such write '
        f"rolls the workload; use {HASH_OF_SECRET_DATA} to roll only when its data changes"
    ]
    assert run_cli("validate", "--strict", str(path)).returncode == 0, "notes never fail"


def test_the_suggested_content_hash_compiles_and_gets_no_hint(tmp_path: Path) -> None:
    path = write_rgd(tmp_path, SECRET, deployment(f"v-{HASH_OF_SECRET_DATA}"))
    result = run_cli("validate", "--strict", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_a_cron_jobs_pod_template_gets_the_note(tmp_path: Path) -> None:
    job_template = {"spec": {"template": pod_template("${secret.metadata.resourceVersion}")}}
    cron_job = {
        "id": "cron",
        "template": {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "nightly"},
            "spec": {"schedule": "@daily", "jobTemplate": job_template},
        },
    }
    result = run_cli("validate", str(write_rgd(tmp_path, SECRET, cron_job)))
    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("note: ")
    assert (
        ': resource "cron": spec.jobTemplate.spec.template.metadata.annotations["example.com/secret"]: '
        in line
    )


def test_a_resource_version_outside_a_pod_template_gets_no_hint(tmp_path: Path) -> None:
    copy = configmap("copy", {"name": "copy"}, {"version": "${secret.metadata.resourceVersion}"})
    result = run_cli("validate", "--strict", str(write_rgd(tmp_path, SECRET, copy)))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_server_assigned_metadata_in_a_name_is_a_warning_that_fails_only_with_strict(tmp_path: Path) -> None:
    renamed = configmap(
        "copy", {"name": "copy-${secret.metadata.resourceVersion}", "namespace": "${secret.metadata.uid}"}
    )
    path = write_rgd(tmp_path, SECRET, renamed)
    result = run_cli("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert "valid (2 resources" in result.stdout
    name_warning, namespace_warning = result.stderr.splitlines()
    assert name_warning.startswith(
        f'warning: {path}: demo.kro.run: resource "copy": metadata.name: '
        'reads secret.metadata.resourceVersion, which changes on every write to "secret"; '
        'each change gives "copy" a new name, so kro deletes and recreates it: a reconcile loop'
    )
    assert "kubernetes-sigs/kro#536" in name_warning
    assert namespace_warning.startswith(
        f'warning: {path}: demo.kro.run: resource "copy": metadata.namespace: reads secret.metadata.uid, '
        'which changes every time "secret" is recreated'
    )

    strict = run_cli("validate", "--strict", str(path))
    assert strict.returncode == 1
    assert strict.stderr == result.stderr


def test_an_external_refs_name_is_not_flagged(tmp_path: Path) -> None:
    metadata = {"name": "cm-${secret.metadata.resourceVersion}", "namespace": "default"}
    external = {"id": "read", "externalRef": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata}}
    result = run_cli("validate", "--strict", str(write_rgd(tmp_path, SECRET, external)))
    assert result.returncode == 0, result.stderr
    assert "valid (2 resources" in result.stdout
    assert result.stderr == ""


def test_the_instances_resource_version_in_a_name_is_kro_536s_own_case(tmp_path: Path) -> None:
    named = configmap("named", {"name": "x-${schema.metadata.resourceVersion}"})
    path = write_rgd(tmp_path, named)
    result = run_cli("validate", "--strict", str(path))
    assert result.returncode == 1
    (warning,) = result.stderr.splitlines()
    assert warning.startswith(
        f'warning: {path}: demo.kro.run: resource "named": metadata.name: '
        "reads schema.metadata.resourceVersion, which changes on every write to the instance, "
        "kro's own status updates included"
    )


def test_the_instances_uid_and_generation_in_a_name_are_fine(tmp_path: Path) -> None:
    named = configmap("named", {"name": "x-${schema.metadata.uid}-${string(schema.metadata.generation)}"})
    result = run_cli("validate", "--strict", str(write_rgd(tmp_path, named)))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_the_config_rollout_example_gets_a_note_per_resource_version() -> None:
    result = run_cli("validate", "--strict", str(ROLLOUT))
    assert result.returncode == 0, result.stderr
    notes = result.stderr.splitlines()
    assert [line.split(": ")[4] for line in notes] == [
        'spec.template.metadata.annotations["example.com/secret-version"]',
        'spec.template.metadata.annotations["example.com/config-version"]',
    ]
    assert all(line.startswith(f"note: {ROLLOUT_RGD}: configrollout.kro.run: ") for line in notes)
    assert "json.marshal(config.data)" in notes[1]


def test_the_content_hash_example_is_clean() -> None:
    result = run_cli("validate", "--strict", str(CONTENT_HASH))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "ConfigRolloutHash demo: valid" in result.stdout
