"""`/openapi/v2` as kubectl asks for it: protobuf, so kubectl's own errors come through."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pykro.apiserver import EmbeddedAPIServer
from tests.apiserver.conftest import KUBECTL, Api, KubectlIn, ThreadedServer

MISTYPED = "apiVersion: v1\nkind: ConfigMapp\nmetadata:\n  name: x\n"
RGD_AND_INSTANCE = """apiVersion: kro.run/v1alpha1
kind: ResourceGraphDefinition
metadata:
  name: demo.kro.run
spec:
  schema: {apiVersion: v1alpha1, kind: Demo}
  resources: []
---
apiVersion: kro.run/v1alpha1
kind: Demo
metadata:
  name: demo
"""


@pytest.fixture(scope="module")
def kubectl() -> Iterator[KubectlIn]:
    import shutil

    if shutil.which(KUBECTL) is None:
        pytest.skip("kubectl not found")
    with ThreadedServer(workloads=False) as server:
        yield KubectlIn(server, "default")


def test_a_mistyped_kind_gets_kubectls_no_matches_message(kubectl: KubectlIn) -> None:
    done = kubectl.run("apply", "-f", "-", stdin=MISTYPED, check=False)
    assert done.returncode == 1
    assert done.stderr == (
        'error: resource mapping not found for name: "x" namespace: "" from "STDIN": no matches for kind '
        '"ConfigMapp" in version "v1"\nensure CRDs are installed first\n'
    )


def test_kinds_whose_crd_is_not_installed_yet_get_kubectls_mapping_error(kubectl: KubectlIn) -> None:
    done = kubectl.run("apply", "-f", "-", stdin=RGD_AND_INSTANCE, check=False)
    assert done.returncode == 1
    assert "failed to download openapi" not in done.stderr
    assert 'no matches for kind "ResourceGraphDefinition" in version "kro.run/v1alpha1"' in done.stderr
    assert 'no matches for kind "Demo" in version "kro.run/v1alpha1"' in done.stderr


def test_client_side_validation_still_names_an_unknown_field(kubectl: KubectlIn) -> None:
    deployment = """apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  replicaz: 1
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec: {containers: [{name: c, image: nginx}]}
"""
    done = kubectl.run("apply", "--validate=strict", "-f", "-", stdin=deployment, check=False)
    assert done.returncode == 1
    assert 'unknown field "spec.replicaz"' in done.stderr


async def test_the_protobuf_document_carries_every_definition(server: EmbeddedAPIServer, api: Api) -> None:
    accept = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
    headers = api.headers({"Accept": accept})
    async with api.session.get(server.url + "/openapi/v2", headers=headers, ssl=api.ssl) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
        raw = await resp.read()
    assert raw.startswith(b"\n\x032.0")  # field 1 (swagger) = "2.0"
    assert b"io.k8s.api.apps.v1.Deployment" in raw and b"x-kubernetes-group-version-kind" in raw
    status, doc = await api.get("/openapi/v2", headers={"Accept": "application/json"})
    assert status == 200 and doc["swagger"] == "2.0"
    status, err = await api.get("/openapi/v2", headers={"Accept": "text/html"})
    assert status == 406 and err["kind"] == "Status"
