"""Author-defined status conditions at run time (spec §5.8). Pure: no I/O.

The RGD's `status.conditions` entries are evaluated after kro's built-in conditions of this
reconcile are known. `schema` then carries `status.conditions` = those built-ins, so
`runtime.condition(schema, 'Ready')` reads kro's own value even when an author condition also
named `Ready` is what the wire shows. The result replaces `status.conditions` on the instance.

- a pending entry (its data is not there yet) is skipped: the result is *incomplete*;
- an entry failing hard, or returning something that is not a condition (or a list of them), is
  skipped and the result is *degraded* (the instance state becomes ERROR);
- a type produced more than once is dropped entirely (degraded);
- `lastTransitionTime` is kept when the persisted condition of that type has the same status;
- when incomplete or degraded, persisted conditions of types that produced nothing this time are
  kept (kro's built-in types only if the RGD declares them literally), so a pending input never
  makes a condition flicker away.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pykro.cel.compiler import Program
from pykro.cel.errors import DataPending, EvaluationError
from pykro.cel.library.conditions import is_condition, untagged
from pykro.graph.conditions import BUILTIN_CONDITION_TYPES
from pykro.graph.model import SCHEMA, AuthorCondition, CompiledGraph

Condition = dict[str, Any]


class Evaluator(Protocol):
    """What evaluation needs from this reconcile (`pykro.runtime.Runtime` provides it)."""

    @property
    def schema_data(self) -> Mapping[str, Any]: ...

    def evaluate(
        self,
        program: Program,
        references: tuple[str, ...],
        bindings: Mapping[str, Any] | None = None,
    ) -> Any: ...


@dataclass
class AuthorConditions:
    """`conditions`: what `status.conditions` must hold. `errors`: why it is degraded (one line each);
    `pending`: entries that could not be evaluated yet."""

    conditions: list[Condition] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)

    @property
    def degraded(self) -> bool:
        return bool(self.errors)

    @property
    def incomplete(self) -> bool:
        return bool(self.pending)


def evaluate_author_conditions(
    graph: CompiledGraph,
    evaluator: Evaluator,
    builtins: Sequence[Mapping[str, Any]],
    persisted: Sequence[Any],
    *,
    generation: int,
    now: str,
) -> AuthorConditions:
    """The author conditions of this reconcile (see the module docstring).

    `builtins`: kro's conditions as computed this reconcile; `persisted`: the instance's
    `status.conditions` as read.
    """
    result = AuthorConditions()
    schema = dict(evaluator.schema_data)
    schema["status"] = {"conditions": [_plain(c) for c in builtins]}
    produced: list[Condition] = []
    for entry in graph.conditions:
        produced.extend(_evaluate_entry(entry, evaluator, {SCHEMA: schema}, result))
    counts = Counter(str(c["type"]) for c in produced)
    for condition_type, count in counts.items():
        if count > 1:
            result.errors.append(f'condition type "{condition_type}" was produced {count} times; dropped')
    previous = {str(c["type"]): c for c in persisted if isinstance(c, Mapping) and "type" in c}
    for c in produced:
        if counts[c["type"]] > 1:
            continue
        before = previous.get(c["type"]) or {}
        unchanged = before.get("status") == c["status"] and "lastTransitionTime" in before
        result.conditions.append(
            {
                **c,
                "observedGeneration": generation,
                "lastTransitionTime": before["lastTransitionTime"] if unchanged else now,
            }
        )
    if result.incomplete or result.degraded:
        declared = {t for entry in graph.conditions for t in entry.declared_types}
        for condition_type, before in previous.items():
            if condition_type in counts:
                continue
            if condition_type in BUILTIN_CONDITION_TYPES and condition_type not in declared:
                continue
            result.conditions.append(copy.deepcopy(dict(before)))
    return result


def _evaluate_entry(
    entry: AuthorCondition, evaluator: Evaluator, bindings: Mapping[str, Any], result: AuthorConditions
) -> list[Condition]:
    where = f"status.conditions[{entry.index}] {entry.text}"
    try:
        value = evaluator.evaluate(entry.program, entry.references, bindings)
    except DataPending as exc:
        result.pending.append(f"{where}: {exc.detail}")
        return []
    except EvaluationError as exc:
        result.errors.append(f"{where}: {exc.detail}")
        return []
    items = value if isinstance(value, list) else [value]
    if not all(is_condition(item) for item in items):
        result.errors.append(f"{where}: did not return runtime.newCondition(...) or a list of them")
        return []
    return [untagged(item) for item in items]


def _plain(condition: Mapping[str, Any]) -> dict[str, Any]:
    """The string and integer fields of `condition`, the only ones `schema.status.conditions` exposes to
    CEL."""
    return {k: v for k, v in condition.items() if isinstance(v, str | int)}
