"""Which rollout extensions an RGD switched on, read from its `pykro.dev/` annotations (shared by the
RGD controller, which reads them, and the instance controller, which acts on them).

The RGD's annotations apply to every workload it creates; a workload template may carry the same
annotations in its own `metadata.annotations` to override them for that resource (kro applies
them to the object too, where they do nothing). Nothing is on unless an annotation says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pykro.api.conventions import (
    ROLLOUT_DEBOUNCE_ANNOTATION,
    ROLLOUT_MAX_CONCURRENT_ANNOTATION,
    ROLLOUT_RECORD_ANNOTATION,
    ROLLOUT_TIMEOUT_ANNOTATION,
)
from pykro.graph.model import CompiledGraph
from pykro.timestamps import go_duration

DEFAULT_TIMEOUT = 600.0  # a rollout that never completes frees its slot after ten minutes
MAX_DEBOUNCE = 3600.0

ANNOTATIONS = (
    ROLLOUT_RECORD_ANNOTATION,
    ROLLOUT_DEBOUNCE_ANNOTATION,
    ROLLOUT_MAX_CONCURRENT_ANNOTATION,
    ROLLOUT_TIMEOUT_ANNOTATION,
)


@dataclass(frozen=True)
class RolloutPolicy:
    record: bool = False  # Events, a workload annotation and instance status say why it rolled
    debounce: float = 0.0  # seconds to gather a burst of changes into one rollout
    max_concurrent: int = 0  # workloads of one RGD rolling at once (0: no limit)
    timeout: float = DEFAULT_TIMEOUT

    @property
    def active(self) -> bool:
        return self.record or self.debounce > 0 or self.max_concurrent > 0


OFF = RolloutPolicy()


def parse_policy(
    annotations: Mapping[str, Any], base: RolloutPolicy = OFF
) -> tuple[RolloutPolicy, list[str]]:
    """The policy `annotations` set over `base`, and a message for each value that is not valid
    (that annotation is then ignored)."""
    policy = base
    problems: list[str] = []
    record = annotations.get(ROLLOUT_RECORD_ANNOTATION)
    if record is not None:
        if str(record).lower() in ("true", "false"):
            policy = replace(policy, record=str(record).lower() == "true")
        else:
            problems.append(f'{ROLLOUT_RECORD_ANNOTATION}: want "true" or "false", got {record!r}')
    debounce = _duration(annotations, ROLLOUT_DEBOUNCE_ANNOTATION, problems, limit=MAX_DEBOUNCE)
    if debounce is not None:
        policy = replace(policy, debounce=debounce)
    timeout = _duration(annotations, ROLLOUT_TIMEOUT_ANNOTATION, problems)
    if timeout is not None:
        policy = replace(policy, timeout=timeout)
    raw = annotations.get(ROLLOUT_MAX_CONCURRENT_ANNOTATION)
    if raw is not None:
        text = str(raw).strip()
        if text.isdigit():
            policy = replace(policy, max_concurrent=int(text))
        else:
            problems.append(f"{ROLLOUT_MAX_CONCURRENT_ANNOTATION}: want a whole number, got {raw!r}")
    return policy, problems


def _duration(
    annotations: Mapping[str, Any], key: str, problems: list[str], *, limit: float | None = None
) -> float | None:
    raw = annotations.get(key)
    if raw is None:
        return None
    seconds = go_duration(str(raw))
    if seconds is None or (limit is not None and seconds > limit):
        bound = f" (at most {limit:.0f}s)" if limit is not None else ""
        problems.append(f"{key}: want a duration such as 5s or 2m{bound}, got {raw!r}")
        return None
    return seconds


def for_object(policy: RolloutPolicy, desired: Mapping[str, Any]) -> RolloutPolicy:
    """The RGD's policy, overridden by the workload template's own annotations (invalid ones ignored:
    the RGD controller reports them)."""
    metadata = desired.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    if not isinstance(annotations, Mapping) or not any(key in annotations for key in ANNOTATIONS):
        return policy
    return parse_policy(annotations, policy)[0]


def rollout_annotations(obj: Mapping[str, Any] | None) -> dict[str, str]:
    """The rollout annotations an object (an RGD) carries."""
    metadata = (obj or {}).get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    if not isinstance(annotations, Mapping):
        return {}
    return {k: str(v) for k, v in annotations.items() if k in ANNOTATIONS}


ROLLOUTS_STATUS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "pykro: the last rollout of each workload resource, and why it happened",
    "additionalProperties": {
        "type": "object",
        "properties": {
            "workload": {"type": "string"},
            "cause": {"type": "string"},
            "time": {"type": "string"},
        },
    },
}


def with_rollouts_status(crd: dict[str, Any]) -> None:
    """Declare `status.rollouts` in an instance CRD (in place), unless the RGD's own status has it."""
    for version in (crd.get("spec") or {}).get("versions") or ():
        root = (version.get("schema") or {}).get("openAPIV3Schema") or {}
        status = (root.get("properties") or {}).get("status")
        if isinstance(status, dict):
            properties = status.setdefault("properties", {})
            properties.setdefault("rollouts", dict(ROLLOUTS_STATUS_SCHEMA))


def template_problems(graph: CompiledGraph) -> list[str]:
    """Invalid rollout annotations written literally in a resource template (an expression's value
    is only known per instance; an invalid one is ignored then)."""
    problems: list[str] = []
    for node in graph.nodes.values():
        metadata = node.template.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
        if not isinstance(annotations, Mapping):  # absent, or one expression for the whole map
            continue
        literal = {k: v for k, v in annotations.items() if k in ANNOTATIONS and "${" not in str(v)}
        problems += [f"resource {node.id!r}: {p}" for p in parse_policy(literal)[1]]
    return problems
