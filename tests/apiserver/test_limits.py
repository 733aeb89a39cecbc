"""Limits and protocol edges as kube-apiserver has them: sizes, nesting depth, URL length, openapi v2."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pykro.apiserver import EmbeddedAPIServer
from tests.apiserver.conftest import KubectlIn, kubectl_namespace


@pytest.fixture
def kubectl(shared_server: EmbeddedAPIServer, request: pytest.FixtureRequest) -> Iterator[KubectlIn]:
    with kubectl_namespace(shared_server, "limits-" + request.node.name.replace("_", "-")[5:30]) as k:
        yield k


def test_unknown_kind_reads_as_kubectls_mapping_error_not_an_openapi_download_failure(
    kubectl: KubectlIn,
) -> None:
    manifest = "apiVersion: v1\nkind: ConfigMapp\nmetadata: {name: typo}\n"
    proc = kubectl.run("apply", "-f", "-", stdin=manifest, check=False)
    assert proc.returncode != 0
    assert "failed to download openapi" not in proc.stderr
    assert 'no matches for kind "ConfigMapp" in version "v1"' in proc.stderr


def test_client_side_validation_names_an_unknown_field(kubectl: KubectlIn) -> None:
    manifest = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
        "spec:\n  replicas: 1\n  bogus: 1\n  selector: {matchLabels: {app: web}}\n"
        "  template:\n    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: c, image: nginx}]}\n"
    )
    proc = kubectl.run(
        "apply", "--validate=strict", "--dry-run=server", "-f", "-", stdin=manifest, check=False
    )
    assert proc.returncode != 0
    assert 'unknown field "spec.bogus"' in proc.stderr
