"""Every RGD shipped with upstream kro (examples, e2e) and pykro's own examples compiles offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from pykro.cli.compile_files import compile_files
from tests.paths import KRO

KRO = KRO
REPO = Path(__file__).resolve().parents[2]


def _rgd_dirs() -> list[Path]:
    dirs = {p.parent for p in KRO.rglob("*.yaml") if "kind: ResourceGraphDefinition" in p.read_text()}
    return sorted(dirs)


def _inputs(directory: Path) -> list[Path]:
    """RGD and CRD files of a directory (chainsaw assertion files are not inputs)."""
    return sorted(p for p in directory.glob("*.yaml") if "assert" not in p.name and "chainsaw" not in p.name)


@pytest.mark.skipif(not KRO.exists(), reason="upstream kro checkout not present")
@pytest.mark.parametrize("directory", _rgd_dirs() if KRO.exists() else [], ids=str)
def test_upstream_rgds_validate(directory: Path) -> None:
    entries = compile_files(_inputs(directory))
    assert entries
    for entry in entries:
        assert entry.error is None, f"{entry.source}: {entry.error}"
        assert entry.graph is not None and len(entry.graph.topological_order) == len(entry.rgd.spec.resources)


def test_config_rollout_example() -> None:
    (entry,) = compile_files([REPO / "examples/config-rollout/rgd.yaml"])
    assert entry.graph is not None, entry.error
    deployment = entry.graph.node("deployment")
    assert deployment.dependencies == ("secret", "config")
    assert entry.graph.status_schema["properties"]["availableReplicas"] == {"type": "integer"}
