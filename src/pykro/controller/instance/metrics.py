"""Label values of the instance metrics, spelled as upstream kro's so dashboards and alerts written for
kro work unchanged."""

from __future__ import annotations

from pykro.schema.gvk import GVK
from pykro.schema.plural import plural_of


def gvr_label(gvk: GVK) -> str:
    """The `gvr` label of an instance kind: `kro.run/v1alpha1, Resource=webapps` (the resource's
    GroupVersionResource as Go prints it; the plural is the one kro gives the instance CRD)."""
    return f"{gvk.api_version}, Resource={plural_of(gvk.kind)}"
