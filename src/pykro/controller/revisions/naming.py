"""GraphRevision kind, names, labels and finalizer (spec §1.2)."""

from __future__ import annotations

from pykro import __version__
from pykro.api.conventions import GRAPH_REVISION_HASH_LABEL, KRO_VERSION_LABEL, OWNED_LABEL, RGD_NAME_LABEL
from pykro.api.crd import GR_GROUP, GR_KIND, GR_VERSION
from pykro.fnv import fnv32a
from pykro.schema.gvk import GVK

GRAPH_REVISION = GVK(GR_GROUP, GR_VERSION, GR_KIND)
MAX_NAME_LENGTH = 253


def revision_name(rgd_name: str, revision: int) -> str:
    """`{rgd}-r{revision:05d}`; too long for a name → truncated RGD name plus a hash of the full one,
    so two long RGD names sharing a prefix still get distinct revision names."""
    name = f"{rgd_name}-r{revision:05d}"
    if len(name) <= MAX_NAME_LENGTH:
        return name
    suffix = f"-r{revision:05d}-{fnv32a(rgd_name.encode('utf-8')):08x}"
    prefix = rgd_name[: MAX_NAME_LENGTH - len(suffix)].rstrip(".-") or "gr"
    return prefix + suffix


def revision_labels(rgd_name: str, spec_hash: str) -> dict[str, str]:
    return {
        OWNED_LABEL: "true",
        KRO_VERSION_LABEL: __version__.replace("+", "-"),
        RGD_NAME_LABEL: rgd_name,
        GRAPH_REVISION_HASH_LABEL: spec_hash,
    }
