"""Create or update an RGD's instance CRD and wait for it to be served (spec §6.4)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from pykro.api.conventions import OWNED_LABEL, RGD_ID_LABEL, RGD_NAME_LABEL
from pykro.controller.rgd.compat import breaking_changes, summarize
from pykro.errors import Problem, PykroError
from pykro.kube.client import KubeClient
from pykro.kube.errors import NotFound
from pykro.schema.gvk import GVK

CRD = GVK("apiextensions.k8s.io", "v1", "CustomResourceDefinition")
LEGACY_MANAGED_BY = "app.kubernetes.io/managed-by"
_SPEC_KEYS = ("group", "names", "scope", "versions")


class CRDError(PykroError):
    """The instance CRD cannot be created or updated; the message goes into `KindReady`."""

    def __init__(self, message: str, crd_name: str = "", *, breaking: bool = False) -> None:
        super().__init__(
            message, (Problem(f"customresourcedefinitions/{crd_name}" if crd_name else "", message),)
        )
        self.breaking = breaking  # a schema change that existing instances may not survive


def stamp(crd: Mapping[str, Any], rgd_name: str, rgd_uid: str) -> dict[str, Any]:
    """A copy of `crd` carrying kro's ownership labels for this RGD."""
    out = dict(crd)
    meta = dict(out.get("metadata") or {})
    labels = dict(meta.get("labels") or {})
    labels.update({OWNED_LABEL: "true", RGD_NAME_LABEL: rgd_name, RGD_ID_LABEL: rgd_uid})
    meta["labels"] = labels
    out["metadata"] = meta
    return out


def owner_of(crd: Mapping[str, Any]) -> str | None:
    """The RGD name a kro-owned CRD belongs to (None if the CRD is not kro's)."""
    labels = (crd.get("metadata") or {}).get("labels") or {}
    if labels.get(OWNED_LABEL) != "true" and labels.get(LEGACY_MANAGED_BY) != "kro":
        return None
    return str(labels.get(RGD_NAME_LABEL, ""))


def _subset(want: Any, have: Any) -> bool:
    """`want` is contained in `have` (the server adds defaults, so equality is too strict)."""
    if isinstance(want, Mapping):
        return isinstance(have, Mapping) and all(k in have and _subset(v, have[k]) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and len(want) == len(have) and all(map(_subset, want, have))
    return bool(want == have)


def _schemas(crd: Mapping[str, Any]) -> list[Any]:
    return [
        (v.get("schema") or {}).get("openAPIV3Schema") for v in (crd.get("spec") or {}).get("versions") or []
    ]


def up_to_date(desired: Mapping[str, Any], existing: Mapping[str, Any]) -> bool:
    """No update needed: same schemas exactly, names/scope/labels/annotations already in place."""
    want_meta, have_meta = desired.get("metadata") or {}, existing.get("metadata") or {}
    for key in ("labels", "annotations"):
        if not _subset(want_meta.get(key) or {}, have_meta.get(key) or {}):
            return False
    spec, have = desired.get("spec") or {}, existing.get("spec") or {}
    return _schemas(desired) == _schemas(existing) and all(
        _subset(spec.get(k), have.get(k)) for k in _SPEC_KEYS
    )


async def ensure_crd(
    client: KubeClient,
    desired: Mapping[str, Any],
    *,
    rgd_name: str,
    allow_breaking: bool = False,
) -> tuple[dict[str, Any], str]:
    """Create the CRD, or update it if it belongs to this RGD and changed compatibly; return the server's
    copy and what was done: "created", "updated" or "" (nothing: it was up to date)."""
    name = str(desired["metadata"]["name"])
    try:
        existing = await client.get(CRD, name)
    except NotFound:
        return await client.create(desired), "created"
    owner = owner_of(existing)
    if owner is None:
        raise CRDError(f"CRD {name} already exists and is not owned by KRO", name)
    if owner != rgd_name:
        raise CRDError(f"CRD is owned by another ResourceGraphDefinition {owner}", name)
    if up_to_date(desired, existing):
        return existing, ""
    if not allow_breaking:
        changes = breaking_changes(existing, desired)
        if changes:
            message = f"cannot update CRD {name}: breaking changes detected: {summarize(changes)}"
            raise CRDError(message, name, breaking=True)
    meta = desired.get("metadata") or {}
    patch = {
        "metadata": {k: meta[k] for k in ("labels", "annotations") if meta.get(k)},
        "spec": {k: desired["spec"][k] for k in _SPEC_KEYS if k in desired["spec"]},
    }
    return await client.patch(CRD, name, patch), "updated"


def is_established(crd: Mapping[str, Any]) -> bool:
    conditions = (crd.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


async def wait_established(
    client: KubeClient, name: str, *, timeout: float = 120.0, poll: float = 0.05
) -> None:
    """Poll until the CRD reports `Established` (kro polls every 150 ms; the embedded server is faster)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            if is_established(await client.get(CRD, name)):
                return
        except NotFound:
            pass
        if loop.time() >= deadline:
            raise CRDError(f"CRD {name} was not established within {timeout:.0f}s", name)
        await asyncio.sleep(poll)
        poll = min(poll * 2, 0.5)


async def delete_crd(client: KubeClient, name: str, *, rgd_name: str) -> bool:
    """Delete the CRD if it exists and belongs to `rgd_name`; True when a delete was issued."""
    try:
        existing = await client.get(CRD, name, metadata_only=True)
    except NotFound:
        return False
    if owner_of(existing) != rgd_name:
        return False
    try:
        await client.delete(CRD, name)
    except NotFound:
        return False
    return True
