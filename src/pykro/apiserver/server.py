"""`EmbeddedAPIServer`: a Kubernetes-compatible API server in this process, over HTTPS."""

from __future__ import annotations

import asyncio
import errno
import fcntl
import ipaddress
import os
import re
import shutil
import socket
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO

from aiohttp import web

from pykro.apiserver.admission.chain import Admission
from pykro.apiserver.admission.policyeval import PolicyAdmission
from pykro.apiserver.controllers.eventttl import DEFAULT_EVENT_TTL, EventExpiry
from pykro.apiserver.controllers.garbagecollector import GarbageCollector
from pykro.apiserver.controllers.node import ensure_node
from pykro.apiserver.controllers.workloads import Workloads
from pykro.apiserver.endpoints import kubeconfig, tls
from pykro.apiserver.endpoints.connections import DEFAULT_CONNECTION_LIMITS, ApiRunner, ConnectionLimits
from pykro.apiserver.endpoints.handlers import MAX_BODY, ApiHandler
from pykro.apiserver.endpoints.openapi import OpenAPI
from pykro.apiserver.registry.kinds import Catalog
from pykro.apiserver.registry.pipeline import WritePipeline
from pykro.apiserver.registry.resources import Resources
from pykro.apiserver.storage.persistence import SqliteBackend
from pykro.apiserver.storage.store import Store
from pykro.apiserver.storage.watch import WINDOW_BYTES
from pykro.errors import Problem, PykroError
from pykro.timestamps import now_rfc3339

INITIAL_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"]
DB_NAME = "state.db"
LOCK_NAME = "lock"  # flock held by the running server


def _url_host(bind: str) -> str:
    if bind in ("0.0.0.0", ""):
        return "127.0.0.1"
    if bind == "::":
        return "[::1]"
    return f"[{bind}]" if ":" in bind else bind


class EmbeddedAPIServer:
    """Serves the Kubernetes REST API for built-in kinds and CRDs.

    `data_dir=None` keeps everything in memory (credentials and kubeconfig go to a
    temporary directory removed on stop). With a directory, objects live in
    `DIR/state.db` and survive restarts and crashes; `DIR/kubeconfig` grants admin access.
    `watch_window` is how many recent events a watch can resume from before it gets 410, and
    `watch_window_bytes` how many bytes of objects those events may hold at most.
    `event_ttl`: seconds an Event lives after its last write (kube-apiserver's `--event-ttl`).
    """

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        port: int = 0,
        bind: str = "127.0.0.1",
        workloads: bool = True,
        watch_window: int = 10_000,
        watch_window_bytes: int = WINDOW_BYTES,
        workload_delay: float = 0.0,
        event_ttl: float = DEFAULT_EVENT_TTL,
        connection_limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
        tls_sans: tuple[str, ...] = (),
    ) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.port = port
        self.bind = bind
        self.workloads = (
            workloads  # run the simulated workload controllers (Deployments roll, Pods get Ready, ...)
        )
        self.workload_delay = workload_delay  # seconds each simulated controller round waits first
        self.watch_window = watch_window
        self.event_ttl = event_ttl
        self.watch_window_bytes = watch_window_bytes
        self.connection_limits = connection_limits  # kube-apiserver's header and idle timeouts by default
        self.tls_sans = tuple(map(_subject_alt_name, tls_sans))  # more names the serving certificate has
        self.pipeline = WritePipeline()
        self._tmp: Path | None = None
        self._lock: IO[str] | None = None
        self._runner: web.AppRunner | None = None
        self._store: Store | None = None
        self._handler: ApiHandler | None = None
        self._catalog: Catalog | None = None
        self._creds: tls.Credentials | None = None
        self._url = ""
        self._gc: GarbageCollector | None = None
        self._workloads: Workloads | None = None
        self._event_expiry: EventExpiry | None = None

    # public attributes -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        self._require()
        return self._url

    @property
    def kubeconfig_path(self) -> Path:
        return self._dir() / "kubeconfig"

    @property
    def token(self) -> str:
        assert self._creds is not None, "server not started"
        return self._creds.token

    @property
    def ca_path(self) -> Path:
        assert self._creds is not None, "server not started"
        return self._creds.ca_path

    @property
    def store(self) -> Store:
        assert self._store is not None, "server not started"
        return self._store

    @property
    def catalog(self) -> Catalog:
        assert self._catalog is not None, "server not started"
        return self._catalog

    @property
    def handler(self) -> ApiHandler:
        assert self._handler is not None, "server not started"
        return self._handler

    def _require(self) -> None:
        if not self._url:
            raise RuntimeError("EmbeddedAPIServer is not started")

    def _dir(self) -> Path:
        if self.data_dir is not None:
            return self.data_dir
        assert self._tmp is not None, "server not started"
        return self._tmp

    # lifecycle -------------------------------------------------------------------------------------
    async def start(self) -> None:
        # Bind first: a port in use or an unknown address fails before anything else has started.
        sock = self._listen()
        try:
            directory = self._claim_data_dir()
        except BaseException:
            sock.close()
            raise
        extra = (*(() if self.bind in ("", "0.0.0.0", "::") else (self.bind,)), *self.tls_sans)
        self._creds = await asyncio.to_thread(tls.load_or_create, directory, extra)
        backend = SqliteBackend(directory / DB_NAME, self.watch_window) if self.data_dir is not None else None
        self._store = Store(backend, window=self.watch_window)
        self._store.log.max_bytes = self.watch_window_bytes
        await self._store.open()
        self._catalog = await asyncio.to_thread(Catalog)
        policies = PolicyAdmission(self._store, self._catalog)
        Admission(self._store, self._catalog.schema_for, now_rfc3339, policies).install(self.pipeline)
        resources = Resources(self._store, self._catalog, self.pipeline)
        resources.restore_crds()
        await resources.ensure_namespaces(INITIAL_NAMESPACES)
        await ensure_node(resources, self._catalog)
        self._gc = GarbageCollector(self._store, self._catalog, resources)
        self._gc.start()
        self._event_expiry = EventExpiry(self._store, self._catalog, resources, self.event_ttl)
        self._event_expiry.start()
        if self.workloads:
            self._workloads = Workloads(self._store, self._catalog, resources, self.workload_delay)
            self._workloads.start()
        self._handler = ApiHandler(
            resources,
            self._catalog,
            OpenAPI(self._catalog, self._catalog.schemas.kubernetes_version),
            self._creds.token,
        )
        app = web.Application(client_max_size=MAX_BODY * 2)
        app.router.add_route("*", "/{tail:.*}", self._handler.handle)
        self._runner = ApiRunner(app, self.connection_limits)
        await self._runner.setup()
        site = web.SockSite(self._runner, sock, ssl_context=self._creds.server_context())
        await site.start()
        port = sock.getsockname()[1]
        self._url = f"https://{_url_host(self.bind)}:{port}"
        self._handler.server_address = f"{_url_host(self.bind)}:{port}"
        kubeconfig.write(self.kubeconfig_path, self._url, self._creds.ca_path, self._creds.token)

    def _claim_data_dir(self) -> Path:
        """The data directory, owner-only (it holds every Secret), locked for this server's life so a
        second server on it refuses to start instead of rewriting the kubeconfig under the first."""
        if self.data_dir is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="pykro-apiserver-"))
        directory = self._dir()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
        lock = open(directory / LOCK_NAME, "a")  # held open (and locked) until stop()
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise _flag_error("--data-dir", f"{directory} is in use by another pykro API server") from None
        self._lock = lock
        return directory

    def _listen(self) -> socket.socket:
        """The listening socket, or a one-line `PykroError` naming the flag and the problem."""
        if not 0 <= self.port <= 65535:
            raise _flag_error("--port", f"{self.port} is not a TCP port (0-65535; 0 picks a free one)")
        family = socket.AF_INET6 if ":" in self.bind else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.bind, self.port))
        except socket.gaierror:
            sock.close()
            raise _flag_error("--bind", f"cannot resolve address {self.bind!r}") from None
        except OSError as err:
            sock.close()
            if err.errno == errno.EADDRINUSE:
                raise _flag_error("--port", f"port {self.port} on {self.bind} is already in use") from None
            raise _flag_error("--bind", f"cannot listen on {self.bind}:{self.port}: {err.strerror}") from None
        return sock

    async def settle(self) -> None:
        """Wait until the garbage collector and the simulated controllers have nothing left to do.

        Gives up after 100 rounds of work begetting work, so controllers that never converge can't hang a
        test.
        """
        for _ in range(100):
            queues = [c.queue for c in (self._gc, self._workloads) if c is not None]
            for q in queues:
                await q.idle()
            await asyncio.sleep(0)
            if all(q.is_idle for q in queues):
                return

    async def stop(self) -> None:
        for controller in (self._workloads, self._gc, self._event_expiry):
            if controller is not None:
                await controller.stop()
        self._workloads = self._gc = self._event_expiry = None
        if self._store is not None:
            self._store.log.close_all()  # ends every watch stream so the HTTP shutdown is quick
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._store is not None:
            await self._store.close()
            self._store = None
        self._url = ""
        if self._lock is not None:
            self._lock.close()  # releases the flock
            self._lock = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    async def __aenter__(self) -> EmbeddedAPIServer:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


_DNS_NAME = re.compile(r"(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", re.I)


def _subject_alt_name(value: str) -> str:
    """`value` as the serving certificate will name it (IPs normalized), or a `--tls-san` error."""
    try:
        return str(ipaddress.ip_address(value.strip("[]")))
    except ValueError:
        pass
    if len(value) <= 253 and _DNS_NAME.fullmatch(value):
        return value.lower()
    raise _flag_error("--tls-san", f"{value!r} is neither an IP address nor a DNS name")


def _flag_error(flag: str, message: str) -> PykroError:
    return PykroError(f"{flag}: {message}", (Problem(flag, message),))
