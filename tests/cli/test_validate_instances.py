"""`pykro validate` on instances, run as a process: each instance document is checked against the CRD
generated from the RGDs given, and every problem names the file, the document and the field path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.cli.cli_process import ROLLOUT, ROLLOUT_INSTANCE, ROLLOUT_RGD, run_cli
from tests.paths import KRO_EXAMPLES

RULES_RGD = """
apiVersion: kro.run/v1alpha1
kind: ResourceGraphDefinition
metadata: {name: ports}
spec:
  schema:
    apiVersion: v1alpha1
    kind: Ports
    spec:
      port: integer | validation="self % 2 == 0"
  resources:
  - id: cm
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.metadata.name}"}
      data: {port: "${string(schema.spec.port)}"}
"""


def _rollout(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kro.run/v1alpha1",
        "kind": "ConfigRollout",
        "metadata": {"name": name},
        "spec": spec,
    }


def _problems(stderr: str) -> list[str]:
    """stderr without the `note:` lines the config-rollout RGD gets (tests/cli/test_validate_hints.py)."""
    return [line for line in stderr.splitlines() if not line.startswith("note: ")]


def _write(path: Path, *docs: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(docs))
    return path


def test_good_and_bad_instances_each_error_located(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "instances.yaml",
        _rollout("good", password="x"),
        _rollout("bad", replicas=30, logLevel="loud", image=3, extra=True),
        {"apiVersion": "kro.run/v1alpha1", "kind": "ConfigRollout", "spec": {"password": "x"}},
    )
    result = run_cli("validate", str(ROLLOUT_RGD), str(path))
    assert result.returncode == 1
    assert f"{path}: document 1: ConfigRollout good: valid" in result.stdout.splitlines()
    bad = f"error: {path}: document 2: ConfigRollout bad"
    errors = _problems(result.stderr)
    assert sorted(errors) == sorted(
        [
            f"{bad}: spec.extra: unknown field",
            f"{bad}: spec.password: Required value",
            f"{bad}: spec.replicas: Invalid value: 30: spec.replicas in body should be less than or "
            "equal to 20",
            f'{bad}: spec.logLevel: Unsupported value: "loud": supported values: "debug", "info", "warn", '
            '"error"',
            f'{bad}: spec.image: Invalid value: 3: spec.image in body must be of type string: "integer"',
            f"error: {path}: document 3: ConfigRollout: metadata.name: Required value: name or "
            "generateName is required",
        ]
    )


def test_cel_rules_of_the_generated_crd_run(tmp_path: Path) -> None:
    rgd = tmp_path / "rgd.yaml"
    rgd.write_text(RULES_RGD)
    ports = _write(
        tmp_path / "ports.yaml",
        *(
            {
                "apiVersion": "kro.run/v1alpha1",
                "kind": "Ports",
                "metadata": {"name": f"p{n}"},
                "spec": {"port": n},
            }
            for n in (8080, 8081)
        ),
    )
    result = run_cli("validate", str(rgd), str(ports))
    assert result.returncode == 1
    assert f"{ports}: document 1: Ports p8080: valid" in result.stdout
    assert result.stderr.splitlines() == [
        f'error: {ports}: document 2: Ports p8081: spec.port: Invalid value: "integer": validation failed'
    ]


def test_stdin_instances() -> None:
    good = run_cli("validate", str(ROLLOUT_RGD), "-", stdin=ROLLOUT_INSTANCE.read_text())
    assert good.returncode == 0, good.stderr
    name = yaml.safe_load(ROLLOUT_INSTANCE.read_text())["metadata"]["name"]
    assert good.stdout.splitlines()[-1] == f"-: document 1: ConfigRollout {name}: valid"
    bad = run_cli("validate", str(ROLLOUT_RGD), "-", stdin=yaml.safe_dump(_rollout("nopass")))
    assert bad.returncode == 1
    assert _problems(bad.stderr) == [
        "error: -: document 1: ConfigRollout nopass: spec.password: Required value"
    ]


def test_directories_are_read_recursively(tmp_path: Path) -> None:
    (tmp_path / "rgds").mkdir()
    (tmp_path / "rgds" / "rgd.yml").write_text(ROLLOUT_RGD.read_text())
    (tmp_path / "notes.txt").write_text("not YAML: ignored")
    nested = _write(tmp_path / "instances" / "team-a" / "app.yaml", _rollout("app", password="p", replicas=0))
    result = run_cli("validate", str(tmp_path))
    assert result.returncode == 1
    assert "configrollout.kro.run: valid" in result.stdout
    assert _problems(result.stderr) == [
        f"error: {nested}: document 1: ConfigRollout app: spec.replicas: Invalid value: 0: spec.replicas in "
        "body should be greater than or equal to 1"
    ]


def test_the_example_directory_validates() -> None:
    result = run_cli("validate", str(ROLLOUT))
    assert result.returncode == 0, result.stderr
    assert f"{ROLLOUT_INSTANCE}: document 1: ConfigRollout demo: valid" in result.stdout


def test_documents_of_other_kinds_are_reported_not_validated(tmp_path: Path) -> None:
    other = _write(tmp_path / "cm.yaml", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    result = run_cli("validate", str(KRO_EXAMPLES / "webapp/rg.yaml"), str(other))
    assert result.returncode == 0
    assert result.stderr == (
        f"warning: {other}: document 1: ConfigMap c: not validated: no RGD given defines v1 ConfigMap\n"
    )


def test_input_errors_follow_the_documented_format(tmp_path: Path) -> None:
    missing = run_cli("validate", str(tmp_path / "nosuch.yaml"))
    assert (missing.returncode, missing.stderr) == (
        1,
        f"error: {tmp_path / 'nosuch.yaml'}: no such file or directory\n",
    )
    empty = run_cli("validate", str(tmp_path))
    assert (empty.returncode, empty.stderr) == (
        1,
        f"error: {tmp_path}: no *.yaml or *.yml file in this directory\n",
    )
    broken = run_cli("validate", "-", stdin="a: [\n")
    assert broken.returncode == 1 and broken.stderr.startswith("error: -:2:1: invalid YAML: ")
