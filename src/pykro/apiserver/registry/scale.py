"""The `scale` subresource: an autoscaling/v1 `Scale` view of any scalable object.

Built-ins keep their replicas at `spec.replicas` / `status.replicas` and their selector at
`spec.selector`; a CRD names its own paths in `subresources.scale` (`specReplicasPath`,
`statusReplicasPath`, `labelSelectorPath`). The HTTP handler and the simulated HPA controller
both read and write replicas through here, so they agree on every kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pykro.apiserver.machinery.media import JSON_PATCH
from pykro.apiserver.machinery.patch import apply_json_patch, apply_merge_patch
from pykro.apiserver.machinery.status import ApiError, bad_request
from pykro.apiserver.registry.decoding import SCALE_GVK
from pykro.apiserver.registry.kinds import CRD_GR, ServedKind
from pykro.apiserver.registry.pipeline import WriteOptions
from pykro.apiserver.registry.resources import Resources
from pykro.apiserver.storage.store import Store

Obj = dict[str, Any]
Path = tuple[str, ...]


@dataclass(frozen=True)
class ScalePaths:
    spec_replicas: Path = ("spec", "replicas")
    status_replicas: Path = ("status", "replicas")
    # None: a built-in's `spec.selector` (a LabelSelector, or a plain map for ReplicationControllers)
    selector: Path | None = None
    builtin: bool = True


def _dotted(path: Any) -> Path | None:
    if not isinstance(path, str) or not path.startswith("."):
        return None
    return tuple(p for p in path[1:].split(".") if p)


def scale_paths(kind: ServedKind, store: Store) -> ScalePaths:
    """Where `kind` keeps its replicas and selector (a CRD's version-specific `subresources.scale`)."""
    if kind.crd is None:
        return ScalePaths()
    crd = store.get(CRD_GR, "", kind.crd) or {}
    for version in (crd.get("spec") or {}).get("versions") or ():
        if isinstance(version, dict) and version.get("name") == kind.version:
            scale = (version.get("subresources") or {}).get("scale") or {}
            return ScalePaths(
                spec_replicas=_dotted(scale.get("specReplicasPath")) or ("spec", "replicas"),
                status_replicas=_dotted(scale.get("statusReplicasPath")) or ("status", "replicas"),
                selector=_dotted(scale.get("labelSelectorPath")) or (),
                builtin=False,
            )
    return ScalePaths(builtin=False)


def _get(obj: Any, path: Path) -> Any:
    for part in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(part)
    return obj


def selector_string(selector: Any) -> str:
    """A LabelSelector (or a plain label map) as the label-selector string the real Scale carries."""
    if not isinstance(selector, Mapping):
        return ""
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        labels: Mapping[str, Any] = selector  # ReplicationController: a plain map
        expressions: Any = ()
    else:
        labels = selector.get("matchLabels") or {}
        expressions = selector.get("matchExpressions") or ()
    parts: list[tuple[str, str]] = [(str(k), f"{k}={v}") for k, v in labels.items()]
    for e in expressions:
        if not isinstance(e, Mapping):
            continue
        key, op, values = (
            str(e.get("key", "")),
            e.get("operator"),
            sorted(str(v) for v in e.get("values") or ()),
        )
        text = {
            "In": f"{key} in ({','.join(values)})",
            "NotIn": f"{key} notin ({','.join(values)})",
            "Exists": key,
            "DoesNotExist": f"!{key}",
        }.get(str(op))
        if text is not None:
            parts.append((key, text))
    return ",".join(text for _, text in sorted(parts))


def replicas(obj: Mapping[str, Any], paths: ScalePaths) -> int:
    """The wanted replicas: built-ins default to 1, a custom resource without the field reads as 0."""
    value = _get(obj, paths.spec_replicas)
    return value if isinstance(value, int) and not isinstance(value, bool) else (1 if paths.builtin else 0)


def scale_of(obj: Mapping[str, Any], paths: ScalePaths) -> Obj:
    meta = obj.get("metadata") or {}
    if paths.selector is None:
        selector = selector_string(_get(obj, ("spec", "selector")))
    else:
        found = _get(obj, paths.selector) if paths.selector else None
        selector = found if isinstance(found, str) else ""
    current = _get(obj, paths.status_replicas)
    status: Obj = {"replicas": current if isinstance(current, int) and not isinstance(current, bool) else 0}
    if selector:
        status["selector"] = selector
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": replicas(obj, paths)},
        "status": status,
    }


def set_replicas(obj: Obj, paths: ScalePaths, value: int) -> None:
    """Write `value` at the spec replicas path, creating the maps on the way."""
    holder = obj
    for part in paths.spec_replicas[:-1]:
        nxt = holder.get(part)
        if not isinstance(nxt, dict):
            nxt = holder[part] = {}
        holder = nxt
    holder[paths.spec_replicas[-1]] = value


async def write_scale(
    resources: Resources,
    kind: ServedKind,
    namespace: str,
    name: str,
    body: Any,
    patch_type: str | None,
    paths: ScalePaths,
    options: WriteOptions,
) -> dict[str, Any]:
    """PUT (`patch_type` None) or PATCH (JSON or merge) of the `scale` subresource: only
    `spec.replicas` of the object changes; a PUT's resourceVersion is a precondition."""

    def scaled(cur: dict[str, Any]) -> dict[str, Any]:
        current = scale_of(cur, paths)
        if patch_type is None:
            new = body
        elif patch_type == JSON_PATCH:
            new = apply_json_patch(current, body)
        else:
            new = apply_merge_patch(current, body)
        if not isinstance(new, dict):
            raise bad_request("the body must be a Scale object")
        resources.decoding.check(SCALE_GVK, new, patch_type or "")
        replicas = (new.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            raise ApiError(
                422,
                "Invalid",
                f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: {replicas!r}: '
                "must be greater than or equal to 0",
            )
        rv = (new.get("metadata") or {}).get("resourceVersion")
        set_replicas(cur, paths, replicas)
        if patch_type is None and rv:
            cur["metadata"]["resourceVersion"] = rv
        return cur

    obj, _ = await resources.patch(kind, namespace, name, scaled, subresource="scale", options=options)
    return obj
