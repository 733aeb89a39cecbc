"""REST facts about built-in kinds: plural, scope, verbs, subresources, short names, categories.

Plural/scope/verbs/subresources come from `data/kinds.json`, generated from lightkube-models by
`data/generate_kinds.py`. Short names and categories are not in lightkube; the tables below copy what
`kubectl api-resources -o wide` prints for a real cluster.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from pykro.schema.gvk import GVK

# (group, plural) -> short names, as a real API server's discovery reports them.
SHORT_NAMES: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "componentstatuses"): ("cs",),
    ("", "configmaps"): ("cm",),
    ("", "endpoints"): ("ep",),
    ("", "events"): ("ev",),
    ("", "limitranges"): ("limits",),
    ("", "namespaces"): ("ns",),
    ("", "nodes"): ("no",),
    ("", "persistentvolumeclaims"): ("pvc",),
    ("", "persistentvolumes"): ("pv",),
    ("", "pods"): ("po",),
    ("", "replicationcontrollers"): ("rc",),
    ("", "resourcequotas"): ("quota",),
    ("", "serviceaccounts"): ("sa",),
    ("", "services"): ("svc",),
    ("apiextensions.k8s.io", "customresourcedefinitions"): ("crd", "crds"),
    ("apps", "daemonsets"): ("ds",),
    ("apps", "deployments"): ("deploy",),
    ("apps", "replicasets"): ("rs",),
    ("apps", "statefulsets"): ("sts",),
    ("autoscaling", "horizontalpodautoscalers"): ("hpa",),
    ("batch", "cronjobs"): ("cj",),
    ("certificates.k8s.io", "certificatesigningrequests"): ("csr",),
    ("events.k8s.io", "events"): ("ev",),
    ("networking.k8s.io", "ingresses"): ("ing",),
    ("networking.k8s.io", "networkpolicies"): ("netpol",),
    ("networking.k8s.io", "ipaddresses"): ("ip",),
    ("policy", "poddisruptionbudgets"): ("pdb",),
    ("scheduling.k8s.io", "priorityclasses"): ("pc",),
    ("storage.k8s.io", "storageclasses"): ("sc",),
    ("storage.k8s.io", "volumeattributesclasses"): ("vac",),
}

_ALL = ("all",)
_API_EXTENSIONS = ("api-extensions",)
CATEGORIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "pods"): _ALL,
    ("", "replicationcontrollers"): _ALL,
    ("", "services"): _ALL,
    ("apps", "daemonsets"): _ALL,
    ("apps", "deployments"): _ALL,
    ("apps", "replicasets"): _ALL,
    ("apps", "statefulsets"): _ALL,
    ("autoscaling", "horizontalpodautoscalers"): _ALL,
    ("batch", "cronjobs"): _ALL,
    ("batch", "jobs"): _ALL,
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"): _API_EXTENSIONS,
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"): _API_EXTENSIONS,
    ("admissionregistration.k8s.io", "validatingadmissionpolicies"): _API_EXTENSIONS,
    ("admissionregistration.k8s.io", "validatingadmissionpolicybindings"): _API_EXTENSIONS,
    ("admissionregistration.k8s.io", "mutatingadmissionpolicies"): _API_EXTENSIONS,
    ("admissionregistration.k8s.io", "mutatingadmissionpolicybindings"): _API_EXTENSIONS,
    ("apiextensions.k8s.io", "customresourcedefinitions"): _API_EXTENSIONS,
    ("apiregistration.k8s.io", "apiservices"): _API_EXTENSIONS,
}


@dataclass(frozen=True)
class KindRow:
    """One row of the generated kind table."""

    gvk: GVK
    plural: str
    namespaced: bool
    subresources: frozenset[str]
    verbs: tuple[str, ...]


@functools.cache
def kind_rows() -> dict[GVK, KindRow]:
    """Every kind any installed Kubernetes release serves, keyed by GVK."""
    path = Path(__file__).with_name("data") / "kinds.json"
    rows: dict[GVK, KindRow] = {}
    for group, version, kind, plural, namespaced, subresources, verbs in json.loads(path.read_text()):
        gvk = GVK(group, version, kind)
        rows[gvk] = KindRow(gvk, plural, namespaced, frozenset(subresources), tuple(verbs))
    return rows
