"""pytest plugin (entry point `pytest11`): test your own ResourceGraphDefinitions with no cluster.

Installing pykro registers it. It adds the fixture `kro`: a `KroTestCluster` shared by the whole
test session (pykro's embedded API server and controller, started on first use), with a fresh
namespace for each test. `--kro-kubeconfig PATH` runs the same tests against an existing cluster
where kro runs instead. Nothing starts unless a test asks for the fixture.

    def test_rollout(kro):
        kro.apply("rgd.yaml")
        kro.wait_rgd_active("configrollout.kro.run")
        kro.apply("instance.yaml")
        kro.wait_instance("ConfigRollout", "demo")
        assert kro.get("apps/v1", "Deployment", "demo") is not None
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pykro.testing.cluster import KroTestCluster

_numbers = itertools.count(1)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pykro", "pykro: testing ResourceGraphDefinitions")
    group.addoption(
        "--kro-kubeconfig",
        default=None,
        metavar="PATH",
        help="run `kro` fixture tests against this cluster (kro must run there), not an embedded one",
    )


@pytest.fixture(scope="session")
def kro_cluster(request: pytest.FixtureRequest) -> Iterator[KroTestCluster]:
    """The session's cluster: pykro's embedded API server and controller, or `--kro-kubeconfig`."""
    from pykro.testing.cluster import KroTestCluster

    kubeconfig = request.config.getoption("--kro-kubeconfig")
    cluster = KroTestCluster.connect(kubeconfig) if kubeconfig else KroTestCluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def kro(kro_cluster: KroTestCluster, request: pytest.FixtureRequest) -> Iterator[KroTestCluster]:
    """The session's cluster, with a namespace of this test's own as the default namespace."""
    slug = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    namespace = f"t{next(_numbers)}-{slug}"
    kro_cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    previous, kro_cluster.namespace = kro_cluster.namespace, namespace
    try:
        yield kro_cluster
    finally:
        kro_cluster.namespace = previous
