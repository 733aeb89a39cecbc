"""Where the Chainsaw runner's cluster comes from.

A `Backend` is anything whose `session()` is an async context manager yielding a kubeconfig
path that stays valid until the context exits. Two are provided: an existing cluster, and
pykro's embedded API server with an optional controller started beside it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Protocol

from pykro.api.crd import rgd_crd_manifest
from pykro.errors import Problem, PykroError
from pykro.testing._cluster import Cluster, ClusterError, UnknownKind

# Starts a controller against the cluster in `kubeconfig_path`; runs until the context exits.
ControllerHook = Callable[[Path], AbstractAsyncContextManager[object]]


class Backend(Protocol):
    def session(self) -> AbstractAsyncContextManager[Path]: ...


class ExistingCluster:
    """A cluster named by a kubeconfig: the given path, else $KUBECONFIG, else ~/.kube/config."""

    def __init__(self, kubeconfig: Path | None = None) -> None:
        self._kubeconfig = kubeconfig

    def kubeconfig(self) -> Path:
        if self._kubeconfig is not None:
            path = self._kubeconfig
        elif os.environ.get("KUBECONFIG"):
            # kubectl merges a list; the runner uses the first file, which holds the current context.
            path = Path(os.environ["KUBECONFIG"].split(os.pathsep)[0])
        else:
            path = Path.home() / ".kube" / "config"
        if not path.is_file():
            raise PykroError(
                f"{path}: kubeconfig not found", (Problem("", "kubeconfig not found", str(path)),)
            )
        return path

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[Path]:
        yield self.kubeconfig()

    def session(self) -> AbstractAsyncContextManager[Path]:
        return self._session()


async def install_kro_crds(kubeconfig: Path, *, timeout: float = 30.0) -> None:
    """Create the ResourceGraphDefinition CRD (as kro's Helm chart does) and wait until it is served."""
    manifest = rgd_crd_manifest()
    spec = manifest["spec"]
    api_version = f"{spec['group']}/{spec['versions'][0]['name']}"
    async with Cluster.connect(kubeconfig) as cluster:
        crds = await cluster.resolve("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        try:
            await cluster.create(crds, manifest)
        except ClusterError as err:
            if err.status != 409:
                raise
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                await cluster.resolve(api_version, spec["names"]["kind"])
                return
            except UnknownKind:
                if asyncio.get_running_loop().time() >= deadline:
                    message = f"the {manifest['metadata']['name']} CRD was not served within {timeout:.0f}s"
                    raise PykroError(message, (Problem("", message),)) from None
            await asyncio.sleep(0.1)


class EmbeddedServer:
    """pykro's embedded API server (in-memory unless `data_dir`) with kro's CRDs installed,
    plus `start_controller` if given: the equivalent of a test cluster with kro deployed."""

    def __init__(
        self,
        *,
        data_dir: Path | None = None,
        start_controller: ControllerHook | None = None,
        install_crds: bool = True,
    ) -> None:
        self._data_dir = data_dir
        self._start_controller = start_controller
        self._install_crds = install_crds

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[Path]:
        from pykro.apiserver import EmbeddedAPIServer

        async with EmbeddedAPIServer(data_dir=self._data_dir, port=0) as server:
            kubeconfig = Path(server.kubeconfig_path)
            if self._install_crds:
                await install_kro_crds(kubeconfig)
            if self._start_controller is None:
                yield kubeconfig
            else:
                async with self._start_controller(kubeconfig):
                    yield kubeconfig

    def session(self) -> AbstractAsyncContextManager[Path]:
        return self._session()


def default_controller_hook() -> ControllerHook:
    """pykro's own controller, started against the scenario's cluster."""
    from pykro.controller.manager import start_controller

    return start_controller
