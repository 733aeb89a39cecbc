"""Step 8 of the graph build: every expression type-checked against the field it fills (spec §3.6,
§4.1), forEach dimensions, readyWhen/includeWhen conditions, omit() and collection identities.
A mixin of the builder, which provides the RGD's ids, schema and feature switches."""

from __future__ import annotations

from collections.abc import Sequence

from pykro.api.model import ResourceGraphDefinition, SchemaSpec
from pykro.cel.assignability import incompatibility, output_node, type_mismatch_message
from pykro.cel.checked import DYN_TYPE, AstInfo
from pykro.cel.compiler import CelCompiler
from pykro.cel.errors import CompileError
from pykro.cel.scanner import Standalone, parse_value
from pykro.cel.types import DYN, normalize
from pykro.graph.errors import GraphError, cel_position, offset_in
from pykro.graph.fields import Leaf, cel_source, map_offset
from pykro.graph.model import SCHEMA, Condition, FieldExpression, ForEachDimension, format_path
from pykro.graph.pending import Pending, yaml_path
from pykro.graph.refs import field_expression

EACH = "each"
_BOOL = frozenset({"bool", "optional_type(bool)", "dyn", "optional_type(dyn)"})


class TypeChecks:
    rgd: ResourceGraphDefinition
    schema: SchemaSpec
    ids: frozenset[str]
    enable_omit: bool

    def leaf_error(
        self, rid: str, index: int, section: str, leaf: Leaf, message: str, offset: int | None = None
    ) -> GraphError:
        path = format_path(leaf.path)
        return GraphError(
            f'resource "{rid}" at path "{path}": {message}',
            resource_id=rid,
            path=path,
            expression=leaf.text,
            offset=offset,
            yaml_path=yaml_path(index, section, leaf.path),
        )

    def check_identity(self, p: Pending) -> None:
        """Every iterator must shape the object's identity (name, or namespace when namespaced)."""
        if not p.for_each_refs:
            return
        identity = [("metadata", "name")] + ([("metadata", "namespace")] if p.namespaced else [])
        used: set[str] = set()
        for leaf, info in zip(p.leaves, p.leaf_refs, strict=True):
            if leaf.path in identity:
                used.update(info.identifiers)
        missing = [name for name, _t, _e, _r in p.for_each_refs if name not in used]
        if missing:
            raise GraphError(
                f'resource "{p.resource.id}": all forEach dimensions must be used to produce a unique '
                "resource "
                f"identity, missing: [{', '.join(missing)}]",
                resource_id=p.resource.id,
                path="metadata.name",
                yaml_path=f"spec.resources[{p.index}].template.metadata.name",
            )

    def check_omit_leaf(self, p: Pending, section: str, leaf: Leaf, info: AstInfo) -> None:
        if "omit" not in info.functions:
            return
        if not self.enable_omit:
            raise self.leaf_error(
                p.resource.id,
                p.index,
                section,
                leaf,
                "omit() requires the CELOmitFunction feature gate to be enabled",
            )
        if leaf.path == ("metadata", "name") or (
            leaf.path == ("metadata", "namespace") and p.namespaced and not self.schema.namespaced
        ):
            raise self.leaf_error(
                p.resource.id,
                p.index,
                section,
                leaf,
                f"omit() cannot be used at {format_path(leaf.path)}: it is part of the identity",
            )

    def compile_error(
        self, rid: str, index: int, section: str, text: str, exc: CompileError, checked_text: str, base: int
    ) -> GraphError:
        offset = None
        pos = cel_position(exc.detail)
        if pos is not None:
            offset = base + offset_in(checked_text, *pos)
        return GraphError(
            f'resource "{rid}": {section}: failed to compile expression "{checked_text}": {exc.detail}',
            resource_id=rid,
            path=section,
            expression=text,
            offset=offset,
            yaml_path=f"spec.resources[{index}].{section}",
        )

    def leaf_compile_error(
        self,
        p: Pending,
        section: str,
        leaf: Leaf,
        exc: CompileError,
        checked_text: str,
        base: int,
        anchors: Sequence[tuple[int, int]] | None = None,
    ) -> GraphError:
        offset = None
        pos = cel_position(exc.detail)
        if pos is not None:
            raw = offset_in(checked_text, *pos)
            offset = map_offset(anchors, raw) if anchors else base + 2 + raw
        shown = (
            leaf.expressions[0]
            if len(leaf.expressions) == 1 and isinstance(leaf.parsed, Standalone)
            else leaf.text
        )
        return self.leaf_error(
            p.resource.id,
            p.index,
            section,
            leaf,
            f'failed to compile expression "{shown}": {exc.detail}',
            offset,
        )

    def check_leaf(self, compiler: CelCompiler, p: Pending, leaf: Leaf, refs: AstInfo) -> FieldExpression:
        section = "externalRef" if p.type.is_external else "template"
        text, anchors = cel_source(leaf.parsed)
        try:
            checked = compiler.check(text, source=leaf.text)
        except CompileError as exc:
            raise self.leaf_compile_error(p, section, leaf, exc, text, 0, anchors) from None
        standalone = isinstance(leaf.parsed, Standalone)
        if standalone and p.typed_fields:
            expected = normalize(leaf.schema) if leaf.schema is not None else DYN
            detail = incompatibility(output_node(checked.output_type, compiler.types.messages), expected)
            if detail is not None:
                path = format_path(leaf.path)
                message = type_mismatch_message(
                    p.resource.id, path, leaf.expressions[0], checked.output_type, expected, detail
                )
                raise GraphError(
                    message,
                    resource_id=p.resource.id,
                    path=path,
                    expression=leaf.text,
                    offset=2,
                    yaml_path=yaml_path(p.index, section, leaf.path),
                )
        elif not standalone and checked.output_type.kind not in ("string", "dyn"):
            raise self.leaf_error(
                p.resource.id,
                p.index,
                section,
                leaf,
                f'string template must produce a string, got "{checked.output_type}"',
            )
        return field_expression(leaf, checked, refs, self.ids, p.iterators)

    def check_for_each(self, compiler: CelCompiler, p: Pending, position: int) -> ForEachDimension:
        name, text, expression, refs = p.for_each_refs[position]
        rid = p.resource.id
        where = f"spec.resources[{p.index}].forEach[{position}]"
        try:
            checked = compiler.check(expression, source=text)
        except CompileError as exc:
            raise self.compile_error(rid, p.index, f"forEach[{position}]", text, exc, expression, 2) from None
        out = checked.output_type
        if out.kind == "optional_type" and out.params:
            out = out.params[0]
        if out.kind == "dyn":
            element = DYN_TYPE
        elif out.kind == "list" and out.params:
            element = out.params[0]
        else:
            raise GraphError(
                f'resource "{rid}": forEach iterator "{name}": expression "{expression}" must return a list, '
                f'but returns "{checked.output_type}"',
                resource_id=rid,
                path="forEach",
                expression=text,
                offset=2,
                yaml_path=where,
            )
        resources = tuple(i for i in refs.identifiers if i in self.ids)
        return ForEachDimension(name, text, checked, element, resources, SCHEMA in refs.identifiers)

    def check_condition(
        self, compiler: CelCompiler, p: Pending, section: str, position: int, text: str, refs: AstInfo
    ) -> Condition:
        rid = p.resource.id
        expression = parse_value(text)
        assert isinstance(expression, Standalone)
        if section == "readyWhen":
            allowed, what = (
                (EACH, "of a collection can only reference each")
                if p.type.is_collection
                else (rid, f"can only reference the resource itself ({rid})")
            )
            others = [i for i in refs.identifiers if i != allowed]
            if others:
                raise GraphError(
                    f'resource "{rid}": readyWhen "{text}": readyWhen expressions {what}, '
                    f"found [{', '.join(others)}]",
                    resource_id=rid,
                    path=section,
                    expression=text,
                    yaml_path=f"spec.resources[{p.index}].{section}[{position}]",
                )
        try:
            checked = compiler.check(expression.expression, source=text)
        except CompileError as exc:
            raise self.compile_error(
                rid, p.index, f"{section}[{position}]", text, exc, expression.expression, 2
            ) from None
        if str(checked.output_type) not in _BOOL:
            raise GraphError(
                f'resource "{rid}": {section} expression "{expression.expression}" must return bool or '
                f'optional_type(bool), but returns "{checked.output_type}"',
                resource_id=rid,
                path=section,
                expression=text,
                offset=2,
                yaml_path=f"spec.resources[{p.index}].{section}[{position}]",
            )
        resources = tuple(i for i in refs.identifiers if i in self.ids)
        return Condition(text, checked, resources, SCHEMA in refs.identifiers)
