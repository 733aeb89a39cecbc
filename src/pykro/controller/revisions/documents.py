"""The GraphRevision objects the RGD controller issues (spec §1.2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykro.api.conventions import FINALIZER, GRAPH_REVISION_HASH_LABEL
from pykro.api.crd import GR_GROUP, GR_KIND, GR_VERSION
from pykro.controller.revisions.naming import revision_labels, revision_name


def revision_of(obj: Mapping[str, Any]) -> int:
    return int((obj.get("spec") or {}).get("revision") or 0)


def hash_of(obj: Mapping[str, Any]) -> str:
    return str(((obj.get("metadata") or {}).get("labels") or {}).get(GRAPH_REVISION_HASH_LABEL, ""))


def owner_reference(rgd_name: str, rgd_uid: str) -> dict[str, Any]:
    return {
        "apiVersion": "kro.run/v1alpha1",
        "kind": "ResourceGraphDefinition",
        "name": rgd_name,
        "uid": rgd_uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def graph_revision(rgd: Mapping[str, Any], revision: int, spec_hash: str) -> dict[str, Any]:
    """Revision `revision` of `rgd`: a full copy of its spec, owned by it."""
    meta = rgd.get("metadata") or {}
    name = str(meta["name"])
    return {
        "apiVersion": f"{GR_GROUP}/{GR_VERSION}",
        "kind": GR_KIND,
        "metadata": {
            "name": revision_name(name, revision),
            "labels": revision_labels(name, spec_hash),
            "ownerReferences": [owner_reference(name, str(meta.get("uid", "")))],
            "finalizers": [FINALIZER],
        },
        "spec": {
            "revision": revision,
            "snapshot": {
                "name": name,
                "generation": int(meta.get("generation") or 0),
                "spec": rgd.get("spec") or {},
            },
        },
    }
