"""`pykro validate`: offline compilation, located errors with a caret, exit codes."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from pykro.cli.validate import command
from tests.graph.conftest import configmap, rgd_doc
from tests.paths import KRO_EXAMPLES

WEBAPP = KRO_EXAMPLES / "webapp/rg.yaml"


def _write(tmp_path: Path, name: str, *docs: object) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(docs))
    return path


def test_valid_rgd_prints_summary(tmp_path: Path) -> None:
    path = _write(tmp_path, "ok.yaml", rgd_doc([configmap("a"), configmap("b", {"k": "${a.metadata.name}"})]))
    result = CliRunner().invoke(command, [str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == f"{path}: test: valid (2 resources, order: a, b)\n"


def test_error_points_into_the_users_string(tmp_path: Path) -> None:
    text = "x-${a.metadata.nosuch}-y"
    path = _write(tmp_path, "bad.yaml", rgd_doc([configmap("a"), configmap("b", {"k": text})]))
    result = CliRunner().invoke(command, [str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f'error: {path}: test: resource "b" at path "data.k"')
    assert "undefined field 'nosuch'" in lines[0]
    assert lines[1] == f"    {text}"
    caret = lines[2].index("^") - 4
    assert text[caret:].startswith(".nosuch")


def test_template_error_column_maps_back(tmp_path: Path) -> None:
    text = "n-${schema.spec.name}-${schema.spec.replicas}"
    path = _write(tmp_path, "bad.yaml", rgd_doc([configmap("a", {"k": text})]))
    result = CliRunner().invoke(command, [str(path)])
    assert result.exit_code == 1
    assert "found no matching overload for '_+_'" in result.output
    lines = result.output.splitlines()
    caret = lines[2].index("^") - 4
    assert 0 <= caret < len(text)


def test_crd_documents_feed_the_registry(tmp_path: Path) -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}
                            },
                        }
                    },
                }
            ],
        },
    }
    widget = {
        "id": "w",
        "template": {
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w"},
            "spec": {"size": "${schema.spec.replicas}"},
        },
    }
    rgd_path = _write(tmp_path, "rgd.yaml", rgd_doc([widget]))
    without = CliRunner().invoke(command, [str(rgd_path)])
    assert without.exit_code == 1 and "schema not found" in without.output
    crd_path = _write(tmp_path, "crd.yaml", crd)
    with_crd = CliRunner().invoke(command, [str(rgd_path), str(crd_path)])
    assert with_crd.exit_code == 0, with_crd.output


def test_many_files_one_failure_exits_1(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.yaml", rgd_doc([configmap("a", {"k": "${nope}"})]))
    result = CliRunner().invoke(command, [str(WEBAPP), str(bad)])
    assert result.exit_code == 1
    assert "webapp.kro.run: valid (3 resources, order: deployment, service, ingress)" in result.output
    assert "references unknown identifiers: [nope]" in result.output


def test_show_status_schema(tmp_path: Path) -> None:
    result = CliRunner().invoke(command, [str(WEBAPP), "--show-status-schema"])
    assert result.exit_code == 0
    schema = yaml.safe_load(result.output.split("\n", 1)[1])
    assert schema["properties"]["availableReplicas"] == {"type": "integer"}


def _refused(tmp_path: Path, doc: dict[str, object]) -> list[str]:
    """`pykro validate` run as a user runs it: a subprocess, its stderr lines and exit status 1."""
    import subprocess
    import sys

    path = _write(tmp_path, "refused.yaml", doc)
    done = subprocess.run(
        [sys.executable, "-m", "pykro.cli.main", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    return [line.removeprefix(f"error: {path}: ") for line in done.stderr.splitlines()]


def test_a_default_that_breaks_its_own_constraints_is_refused(tmp_path: Path) -> None:
    doc = rgd_doc([configmap("a")])
    doc["spec"]["schema"]["spec"] = {  # type: ignore[index]
        "replicas": "integer | minimum=10 maximum=20 default=5",
        "level": 'string | enum="a,b" default="c"',
        "fine": "integer | minimum=1 default=3",
        "name": "string",
    }
    lines = _refused(tmp_path, doc)
    assert sorted(lines) == [
        "test: spec.schema.spec.level: the default breaks its own constraints, so the API server would "
        'refuse the instance CRD: Unsupported value: "c": supported values: "a", "b"',
        "test: spec.schema.spec.replicas: the default breaks its own constraints, so the API server would "
        "refuse the instance CRD: Invalid value: 5: spec.schema.spec.replicas default in body should be "
        "greater than or equal to 10",
    ]


def test_an_rgd_name_that_is_no_dns_subdomain_is_refused(tmp_path: Path) -> None:
    doc = rgd_doc([configmap("a")])
    doc["metadata"]["name"] = "My_RGD"  # type: ignore[index]
    [line] = _refused(tmp_path, doc)
    assert line.startswith(
        'metadata.name: Invalid value: "My_RGD": a lowercase RFC 1123 subdomain must consist'
    )
