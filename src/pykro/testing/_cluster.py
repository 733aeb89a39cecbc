"""The few cluster operations the Chainsaw runner needs, over `pykro.kube.KubeClient`.

Kept to one small surface (resolve, get, list, create, merge-patch, delete) so the runner does
not depend on the client's full API. Kinds are re-discovered on a miss (the client's
RESTMapper does that), because tests create CRDs while they run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from pykro.kube.client import KubeClient, PatchType
from pykro.kube.errors import ApiError, NotFound
from pykro.kube.restmapper import UnknownKind as KubeUnknownKind
from pykro.schema.gvk import GVK


class ClusterError(Exception):
    """The API server refused a request; `reason` is the Status reason (`AlreadyExists`, ...)."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{message} ({status} {reason})" if reason else f"{message} ({status})")
        self.status = status
        self.reason = reason
        self.message = message

    @classmethod
    def of(cls, err: ApiError) -> ClusterError:
        return cls(err.code, err.reason, err.message)


class UnknownKind(Exception):
    """The cluster does not (yet) serve this apiVersion/kind."""

    def __init__(self, api_version: str, kind: str) -> None:
        super().__init__(f"the cluster does not serve kind {kind} in {api_version}")
        self.api_version = api_version
        self.kind = kind


@dataclass(frozen=True)
class KindRef:
    api_version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def gvk(self) -> GVK:
        return GVK.from_api_version(self.api_version, self.kind)


class Cluster:
    """An open connection to one API server: `async with Cluster.connect(path) as cluster:`.

    Errors: `ClusterError` for refusals, `UnknownKind` from `resolve`; an unreachable server or
    unusable kubeconfig raise `pykro.kube.errors.KubeError` (a `PykroError`).
    """

    def __init__(self, client: KubeClient, source: str) -> None:
        self._client = client
        self.source = source

    @classmethod
    def connect(cls, kubeconfig: Path) -> Cluster:
        return cls(KubeClient.from_kubeconfig(str(kubeconfig)), str(kubeconfig))

    async def __aenter__(self) -> Cluster:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._client.aclose()

    async def resolve(self, api_version: str, kind: str) -> KindRef:
        """The REST mapping of a kind; raises `UnknownKind` if the cluster does not serve it."""
        try:
            res = await self._client.resource(GVK.from_api_version(api_version, kind))
        except KubeUnknownKind:
            raise UnknownKind(api_version, kind) from None
        except ApiError as err:
            raise ClusterError.of(err) from None
        return KindRef(api_version, kind, res.plural, res.namespaced)

    async def get(self, ref: KindRef, name: str, namespace: str | None) -> dict[str, Any] | None:
        try:
            return await self._client.get(ref.gvk, name, namespace=namespace)
        except NotFound:
            return None
        except ApiError as err:
            raise ClusterError.of(err) from None

    async def list(
        self, ref: KindRef, namespace: str | None, labels: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        selector = ",".join(f"{k}={v}" for k, v in labels.items()) if labels else None
        try:
            return (await self._client.list_all(ref.gvk, namespace=namespace, label_selector=selector)).items
        except NotFound:
            return []
        except ApiError as err:
            raise ClusterError.of(err) from None

    async def create(self, ref: KindRef, obj: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return await self._client.create(obj)
        except ApiError as err:
            raise ClusterError.of(err) from None

    async def merge_patch(
        self, ref: KindRef, name: str, namespace: str | None, patch: Mapping[str, Any]
    ) -> dict[str, Any]:
        try:
            return await self._client.patch(
                ref.gvk, name, dict(patch), namespace=namespace, patch_type=PatchType.MERGE
            )
        except ApiError as err:
            raise ClusterError.of(err) from None

    async def delete(self, ref: KindRef, name: str, namespace: str | None) -> bool:
        """Delete (background propagation); False when it was already gone."""
        try:
            await self._client.delete(ref.gvk, name, namespace=namespace, propagation_policy="Background")
        except NotFound:
            return False
        except ApiError as err:
            raise ClusterError.of(err) from None
        return True
