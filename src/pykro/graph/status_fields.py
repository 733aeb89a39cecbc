"""Step 9 of the pipeline (spec §4.6): `.status` projections, type-checked, and the inferred status schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykro.api.frozen import freeze, thaw
from pykro.cel.compiler import CelCompiler, parse_references
from pykro.cel.errors import CompileError
from pykro.cel.openapi import openapi_schema
from pykro.cel.scanner import Standalone
from pykro.graph.conditions import compile_conditions
from pykro.graph.errors import GraphError, cel_position, offset_in
from pykro.graph.fields import FieldError, cel_source, collect_leaves, map_offset
from pykro.graph.model import AuthorCondition, StatusField, format_path
from pykro.graph.refs import field_expression, literal_paths, merge, unknown_identifiers
from pykro.graph.status import StatusSchemaError, merge_status


def compile_status(
    compiler: CelCompiler, status: Mapping[str, Any], known: frozenset[str], ids: frozenset[str]
) -> tuple[list[StatusField], dict[str, Any] | None, tuple[str, ...], tuple[AuthorCondition, ...]]:
    """The status fields, the merged inferred schema (None without status fields), the resources read by
    fields and conditions, and the author conditions (§4.7)."""
    raw = thaw(status)
    conditions: tuple[AuthorCondition, ...] = ()
    if isinstance(raw, dict) and "conditions" in raw:
        conditions = compile_conditions(compiler, raw.pop("conditions"), known, ids)
    condition_deps = tuple(dict.fromkeys(r for c in conditions for r in c.resources))
    if not raw:
        return [], None, condition_deps, conditions
    literals: list[str] = []
    literal_paths(raw, (), literals)
    if literals:
        raise GraphError(
            f"status fields without expressions are not supported: [{', '.join(literals)}]",
            path=literals[0],
            yaml_path=f"spec.schema.status.{literals[0]}",
        )
    try:
        leaves = collect_leaves(raw, None)
    except FieldError as exc:
        raise GraphError(
            f"status field {format_path(exc.path)}: {exc.message}",
            path=format_path(exc.path),
            expression=exc.text,
            yaml_path=format_path(exc.path, "spec.schema.status"),
        ) from None
    fields: list[StatusField] = []
    deps: dict[str, None] = {}
    for leaf in leaves:
        path = format_path(leaf.path)
        where = format_path(leaf.path, "spec.schema.status")
        infos = []
        for expression in leaf.expressions:
            try:
                info = parse_references(expression)
            except CompileError as exc:
                raise GraphError(
                    f'status field "{path}": failed to compile expression "{expression}": {exc.detail}',
                    path=path,
                    expression=leaf.text,
                    yaml_path=where,
                ) from None
            unknown = unknown_identifiers(info, known)
            if unknown:
                raise GraphError(
                    f'status field "{path}": expression "{expression}" references unknown identifiers: '
                    f"[{', '.join(unknown)}]",
                    path=path,
                    expression=leaf.text,
                    yaml_path=where,
                )
            if "omit" in info.functions:
                raise GraphError(
                    f'status field "{path}": omit() can only be used in resource template expressions',
                    path=path,
                    expression=leaf.text,
                    yaml_path=where,
                )
            infos.append(info)
        refs = merge(infos)
        if not any(i in known for i in refs.identifiers):
            raise GraphError(
                f'status field "{path}": instance status field must refer to a resource or schema',
                path=path,
                expression=leaf.text,
                yaml_path=where,
            )
        text, anchors = cel_source(leaf.parsed)
        try:
            checked = compiler.check(text, source=leaf.text)
        except CompileError as exc:
            pos = cel_position(exc.detail)
            offset = map_offset(anchors, offset_in(text, *pos)) if pos else None
            raise GraphError(
                f'status field "{path}": failed to compile expression "{leaf.text}": {exc.detail}',
                path=path,
                expression=leaf.text,
                offset=offset,
                yaml_path=where,
            ) from None
        if not isinstance(leaf.parsed, Standalone) and checked.output_type.kind not in ("string", "dyn"):
            raise GraphError(
                f'status field "{path}": string template must produce a string, got "{checked.output_type}"',
                path=path,
                expression=leaf.text,
                yaml_path=where,
            )
        expression_field = field_expression(leaf, checked, refs, ids)
        for d in expression_field.resources:
            deps.setdefault(d, None)
        fields.append(
            StatusField(
                expression_field, freeze(openapi_schema(checked.output_type, compiler.types.messages))
            )
        )
    try:
        merged = merge_status([(f.path, thaw(f.schema)) for f in fields])
    except StatusSchemaError as exc:
        raise GraphError(str(exc), yaml_path="spec.schema.status") from None
    for d in condition_deps:
        deps.setdefault(d, None)
    return fields, merged, tuple(deps), conditions
