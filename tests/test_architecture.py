"""docs/architecture.md's import rules, checked: each package imports only what the map allows."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "pykro"
PRIMITIVES = {"pykro", "errors", "jsontypes", "fnv", "timestamps", "goregexp", "dnsnames"}
EVERYTHING = {"api", "schema", "cel", "graph", "runtime", "kube", "toolkit", "controller", "apiserver"}

# package -> the pykro packages it may import (besides itself and the primitives); apiserver's
# subpackages are checked one by one.
ALLOWED: dict[str, set[str]] = {
    "api": set(),
    "schema": {"api"},
    "cel": set(),
    "graph": {"cel", "schema", "api"},
    "runtime": {"graph", "cel", "api"},
    "kube": {"schema"},
    "toolkit": {"kube", "schema"},
    "controller": {"toolkit", "kube", "runtime", "graph", "cel", "schema", "api"},
    "testing": EVERYTHING,
    "cli": EVERYTHING | {"testing"},
    "apiserver.machinery": set(),
    "apiserver.storage": {"apiserver.machinery"},
    "apiserver.registry": {"apiserver.storage", "apiserver.machinery", "schema"},
    "apiserver.admission": {
        "apiserver.registry",
        "apiserver.storage",
        "apiserver.machinery",
        "cel",
        "schema",
    },
    "apiserver.controllers": {"apiserver.registry", "apiserver.storage", "apiserver.machinery"},
    "apiserver.endpoints": {
        "apiserver.registry",
        "apiserver.storage",
        "apiserver.machinery",
        "apiserver.controllers",
        "schema",
    },
    "apiserver": {
        f"apiserver.{p}"
        for p in ("endpoints", "registry", "admission", "storage", "machinery", "controllers", "server")
    },
}


def _package(parts: tuple[str, ...]) -> str:
    """`pykro.apiserver.registry.kinds` → `apiserver.registry`; `pykro.graph.dag` → `graph`."""
    if len(parts) < 2:
        return "pykro"
    if parts[1] == "apiserver" and len(parts) >= 3:
        if (SRC / "apiserver" / parts[2]).is_dir() or parts[2] == "server":
            return f"apiserver.{parts[2]}"
    return parts[1]


def _is_module(parts: tuple[str, ...]) -> bool:
    where = SRC.joinpath(*parts[1:])
    return where.with_suffix(".py").exists() or (where / "__init__.py").exists()


def _imports(path: Path) -> set[str]:
    """The packages a module imports (`from pykro.x import y`: y's package when y is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pykro"):
            base = tuple(node.module.split("."))
            for alias in node.names:
                sub = (*base, alias.name)
                found.add(_package(sub if _is_module(sub) else base))
        elif isinstance(node, ast.Import):
            found.update(_package(tuple(a.name.split("."))) for a in node.names if a.name.startswith("pykro"))
    return found


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "data" not in p.parts)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_follow_the_map(path: Path) -> None:
    own = _package(("pykro", *path.relative_to(SRC).with_suffix("").parts))
    if own in PRIMITIVES or own in ("__init__", "apiserver.server"):
        return
    allowed = ALLOWED[own] | PRIMITIVES | {own}
    if own == "apiserver":
        allowed |= ALLOWED["apiserver"]
    imported = _imports(path)
    if not own.startswith("apiserver"):  # outside it, the apiserver is one package
        imported = {"apiserver" if i.startswith("apiserver") else i for i in imported}
    stray = imported - allowed
    assert not stray, f"{path.relative_to(SRC)} ({own}) imports {sorted(stray)}; see docs/architecture.md"


def test_nothing_but_cli_and_testing_imports_the_apiserver() -> None:
    for path in _modules():
        own = _package(("pykro", *path.relative_to(SRC).with_suffix("").parts))
        if own.startswith("apiserver") or own in ("cli", "testing"):
            continue
        assert not {i for i in _imports(path) if i.startswith("apiserver")}, path


def test_the_map_names_every_package() -> None:
    doc = (SRC.parents[1] / "docs" / "architecture.md").read_text()
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    for name in packages:
        assert f"`pykro.{name}`" in doc, f"docs/architecture.md does not describe pykro.{name}"
    for sub in (SRC / "apiserver").iterdir():
        if sub.is_dir() and (sub / "__init__.py").exists():
            assert f"| `{sub.name}` |" in doc, f"docs/architecture.md does not describe apiserver/{sub.name}"
