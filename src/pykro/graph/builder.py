"""The graph builder: an RGD + a schema registry → a `CompiledGraph` (spec §4.1, steps in order).

Errors surface in kro's order (naming, instance schema, per-resource shape and schema, references
and dependencies, cycle, type checks, status), each as a `GraphError` naming the resource, the field
path and the expression.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pykro.api import constants
from pykro.api.frozen import FrozenDict, freeze, thaw
from pykro.api.model import Resource, ResourceGraphDefinition
from pykro.cel.checked import AstInfo
from pykro.cel.compiler import parse_references
from pykro.cel.errors import CelError, CompileError
from pykro.cel.scanner import Standalone, parse_value
from pykro.errors import Problem, PykroError
from pykro.graph.cache import compiler_for, preparer_for
from pykro.graph.dag import DAG, CycleError
from pykro.graph.errors import GraphError
from pykro.graph.fields import FieldError, collect_leaves
from pykro.graph.hashing import spec_hash
from pykro.graph.model import (
    SCHEMA,
    CompiledGraph,
    Node,
    NodeType,
    format_path,
)
from pykro.graph.naming import validate_names
from pykro.graph.pending import Pending, yaml_path
from pykro.graph.refs import is_literal, merge, unknown_identifiers
from pykro.graph.status_fields import compile_status
from pykro.graph.typecheck import EACH, TypeChecks
from pykro.schema.crd import instance_crd, status_schema_with_defaults
from pykro.schema.gvk import GVK
from pykro.schema.objectmeta import object_meta_schema
from pykro.schema.plural import plural_of
from pykro.schema.registry import SchemaRegistry, UnknownKindError
from pykro.schema.simpleschema import to_openapi

DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
RESERVED_PREFIXES = ("kro.run/", "internal.kro.run/")
RUNTIME = "runtime"
CRD_GVK = GVK("apiextensions.k8s.io", "v1", "CustomResourceDefinition")


def build_graph(
    rgd: ResourceGraphDefinition, registry: SchemaRegistry, *, enable_omit: bool = False
) -> CompiledGraph:
    """Compile `rgd` against the kinds `registry` knows; raise `GraphError` on the first problem."""
    return _Builder(rgd, registry, enable_omit).build()


def instance_schema_variable(spec_schema: Mapping[str, Any], *, namespaced: bool) -> dict[str, Any]:
    """The OpenAPI schema of the `schema` variable: the instance without `.status`, full ObjectMeta (§3.6)."""
    meta = object_meta_schema()
    if not namespaced:
        meta.get("properties", {}).pop("namespace", None)
    return {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": meta,
            "spec": dict(spec_schema),
        },
    }


class _Builder(TypeChecks):
    def __init__(self, rgd: ResourceGraphDefinition, registry: SchemaRegistry, enable_omit: bool) -> None:
        self.rgd = rgd
        self.registry = registry
        self.enable_omit = enable_omit
        self.schema = rgd.spec.schema
        # Sets: every check of an expression's identifiers asks membership (a list made it O(n) each).
        self.ids = frozenset(r.id for r in rgd.spec.resources)
        self.known = frozenset({SCHEMA, *self.ids})

    # --- step 2 ----------------------------------------------------------------------------------

    def instance_schema(self) -> dict[str, Any]:
        try:
            return to_openapi(self.schema.spec, self.schema.types)
        except PykroError as exc:
            prefix = "failed to build OpenAPI schema for instance: "
            # Keep one problem per bad field, so each is reported on its own line.
            problems = tuple(Problem(p.path, prefix + p.message, p.source) for p in exc.problems)
            raise GraphError(prefix + str(exc), yaml_path="spec.schema.spec", problems=problems) from None

    # --- steps 3-4 -------------------------------------------------------------------------------

    def prepare(self, index: int, r: Resource) -> Pending:
        if (r.template is None) == (r.external_ref is None):
            raise GraphError(
                f'resource "{r.id}": {constants.ONE_OF_TEMPLATE_MESSAGE}',
                resource_id=r.id,
                yaml_path=f"spec.resources[{index}]",
            )
        if r.external_ref is not None and r.for_each:
            raise GraphError(
                f'resource "{r.id}": cannot use externalRef with forEach',
                resource_id=r.id,
                yaml_path=f"spec.resources[{index}].forEach",
            )
        if r.external_ref is not None:
            node_type = NodeType.EXTERNAL_COLLECTION if r.external_ref.is_collection else NodeType.EXTERNAL
            obj, section = r.external_ref.to_object(), "externalRef"
        else:
            node_type = NodeType.COLLECTION if r.for_each else NodeType.RESOURCE
            obj, section = thaw(r.template), "template"
        gvk = self.object_gvk(r, index, section, obj)
        try:
            resolved = self.registry.resolve(gvk)
        except UnknownKindError as exc:
            raise GraphError(
                f'resource "{r.id}": schema not found for {gvk.api_version}/{gvk.kind}: {exc}',
                resource_id=r.id,
                yaml_path=yaml_path(index, section, ("kind",)),
            ) from None
        namespaced = resolved.info.namespaced
        self.check_metadata(r, index, section, obj, namespaced, node_type)
        schemaless = node_type.is_external or gvk == CRD_GVK
        try:
            leaves = collect_leaves(obj, None if schemaless else resolved.schema)
        except FieldError as exc:
            raise GraphError(
                f'resource "{r.id}": {exc.message}',
                resource_id=r.id,
                path=format_path(exc.path),
                expression=exc.text,
                offset=exc.offset,
                yaml_path=yaml_path(index, section, exc.path),
            ) from None
        if gvk == CRD_GVK:
            for leaf in leaves:
                if leaf.path[:1] != ("metadata",):
                    raise self.leaf_error(
                        r.id,
                        index,
                        section,
                        leaf,
                        "CEL expressions in CRDs are only supported for metadata fields",
                    )
        include = [(t, self.standalone(r, index, "includeWhen", i, t)) for i, t in enumerate(r.include_when)]
        ready = [(t, self.standalone(r, index, "readyWhen", i, t)) for i, t in enumerate(r.ready_when)]
        for_each = [
            (d.name, d.expression, self.standalone(r, index, "forEach", i, d.expression))
            for i, d in enumerate(r.for_each)
        ]
        ready_known = frozenset({EACH}) if node_type.is_collection else self.known
        return Pending(
            resource=r,
            index=index,
            type=node_type,
            gvk=gvk,
            plural=resolved.info.plural,
            namespaced=namespaced,
            obj=obj,
            schema=resolved.schema,
            leaves=leaves,
            typed_fields=not schemaless,
            include_refs=[(t, self.references(r, index, "includeWhen", t, e)) for t, e in include],
            ready_refs=[(t, self.references(r, index, "readyWhen", t, e, ready_known)) for t, e in ready],
            for_each_refs=[(n, t, e, self.iterator_references(r, index, n, t, e)) for n, t, e in for_each],
            leaf_refs=[],
            dependencies=[],
        )

    def object_gvk(self, r: Resource, index: int, section: str, obj: Mapping[str, Any]) -> GVK:
        where = f"spec.resources[{index}].{section}"
        for key, what in (("apiVersion", "string"), ("kind", "string"), ("metadata", "map")):
            value = obj.get(key)
            if (
                value is None
                or (what == "string" and not isinstance(value, str))
                or (what == "map" and not isinstance(value, Mapping))
            ):
                raise GraphError(
                    f'resource "{r.id}" is not a valid Kubernetes object: {key} field not found',
                    resource_id=r.id,
                    yaml_path=where,
                )
        api_version, kind = obj["apiVersion"], obj["kind"]
        if not is_literal(api_version) or not is_literal(kind):
            raise GraphError(
                f'resource "{r.id}": apiVersion and kind cannot hold expressions',
                resource_id=r.id,
                yaml_path=where,
            )
        parts = api_version.split("/")
        if len(parts) > 2 or not all(parts):
            raise GraphError(
                f'resource "{r.id}": invalid apiVersion format "{api_version}"',
                resource_id=r.id,
                path="apiVersion",
                yaml_path=f"{where}.apiVersion",
            )
        if not DNS1035.match(kind.lower()) or len(kind) > 63:
            raise GraphError(
                f'resource "{r.id}": invalid kind "{kind}": the lowercase kind must be a DNS-1035 label',
                resource_id=r.id,
                path="kind",
                yaml_path=f"{where}.kind",
            )
        return GVK.from_api_version(api_version, kind)

    def check_metadata(
        self,
        r: Resource,
        index: int,
        section: str,
        obj: Mapping[str, Any],
        namespaced: bool,
        node_type: NodeType,
    ) -> None:
        meta = obj["metadata"]
        where = f"spec.resources[{index}].{section}.metadata"
        namespace = meta.get("namespace")
        if not namespaced and namespace not in (None, ""):
            raise GraphError(
                f'resource "{r.id}" is cluster-scoped and must not set metadata.namespace',
                resource_id=r.id,
                path="metadata.namespace",
                yaml_path=f"{where}.namespace",
            )
        if (
            namespaced
            and not self.schema.namespaced
            and node_type is not NodeType.EXTERNAL_COLLECTION
            and not namespace
        ):
            raise GraphError(
                f'resource "{r.id}" is namespaced and must set metadata.namespace because the instance kind '
                f"{self.schema.kind} is cluster-scoped",
                resource_id=r.id,
                path="metadata.namespace",
                yaml_path=where,
            )
        for section_name in ("labels", "annotations"):
            values = meta.get(section_name)
            if not isinstance(values, Mapping):
                continue
            for key in values:
                for prefix in RESERVED_PREFIXES:
                    if str(key).startswith(prefix):
                        raise GraphError(
                            f'resource "{r.id}": {section_name} with prefix "{prefix}" are reserved for '
                            "internal use",
                            resource_id=r.id,
                            path=format_path(("metadata", section_name, str(key))),
                            yaml_path=format_path((section_name, str(key)), where),
                        )

    def standalone(self, r: Resource, index: int, section: str, position: int, text: str) -> str:
        where = f"spec.resources[{index}].{section}[{position}]"
        try:
            parsed = parse_value(text)
        except CelError as exc:
            raise GraphError(
                f'resource "{r.id}": {section}: {exc.detail}',
                resource_id=r.id,
                path=section,
                expression=text,
                yaml_path=where,
            ) from None
        if not isinstance(parsed, Standalone):
            raise GraphError(
                f'resource "{r.id}": {section} "{text}": only standalone expressions are allowed',
                resource_id=r.id,
                path=section,
                expression=text,
                yaml_path=where,
            )
        return parsed.expression

    # --- steps 5-6: references and dependencies -------------------------------------------------

    def iterator_references(self, r: Resource, index: int, name: str, text: str, expression: str) -> AstInfo:
        """References of a forEach expression: `schema` and resources, never other iterators (§4.3)."""
        info = self.parse(r, index, "forEach", text, expression)
        iterators = {d.name for d in r.for_each}
        others = [i for i in info.identifiers if i in iterators]
        if others:
            raise GraphError(
                f'resource "{r.id}": forEach iterator "{name}" cannot reference other iterators '
                f"[{', '.join(others)}]",
                resource_id=r.id,
                path="forEach",
                expression=text,
                yaml_path=f"spec.resources[{index}].forEach",
            )
        return self.references(r, index, "forEach", text, expression, parsed=info)

    def parse(self, r: Resource, index: int, section: str, text: str, expression: str) -> AstInfo:
        try:
            return parse_references(expression)
        except CompileError as exc:
            raise self.compile_error(r.id, index, section, text, exc, expression, 2) from None

    def references(
        self,
        r: Resource,
        index: int,
        section: str,
        text: str,
        expression: str,
        known: frozenset[str] | None = None,
        *,
        parsed: AstInfo | None = None,
    ) -> AstInfo:
        """Parse-only references of one expression; unknown identifiers are errors (§4.3)."""
        info = parsed if parsed is not None else self.parse(r, index, section, text, expression)
        unknown = unknown_identifiers(info, self.known if known is None else known)
        if RUNTIME in unknown:
            raise GraphError(
                f'resource "{r.id}": {section}: runtime is only available in status.conditions expressions',
                resource_id=r.id,
                path=section,
                expression=text,
            )
        if unknown:
            raise GraphError(
                f'resource "{r.id}": {section}: expression "{expression}" references unknown identifiers: '
                f"[{', '.join(unknown)}]",
                resource_id=r.id,
                path=section,
                expression=text,
            )
        self.check_omit(r.id, section, text, info, template=section in ("template", "externalRef"))
        return info

    def check_omit(self, rid: str, section: str, text: str, info: AstInfo, *, template: bool) -> None:
        if "omit" not in info.functions:
            return
        if not template:
            raise GraphError(
                f'resource "{rid}": {section}: omit() can only be used in resource template expressions',
                resource_id=rid,
                path=section,
                expression=text,
            )
        if not self.enable_omit:
            raise GraphError(
                f'resource "{rid}": {section}: '
                "omit() requires the CELOmitFunction feature gate to be enabled",
                resource_id=rid,
                path=section,
                expression=text,
            )

    def dependencies(self, pending: list[Pending]) -> DAG:
        dag = DAG()
        for p in pending:
            dag.add_vertex(p.resource.id)
        for p in pending:
            section = "externalRef" if p.type.is_external else "template"
            referencing = [info for _name, _text, _expr, info in p.for_each_refs]
            # Only copied when the node has iterators: a copy per node would be quadratic.
            leaf_known = self.known | p.iterators if p.iterators else self.known
            for leaf in p.leaves:
                infos = []
                for expression in leaf.expressions:
                    try:
                        info = parse_references(expression)
                    except CompileError as exc:
                        offset = leaf.text.find(expression)
                        raise self.leaf_compile_error(p, section, leaf, exc, expression, offset) from None
                    unknown = unknown_identifiers(info, leaf_known)
                    if RUNTIME in unknown:
                        raise self.leaf_error(
                            p.resource.id,
                            p.index,
                            section,
                            leaf,
                            "runtime is only available in status.conditions expressions",
                        )
                    if unknown:
                        raise self.leaf_error(
                            p.resource.id,
                            p.index,
                            section,
                            leaf,
                            f'expression "{expression}" references unknown identifiers: '
                            f"[{', '.join(unknown)}]",
                        )
                    self.check_omit_leaf(p, section, leaf, info)
                    infos.append(info)
                referencing.extend(infos)
                p.leaf_refs.append(merge(infos))
            referencing.extend(info for _text, info in p.include_refs)
            # First-seen order, so the topological order is stable for a given RGD.
            p.dependencies = list(
                dict.fromkeys(
                    ident
                    for info in referencing
                    for ident in info.identifiers
                    if ident in self.known and ident != SCHEMA
                )
            )
            self.check_identity(p)
            try:
                dag.add_dependencies(p.resource.id, p.dependencies)
            except CycleError as exc:
                raise GraphError(
                    f"failed to build dependency graph: {exc}", resource_id=p.resource.id
                ) from None
            except ValueError as exc:
                raise GraphError(
                    f'failed to build dependency graph: resource "{p.resource.id}": {exc}',
                    resource_id=p.resource.id,
                ) from None
        return dag

    # --- step 8: type checking -------------------------------------------------------------------

    # --- the pipeline ----------------------------------------------------------------------------

    def build(self) -> CompiledGraph:
        validate_names(self.rgd)
        spec_schema = self.instance_schema()
        schema_variable = instance_schema_variable(spec_schema, namespaced=self.schema.namespaced)
        pending = [self.prepare(i, r) for i, r in enumerate(self.rgd.spec.resources)]
        dag = self.dependencies(pending)
        topological = dag.topological_order()
        waves = dag.reverse_topological_layers()
        apply_order = dag.apply_order()

        typed_nodes = {p.resource.id: (p.schema, p.type.is_collection) for p in pending}
        compiler = compiler_for(schema_variable, typed_nodes, enable_omit=self.enable_omit)

        nodes: dict[str, Node] = {}
        for p in pending:
            dimensions = tuple(self.check_for_each(compiler, p, i) for i in range(len(p.for_each_refs)))
            node_compiler = compiler
            if dimensions:
                node_compiler = compiler_for(
                    schema_variable,
                    typed_nodes,
                    enable_omit=self.enable_omit,
                    extra={d.name: d.element_type for d in dimensions},
                )
            fields = tuple(
                self.check_leaf(node_compiler, p, leaf, refs)
                for leaf, refs in zip(p.leaves, p.leaf_refs, strict=True)
            )
            include = tuple(
                self.check_condition(compiler, p, "includeWhen", i, t, refs)
                for i, (t, refs) in enumerate(p.include_refs)
            )
            ready_compiler = compiler
            if p.type.is_collection and p.ready_refs:
                ready_compiler = compiler_for(None, {EACH: (p.schema, False)}, enable_omit=False)
            ready = tuple(
                self.check_condition(ready_compiler, p, "readyWhen", i, t, refs)
                for i, (t, refs) in enumerate(p.ready_refs)
            )
            nodes[p.resource.id] = Node(
                id=p.resource.id,
                index=p.index,
                type=p.type,
                gvk=p.gvk,
                plural=p.plural,
                namespaced=p.namespaced,
                template=freeze(p.obj),
                fields=fields,
                include_when=include,
                ready_when=ready,
                for_each=dimensions,
                dependencies=tuple(p.dependencies),
                apply_order=apply_order[p.resource.id],
                schema=p.schema,
                preparer=preparer_for(p.schema),
            )

        status_fields, inferred, status_deps, conditions = compile_status(
            compiler, self.schema.status, self.known, self.ids
        )
        status_schema = status_schema_with_defaults(inferred)
        crd = instance_crd(
            self.schema,
            spec_schema=spec_schema,
            status_schema=status_schema,
            rgd_name=self.rgd.name,
            rgd_uid=self.rgd.uid,
        )
        return CompiledGraph(
            rgd_name=self.rgd.name,
            spec_hash=spec_hash(self.rgd.spec),
            instance_gvk=GVK(self.schema.group, self.schema.api_version, self.schema.kind),
            instance_plural=plural_of(self.schema.kind),
            instance_namespaced=self.schema.namespaced,
            crd=freeze(crd),
            status_schema=freeze(status_schema),
            schema_variable=freeze(schema_variable),
            nodes=FrozenDict(nodes),
            topological_order=tuple(topological),
            deletion_waves=tuple(tuple(w) for w in waves),
            status_fields=tuple(status_fields),
            status_dependencies=status_deps,
            conditions=conditions,
        )
