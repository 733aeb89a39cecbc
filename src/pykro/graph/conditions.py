"""Author-defined status conditions, build time (spec §4.7): `schema.status.conditions`.

Each entry is one standalone `${...}` returning `runtime.newCondition(...)` (or a list of them);
it may read `schema`, resources and `runtime`. Literal `type`/`status` values are checked here,
as kro's macro does, and `runtime.condition(schema, 'X')` may only name kro's built-in conditions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pykro.cel.checked import CelType
from pykro.cel.compiler import CelCompiler, parse_references
from pykro.cel.errors import CelError, CompileError
from pykro.cel.library.conditions import STATUSES, condition_lookups, new_condition_calls
from pykro.cel.scanner import Standalone, parse_value
from pykro.graph.errors import GraphError
from pykro.graph.model import SCHEMA, AuthorCondition
from pykro.graph.refs import unknown_identifiers

RUNTIME = "runtime"
BUILTIN_CONDITION_TYPES = ("Ready", "InstanceManaged", "GraphResolved", "ResourcesReady")
_CONDITION = CelType("map", (CelType("string"), CelType("string")))
_ACCEPTED = (_CONDITION, CelType("list", (_CONDITION,)), CelType("dyn"), CelType("list", (CelType("dyn"),)))


def compile_conditions(
    compiler: CelCompiler, raw: Any, known: frozenset[str], ids: frozenset[str]
) -> tuple[AuthorCondition, ...]:
    """The compiled `status.conditions` entries; raises `GraphError` on the first broken rule."""
    if not isinstance(raw, list):
        raise GraphError(
            "status.conditions must be a list", path="conditions", yaml_path="spec.schema.status.conditions"
        )
    compiled = tuple(_compile_entry(compiler, i, text, known | {RUNTIME}, ids) for i, text in enumerate(raw))
    _check_cross_references(compiled)
    return compiled


def _error(index: int, message: str, text: str = "") -> GraphError:
    return GraphError(
        f"status.conditions[{index}]: {message}",
        path=f"conditions[{index}]",
        expression=text,
        yaml_path=f"spec.schema.status.conditions[{index}]",
    )


def _compile_entry(
    compiler: CelCompiler, index: int, text: Any, known: frozenset[str], ids: frozenset[str]
) -> AuthorCondition:
    if not isinstance(text, str):
        raise GraphError(
            f"status.conditions[{index}] must be a CEL expression string",
            path=f"conditions[{index}]",
            yaml_path=f"spec.schema.status.conditions[{index}]",
        )
    try:
        parsed = parse_value(text)
    except CelError as exc:
        raise _error(index, exc.detail, text) from None
    if not isinstance(parsed, Standalone):
        raise _error(index, f'"{text}": only standalone expressions are allowed', text)
    expression = parsed.expression
    try:
        info = parse_references(expression)
    except CompileError as exc:
        raise _error(index, f'failed to compile expression "{expression}": {exc.detail}', text) from None
    unknown = unknown_identifiers(info, known)
    if unknown:
        raise _error(
            index, f'expression "{expression}" references unknown identifiers: [{", ".join(unknown)}]', text
        )
    if "omit" in info.functions:
        raise _error(index, "omit() can only be used in resource template expressions", text)
    try:
        checked = compiler.check(expression, source=text)
    except CompileError as exc:
        raise _error(index, f'failed to compile expression "{expression}": {exc.detail}', text) from None
    if checked.output_type not in _ACCEPTED:
        raise _error(
            index,
            "condition expressions must return runtime.newCondition(...) or a list of them, "
            f'got "{checked.output_type}"',
            text,
        )
    declared: dict[str, None] = {}
    for call in new_condition_calls(expression):
        status = call.literal("status")
        if status is not None and status not in STATUSES:
            raise _error(index, f'condition status "{status}" must be one of True, False, Unknown', text)
        condition_type = call.literal("type")
        if condition_type == "":
            raise _error(index, "condition type must not be empty", text)
        if condition_type is not None:
            declared.setdefault(condition_type, None)
    schema_lookups = tuple(
        literal
        for lookup in condition_lookups(expression)
        if lookup.target == SCHEMA and (literal := lookup.literal_type) is not None
    )
    return AuthorCondition(
        index=index,
        text=text,
        checked=checked,
        resources=tuple(i for i in info.identifiers if i in ids),
        uses_schema=SCHEMA in info.identifiers,
        declared_types=tuple(declared),
        schema_lookups=schema_lookups,
    )


def _check_cross_references(conditions: Sequence[AuthorCondition]) -> None:
    owner: dict[str, int] = {}
    for c in conditions:
        for condition_type in c.declared_types:
            if condition_type in owner:
                raise _error(
                    c.index,
                    f'condition type "{condition_type}" is declared by more than one conditions entry',
                    c.text,
                )
            owner[condition_type] = c.index
    for c in conditions:
        for condition_type in c.schema_lookups:
            if condition_type in BUILTIN_CONDITION_TYPES:
                continue
            if condition_type in owner:
                raise _error(
                    c.index,
                    f'runtime.condition(schema, "{condition_type}"): custom conditions cannot '
                    "reference each other",
                    c.text,
                )
            raise _error(
                c.index,
                f'runtime.condition(schema, "{condition_type}"): unknown condition type '
                f'"{condition_type}" (kro conditions: {", ".join(BUILTIN_CONDITION_TYPES)})',
                c.text,
            )
