"""A kro test cluster for users' own RGD tests: pykro's embedded API server and controller, run
in a background thread, behind a small synchronous API.

    cluster = KroTestCluster.start()
    cluster.apply("rgd.yaml")
    cluster.wait_rgd_active("configrollout.kro.run")
    cluster.apply("instance.yaml")
    instance = cluster.wait_instance("ConfigRollout", "demo")
    deployment = cluster.get("apps/v1", "Deployment", "demo")
    cluster.stop()

The pytest plugin (`pykro.testing.plugin`) hands one to each test as the `kro` fixture. The
server and controller run on their own event loop, so tests may be plain functions or asyncio
ones alike. Every wait fails with an `AssertionError` that shows what was last seen.
"""

from __future__ import annotations

import asyncio
import builtins
import os
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import yaml

from pykro.kube import KubeClient, NotFound, load_kubeconfig
from pykro.schema.gvk import GVK

T = TypeVar("T")
Obj = dict[str, Any]

FIELD_MANAGER = "pykro-test"
RGD = GVK("kro.run", "v1alpha1", "ResourceGraphDefinition")
_GROUP_KINDS = "applyset.kubernetes.io/contains-group-kinds"
_INSTANCE_ID = "kro.run/instance-id"
_POLL = 0.05


def _documents(source: str | Path | Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> list[Obj]:
    """Objects from a YAML file, YAML text, one object or several."""
    if isinstance(source, Mapping):
        return [dict(source)]
    if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and source.endswith((".yaml", ".yml"))
    ):
        text = Path(source).read_text()
    elif isinstance(source, str):
        text = source
    else:
        return [dict(doc) for doc in source]
    return [doc for doc in yaml.safe_load_all(text) if doc]


def _conditions(obj: Mapping[str, Any]) -> str:
    lines = [
        f"  {c.get('type')}={c.get('status')} reason={c.get('reason', '')} message={c.get('message', '')!r}"
        for c in (obj.get("status") or {}).get("conditions") or []
    ]
    return "\n".join(lines) or "  (no conditions)"


class KroTestCluster:
    """An API server with kro's controller beside it, and helpers to drive and inspect it.

    `start()` starts pykro's embedded server (in memory) and controller; `connect(kubeconfig)` uses
    an existing cluster where a kro controller already runs. `namespace` is where namespaced
    objects without a namespace go.
    """

    def __init__(
        self,
        session: Callable[[], AbstractAsyncContextManager[Path]],
        *,
        namespace: str = "default",
        timeout: float = 60.0,
    ) -> None:
        self.namespace = namespace
        self.timeout = timeout
        self.kubeconfig = Path()
        self._session = session
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pykro-test-cluster", daemon=True)
        self._stop: asyncio.Event | None = None
        self._done: asyncio.Future[None] | None = None
        self._client: KubeClient | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    @classmethod
    def start(cls, *, namespace: str = "default", timeout: float = 60.0) -> KroTestCluster:
        """pykro's embedded API server (in memory) with kro's CRDs and controller."""
        from pykro.testing.backend import EmbeddedServer, default_controller_hook

        server = EmbeddedServer(start_controller=default_controller_hook())
        return cls(server.session, namespace=namespace, timeout=timeout)._run()

    @classmethod
    def connect(
        cls, kubeconfig: Path | str, *, namespace: str = "default", timeout: float = 60.0
    ) -> KroTestCluster:
        """An existing cluster (kro or pykro must already run there)."""

        @asynccontextmanager
        async def existing() -> AsyncIterator[Path]:
            yield Path(kubeconfig)

        return cls(existing, namespace=namespace, timeout=timeout)._run()

    def _run(self) -> KroTestCluster:
        self._thread.start()
        ready = asyncio.run_coroutine_threadsafe(self._open(), self._loop)
        try:
            self.kubeconfig = ready.result(timeout=self.timeout)
        except BaseException:
            self.stop()
            raise
        return self

    async def _open(self) -> Path:
        started: asyncio.Future[Path] = self._loop.create_future()
        self._stop = asyncio.Event()
        self._done = asyncio.ensure_future(self._hold(started))
        return await started

    async def _hold(self, started: asyncio.Future[Path]) -> None:
        try:
            async with self._session() as kubeconfig:
                config = load_kubeconfig(str(kubeconfig), qps=1000.0, burst=1000)
                async with KubeClient(config) as client:
                    self._client = client
                    started.set_result(kubeconfig)
                    assert self._stop is not None
                    await self._stop.wait()
        except BaseException as err:
            if not started.done():
                started.set_exception(err)
            raise

    def stop(self) -> None:
        """Stop the controller and server (if started here) and the background loop."""
        if self._thread.is_alive():
            if self._stop is not None and self._done is not None:
                self._loop.call_soon_threadsafe(self._stop.set)
                done = self._done

                async def wait_done() -> None:
                    await asyncio.gather(done, return_exceptions=True)

                asyncio.run_coroutine_threadsafe(wait_done(), self._loop).result(timeout=self.timeout)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=self.timeout)
        if not self._loop.is_running():
            self._loop.close()

    def __enter__(self) -> KroTestCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, make: Callable[[KubeClient], Coroutine[Any, Any, T]], timeout: float | None = None) -> T:
        if self._client is None:
            raise RuntimeError("the test cluster is not running")
        client = self._client
        future = asyncio.run_coroutine_threadsafe(make(client), self._loop)
        return future.result(timeout=timeout if timeout is not None else self.timeout)

    # --- objects -------------------------------------------------------------------------------

    def apply(
        self,
        source: str | Path | Mapping[str, Any] | Iterable[Mapping[str, Any]],
        *,
        namespace: str | None = None,
    ) -> list[Obj]:
        """Server-side apply every object of `source` (a YAML file, YAML text or objects), in order,
        as kubectl apply --server-side would; returns what the server stored. Namespaced objects go
        to `namespace` if given, else to their own, else to the test's (`self.namespace`)."""
        applied = []
        for doc in _documents(source):
            applied.append(self._apply_one(doc, namespace))
        return applied

    def _apply_one(self, doc: Obj, namespace: str | None) -> Obj:
        gvk = GVK.from_api_version(str(doc.get("apiVersion", "")), str(doc.get("kind", "")))
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return self._call(lambda c: self._apply_async(c, gvk, doc, namespace))
            except NotFound:
                # A kind whose CRD was applied a moment ago is served once the CRD is Established.
                if time.monotonic() >= deadline:
                    raise AssertionError(
                        f"the cluster does not serve {gvk.kind} in {gvk.api_version}"
                    ) from None
                time.sleep(0.2)

    async def _apply_async(self, client: KubeClient, gvk: GVK, doc: Obj, namespace: str | None) -> Obj:
        try:
            res = await client.resource(gvk)
        except NotFound:
            client.mapper.invalidate()
            raise
        if not res.namespaced:
            return await client.apply(doc, field_manager=FIELD_MANAGER, force=True)
        # An explicit namespace wins over the file's, so one file serves many isolated tests.
        ns = namespace or (doc.get("metadata") or {}).get("namespace") or self.namespace
        doc = {**doc, "metadata": {**(doc.get("metadata") or {}), "namespace": ns}}
        return await client.apply(doc, field_manager=FIELD_MANAGER, force=True, namespace=ns)

    def get(self, api_version: str, kind: str, name: str, *, namespace: str | None = None) -> Obj | None:
        """The object, or None when it does not exist."""
        gvk = GVK.from_api_version(api_version, kind)

        async def read(client: KubeClient) -> Obj | None:
            try:
                return await client.get(gvk, name, namespace=namespace or self.namespace)
            except NotFound:
                return None

        return self._call(read)

    def list(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
    ) -> builtins.list[Obj]:
        gvk = GVK.from_api_version(api_version, kind)

        async def read(client: KubeClient) -> builtins.list[Obj]:
            page = await client.list(
                gvk, namespace=namespace or self.namespace, label_selector=label_selector
            )
            return list(page.items)

        return self._call(read)

    def delete(self, api_version: str, kind: str, name: str, *, namespace: str | None = None) -> None:
        gvk = GVK.from_api_version(api_version, kind)

        async def remove(client: KubeClient) -> None:
            try:
                await client.delete(gvk, name, namespace=namespace or self.namespace)
            except NotFound:
                pass

        self._call(remove)

    def children(self, instance: Mapping[str, Any]) -> builtins.list[Obj]:
        """Every object kro manages for `instance`: the kinds its ApplySet annotation lists, labelled
        with its uid, in every namespace."""
        meta = instance.get("metadata") or {}
        uid = str(meta.get("uid", ""))
        group_kinds = [
            gk for gk in str((meta.get("annotations") or {}).get(_GROUP_KINDS, "")).split(",") if gk
        ]

        async def read(client: KubeClient) -> builtins.list[Obj]:
            await client.mapper.refresh()
            found: builtins.list[Obj] = []
            for gk in group_kinds:
                kind, _, group = gk.partition(".")
                served = [
                    r.gvk for r in client.mapper.all_resources() if (r.gvk.kind, r.gvk.group) == (kind, group)
                ]
                if not served:
                    continue
                gvk = served[0]
                page = await client.list(gvk, label_selector=f"{_INSTANCE_ID}={uid}")
                found.extend(page.items)
            return found

        return self._call(read)

    # --- waiting -------------------------------------------------------------------------------

    def wait_for(
        self, probe: Callable[[], T | None], *, timeout: float | None = None, what: str = "condition"
    ) -> T:
        """Poll `probe` until it returns something truthy; else fail naming `what` and the last value."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        last: T | None = None
        while True:
            last = probe()
            if last:
                return last
            if time.monotonic() >= deadline:
                raise AssertionError(f"timed out waiting for {what}; last seen: {last!r}")
            time.sleep(_POLL)

    def wait_rgd_active(self, name: str, *, timeout: float | None = None) -> Obj:
        """Wait until the RGD `name` is Active for its current generation; returns it."""

        def active(rgd: Obj) -> bool:
            generation = rgd.get("metadata", {}).get("generation")
            status = rgd.get("status") or {}
            return status.get("state") == "Active" and any(
                (c.get("type"), c.get("status"), c.get("observedGeneration")) == ("Ready", "True", generation)
                for c in status.get("conditions") or []
            )

        return self._wait_object(
            RGD.api_version,
            RGD.kind,
            name,
            None,
            active,
            timeout,
            "Active",
            lambda rgd: f"is not Active (state {(rgd.get('status') or {}).get('state', '')!r})",
        )

    def wait_instance(
        self,
        kind: str,
        name: str,
        *,
        state: str = "ACTIVE",
        api_version: str = "kro.run/v1alpha1",
        namespace: str | None = None,
        timeout: float | None = None,
    ) -> Obj:
        """Wait until the instance's `status.state` is `state` (ACTIVE, IN_PROGRESS, ERROR, ...)."""

        def now(obj: Obj) -> str:
            return str((obj.get("status") or {}).get("state") or "")

        return self._wait_object(
            api_version,
            kind,
            name,
            namespace,
            lambda obj: now(obj) == state,
            timeout,
            state,
            lambda obj: f"is {now(obj) or 'without a state'}, not {state}",
        )

    def _wait_object(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None,
        accept: Callable[[Obj], bool],
        timeout: float | None,
        goal: str,
        describe: Callable[[Obj], str],
    ) -> Obj:
        """Poll the object until `accept` holds; else fail with `describe(last seen)` and its conditions."""
        seen: list[Obj | None] = [None]

        def probe() -> Obj | None:
            obj = seen[0] = self.get(api_version, kind, name, namespace=namespace)
            return obj if obj is not None and accept(obj) else None

        try:
            return self.wait_for(probe, timeout=timeout, what=f"{kind} {name} to be {goal}")
        except AssertionError:
            last = seen[0]
            if last is None:
                raise AssertionError(f"{kind} {name} does not exist") from None
            raise AssertionError(f"{kind} {name} {describe(last)}:\n{_conditions(last)}") from None

    def wait_gone(
        self,
        api_version: str,
        kind: str,
        name: str,
        *,
        namespace: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.wait_for(
            lambda: self.get(api_version, kind, name, namespace=namespace) is None,
            timeout=timeout,
            what=f"{kind} {name} to be deleted",
        )

    # --- kubectl -------------------------------------------------------------------------------

    def kubectl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run kubectl against this cluster; with `check`, a non-zero exit fails with kubectl's stderr."""
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig)}
        done = subprocess.run(
            ["kubectl", *args], capture_output=True, text=True, env=env, timeout=self.timeout
        )
        if check and done.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
        return done
