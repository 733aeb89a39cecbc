"""`pykro generate crd`: every upstream example RGD, the e2e CRD asserts, and bad input."""

from __future__ import annotations

import glob
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from click.testing import CliRunner

from pykro.cli.generate import command
from pykro.cli.main import main
from tests.paths import KRO_E2E, KRO_EXAMPLES

EXAMPLES = KRO_EXAMPLES
E2E = KRO_E2E
PYKRO = Path(sys.executable).parent / "pykro"
ATOMIC = {
    "string": "string",
    "integer": "integer",
    "boolean": "boolean",
    "float": "number",
    "object": "object",
}


def rgd_docs(path: Path) -> list[dict[str, Any]]:
    return [
        d
        for d in yaml.safe_load_all(path.read_text())
        if isinstance(d, dict) and d.get("kind") == "ResourceGraphDefinition"
    ]


def example_files() -> list[Path]:
    """Upstream examples plus the e2e scenarios' RGDs (their assert files are partial objects, not RGDs)."""
    candidates = glob.glob(f"{EXAMPLES}/**/*.yaml", recursive=True) + [
        p for p in glob.glob(f"{E2E}/**/*.yaml", recursive=True) if "assert" not in Path(p).name
    ]
    return sorted(p for p in map(Path, candidates) if rgd_docs(p))


def generate(path: Path, *extra: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(command, ["crd", str(path), *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return [d for d in yaml.safe_load_all(result.output) if d]


def check_required_sorted(schema: dict[str, Any], path: str = "spec") -> None:
    required = schema.get("required", [])
    assert required == sorted(required), path
    assert set(required) <= set(schema.get("properties", {})), path
    for name, child in schema.get("properties", {}).items():
        assert "type" in child, f"{path}.{name}"
        check_required_sorted(child, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        check_required_sorted(schema["items"], f"{path}[]")


def test_there_are_examples() -> None:
    files = example_files()
    assert sum(EXAMPLES in p.parents for p in files) >= 10 and sum(E2E in p.parents for p in files) >= 10


@pytest.mark.parametrize("path", example_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_generates_a_valid_crd(path: Path) -> None:
    docs = rgd_docs(path)
    siblings = [str(p) for p in sorted(path.parent.glob("*.yaml")) if p != path and "assert" not in p.name]
    crds = generate(path, *(arg for sibling in siblings for arg in ("--schemas", sibling)))
    assert len(crds) == len(docs)
    for rgd, crd in zip(docs, crds, strict=True):
        kubernetes_validate.validate(crd, "1.32", strict=True)
        schema = rgd["spec"]["schema"]
        group = schema.get("group", "kro.run")
        assert crd["kind"] == "CustomResourceDefinition"
        assert crd["metadata"]["name"] == f"{crd['spec']['names']['plural']}.{group}"
        assert crd["metadata"]["labels"]["kro.run/resource-graph-definition-name"] == rgd["metadata"]["name"]
        names = crd["spec"]["names"]
        assert names["kind"] == schema["kind"] and names["singular"] == schema["kind"].lower()
        assert names["listKind"] == schema["kind"] + "List"
        assert crd["spec"]["group"] == group and crd["spec"]["scope"] == schema.get("scope", "Namespaced")
        (version,) = crd["spec"]["versions"]
        assert version["name"] == schema["apiVersion"]
        spec_schema = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
        assert spec_schema["type"] == "object"
        assert set(spec_schema["properties"]) == set(schema.get("spec") or {})
        check_required_sorted(spec_schema)
        for field, value in (schema.get("spec") or {}).items():
            if not isinstance(value, str):
                continue
            type_text = value.split("|")[0].strip()
            if type_text in ATOMIC:  # custom alias types may carry their own required=true
                assert spec_schema["properties"][field]["type"] == ATOMIC[type_text], field
                assert (field in spec_schema.get("required", [])) == ("required=true" in value), field
        status = version["schema"]["openAPIV3Schema"]["properties"]["status"]
        assert {"state", "conditions"} <= set(status["properties"])


def test_json_output_and_file_option() -> None:
    path = example_files()[0]
    as_json = CliRunner().invoke(command, ["crd", "-f", str(path), "-o", "json"], catch_exceptions=False)
    assert as_json.exit_code == 0
    assert yaml.safe_load(as_json.output) == generate(path)[0]


# Fields of the upstream asserts that describe what the API server adds, not what kro generates.
SERVER_OWNED = {
    "status": "CRD status (acceptedNames, conditions) is written by the API server",
    "spec.conversion": "conversion strategy None is defaulted by the API server",
    "metadata.generation": "object generation is assigned by the API server",
}


def partial_mismatches(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Chainsaw-style partial match: maps are subsets, arrays match element-wise."""
    if path.lstrip(".") in SERVER_OWNED:
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected a map"]
        out: list[str] = []
        for key, value in expected.items():
            child = f"{path}.{key}"
            if key not in actual and child.lstrip(".") not in SERVER_OWNED:
                out.append(f"{child}: missing")
            elif key in actual:
                out += partial_mismatches(value, actual[key], child)
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items"]
        return [
            m
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for m in partial_mismatches(e, a, f"{path}[{i}]")
        ]
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]


E2E_CASES = sorted(
    p.parent for p in E2E.glob("*/instancecrd-assert.yaml") if (p.parent / "rgd.yaml").exists()
)


@pytest.mark.parametrize("case", E2E_CASES, ids=lambda p: p.name)
def test_e2e_instance_crd_asserts(case: Path) -> None:
    # The asserted `status` subtree only names the default state/conditions, which a later status
    # inference keeps, so it is checked too; only server-owned fields are skipped (SERVER_OWNED).
    expected = yaml.safe_load((case / "instancecrd-assert.yaml").read_text())
    crds = generate(case / "rgd.yaml")
    crd = next(c for c in crds if c["metadata"]["name"] == expected["metadata"]["name"])
    assert partial_mismatches(expected, crd) == []


def test_e2e_cases_exist() -> None:
    assert len(E2E_CASES) >= 5


def run_pykro(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PYKRO), *args], capture_output=True, text=True, timeout=60, check=False)


BAD_INPUTS = {
    "malformed.yaml": (
        "apiVersion: kro.run/v1alpha1\nkind: ResourceGraphDefinition\nspec: [1, 2\n",
        [":4:1: invalid YAML: while parsing a flow sequence: expected ',' or ']', but got '<stream end>'"],
    ),
    "shape.yaml": (
        "apiVersion: kro.run/v1alpha1\nkind: ResourceGraphDefinition\nmetadata: {name: x}\nspec: [a]\n",
        [": spec: must be an object, got array"],
    ),
    "marker.yaml": (
        "apiVersion: kro.run/v1alpha1\nkind: ResourceGraphDefinition\nmetadata: {name: x}\n"
        "spec: {schema: {apiVersion: v1, kind: App, spec: {name: 'string | optional=true',"
        " size: 'integer | minimum=abc'}}}\n",
        [
            ": x: failed to build OpenAPI schema for instance: spec.schema.spec.name: invalid marker key"
            ' "optional": unknown marker',
            ": x: failed to build OpenAPI schema for instance: spec.schema.spec.size: minimum value 'abc'"
            " must be a valid number",
        ],
    ),
    "type.yaml": (
        "apiVersion: kro.run/v1alpha1\nkind: ResourceGraphDefinition\nmetadata: {name: x}\n"
        "spec: {schema: {apiVersion: v1, kind: App, spec: {port: Prot}}}\n",
        [": x: failed to build OpenAPI schema for instance: spec.schema.spec.port: unknown type: Prot"],
    ),
    "cycle.yaml": (
        "apiVersion: kro.run/v1alpha1\nkind: ResourceGraphDefinition\nmetadata: {name: x}\n"
        "spec: {schema: {apiVersion: v1, kind: App, types: {A: {b: B}, B: '[]A'}, spec: {a: A}}}\n",
        [
            ": x: failed to build OpenAPI schema for instance: spec.schema.types.A: cyclic dependency in "
            "type A:"
            " graph contains a cycle: A -> B -> A"
        ],
    ),
    "norgd.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
        [": no ResourceGraphDefinition document found"],
    ),
}


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """`pykro.cli.main.main` in-process (same error handling as the installed command, without the start-up
    cost)."""
    monkeypatch.setattr(sys, "argv", ["pykro", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.mark.parametrize("subcommand", ["crd", "instance", "diagram"])
@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_exits_1_with_one_line_per_problem(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    subcommand: str,
) -> None:
    text, expected = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_text(text)
    code, out, err = run_main(monkeypatch, capsys, "generate", subcommand, str(path))
    assert (code, out) == (1, "")
    assert err.splitlines() == [f"error: {path}{suffix}" for suffix in expected]


def test_installed_command_reports_errors_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "cycle.yaml"
    path.write_text(BAD_INPUTS["cycle.yaml"][0])
    result = run_pykro("generate", "crd", str(path))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [f"error: {path}{BAD_INPUTS['cycle.yaml'][1][0]}"]
    ok = run_pykro("generate", "crd", str(E2E / "check-validation-markers" / "rgd.yaml"))
    assert (
        ok.returncode == 0 and yaml.safe_load(ok.stdout)["metadata"]["name"] == "validationtestapps.kro.run"
    )


def test_problems_from_several_documents_are_all_reported(tmp_path: Path) -> None:
    good = (
        "apiVersion: kro.run/v1alpha1\nkind: ResourceGraphDefinition\nmetadata: {name: x}\n"
        "spec: {schema: {apiVersion: v1, kind: App, spec: {a: string}}}\n"
    )
    path = tmp_path / "multi.yaml"
    path.write_text(good + "---\n" + good.replace("kind: App", "kind: app").replace("a: string", "a: nope"))
    result = CliRunner().invoke(command, ["crd", str(path)])
    assert result.exit_code != 0
    lines = result.exception.lines()  # type: ignore[union-attr]
    assert lines == [f"{path}: spec.schema.kind: kind 'app' must match ^[A-Z][a-zA-Z0-9]{{0,62}}$"]


def test_missing_file_argument_is_a_usage_error() -> None:
    result = CliRunner().invoke(command, ["crd"])
    assert result.exit_code == 2 and "exactly once" in result.output
