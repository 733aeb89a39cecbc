"""Regenerate `kinds.json`, the built-in kind table, from the installed `lightkube-models`.

Run after upgrading lightkube-models:  .venv/bin/python src/pykro/schema/data/generate_kinds.py

Why a generated file: importing every lightkube resource module takes about a second, far too slow for
the first schema lookup; the table it yields is ~10 kB of JSON.
Each row: [group, version, kind, plural, namespaced, subresources, verbs]; verbs use discovery names.

lightkube-models describes only the newest Kubernetes release, so kinds that older releases shipped by
kubernetes-validate still define (autoscaling/v2beta2, flowcontrol v1beta*, resource.k8s.io alphas...)
copy the row of the same group/kind at another version, or come from `_LEGACY` below.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path
from typing import Any

# lightkube's names for the REST verbs -> the names Kubernetes discovery (/apis) reports.
_VERBS = {
    "post": "create",
    "put": "update",
    "global_list": "list",
    "global_watch": "watch",
}

_ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

# Kinds removed before the lightkube-models release, with no other version of the same group/kind.
_LEGACY: list[list[Any]] = [
    ["networking.k8s.io", "v1alpha1", "ClusterCIDR", "clustercidrs", False, [], _ALL_VERBS],
    ["resource.k8s.io", "v1alpha1", "PodScheduling", "podschedulings", True, ["status"], _ALL_VERBS],
    ["resource.k8s.io", "v1alpha1", "ResourceClass", "resourceclasses", False, [], _ALL_VERBS],
    [
        "resource.k8s.io",
        "v1alpha2",
        "PodSchedulingContext",
        "podschedulingcontexts",
        True,
        ["status"],
        _ALL_VERBS,
    ],
    [
        "resource.k8s.io",
        "v1alpha2",
        "ResourceClaimParameters",
        "resourceclaimparameters",
        True,
        [],
        _ALL_VERBS,
    ],
    ["resource.k8s.io", "v1alpha2", "ResourceClass", "resourceclasses", False, [], _ALL_VERBS],
    [
        "resource.k8s.io",
        "v1alpha2",
        "ResourceClassParameters",
        "resourceclassparameters",
        True,
        [],
        _ALL_VERBS,
    ],
    [
        "resource.k8s.io",
        "v1alpha3",
        "PodSchedulingContext",
        "podschedulingcontexts",
        True,
        ["status"],
        _ALL_VERBS,
    ],
]

# Definitions that carry a GVK but are request/response payloads, not REST resources.
_NOT_RESOURCES = {
    ("", "v1", "APIGroup"),
    ("", "v1", "APIVersions"),
    ("", "v1", "Status"),
    ("authentication.k8s.io", "v1", "TokenRequest"),
    ("autoscaling", "v1", "Scale"),
    ("policy", "v1", "Eviction"),
}


def _defined_gvks() -> set[tuple[str, str, str]]:
    """Every single-GVK definition in every Kubernetes release kubernetes-validate ships."""
    from pykro.schema.builtin import definitions_root

    root = definitions_root()
    found: set[tuple[str, str, str]] = set()
    for path in root.glob("v*-local/_definitions.json"):
        for schema in json.loads(path.read_text())["$defs"].values():
            gvks = schema.get("x-kubernetes-group-version-kind", [])
            if len(gvks) == 1 and not gvks[0]["kind"].endswith("List"):
                found.add((gvks[0]["group"], gvks[0]["version"], gvks[0]["kind"]))
    return found - _NOT_RESOURCES


def _with_legacy(rows: list[list[Any]]) -> list[list[Any]]:
    known = {(r[0], r[1], r[2]) for r in rows}
    by_group_kind = {(r[0], r[2]): r for r in rows + _LEGACY}
    out = rows + [r for r in _LEGACY if (r[0], r[1], r[2]) not in known]
    known |= {(r[0], r[1], r[2]) for r in _LEGACY}
    for group, version, kind in sorted(_defined_gvks() - known):
        template = by_group_kind.get((group, kind))
        if template is None:
            raise SystemExit(f"no scope/plural known for {group}/{version} {kind}: add it to _LEGACY")
        out.append([group, version, kind, *template[3:]])
    return out


def _rows() -> list[list[Any]]:
    import lightkube.resources as resources
    from lightkube.core.resource import NamespacedResource

    rows: list[list[Any]] = []
    for module_info in pkgutil.iter_modules(resources.__path__):
        module = importlib.import_module(f"{resources.__name__}.{module_info.name}")
        for attr in dir(module):
            cls = getattr(module, attr)
            info = getattr(cls, "_api_info", None)
            if not isinstance(cls, type) or info is None or info.parent is not None:
                continue
            if cls.__module__ != module.__name__:
                continue
            subresources = sorted(
                sub._api_info.action
                for name in dir(cls)
                if name[:1].isupper() and hasattr(sub := getattr(cls, name), "_api_info")
            )
            verbs = sorted({_VERBS.get(v, v) for v in info.verbs})
            res = info.resource
            rows.append(
                [
                    res.group,
                    res.version,
                    res.kind,
                    info.plural,
                    issubclass(cls, NamespacedResource),
                    subresources,
                    verbs,
                ]
            )
    return sorted(_with_legacy(rows))


def main() -> None:
    out = Path(__file__).with_name("kinds.json")
    rows = _rows()
    out.write_text("[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]\n")
    print(f"wrote {len(rows)} kinds to {out}")


if __name__ == "__main__":
    main()
