"""Parse and validate a ResourceGraphDefinition document (§1.1 admission rules).

Every rule the API server would enforce through the RGD CRD (OpenAPI patterns, enums, CEL
admission rules) plus the resource-id naming rules of §4.1/§4.2 is checked here, and every
violation is collected (not just the first) as a `Problem` naming the YAML path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pykro.api import constants as c
from pykro.api.frozen import FrozenDict, freeze
from pykro.api.model import (
    ExternalRef,
    ForEachDimension,
    Resource,
    ResourceGraphDefinition,
    RGDSpec,
    SchemaSpec,
)
from pykro.api.yamlio import load_documents, parse_yaml_documents, shape_problem
from pykro.errors import Problem, PykroError
from pykro.jsontypes import json_type

__all__ = [
    "ExternalRef",
    "ForEachDimension",
    "RGDSpec",
    "Resource",
    "ResourceGraphDefinition",
    "SchemaSpec",
    "is_rgd_document",
    "load_documents",
    "parse_rgd",
]

_SCHEMA_FIELDS = frozenset(
    {
        "kind",
        "apiVersion",
        "group",
        "scope",
        "spec",
        "types",
        "status",
        "additionalPrinterColumns",
        "shortNames",
        "categories",
        "metadata",
    }
)
_RESOURCE_FIELDS = frozenset({"id", "template", "externalRef", "readyWhen", "includeWhen", "forEach"})
_EXTERNAL_REF_FIELDS = frozenset({"apiVersion", "kind", "metadata"})
_EXTERNAL_REF_META_FIELDS = frozenset({"name", "namespace", "selector"})
_PRINTER_COLUMN_FIELDS = frozenset({"name", "type", "jsonPath", "description", "format", "priority"})
_PRINTER_COLUMN_TYPES = ("integer", "number", "string", "boolean", "date")


def is_rgd_document(doc: object) -> bool:
    """True for a mapping whose `kind` is ResourceGraphDefinition (instances and other kinds are not)."""
    return isinstance(doc, Mapping) and doc.get("kind") == c.KIND


def parse_rgd(doc: Mapping[str, Any] | str, *, source: str = "") -> ResourceGraphDefinition:
    """Build the typed RGD from a YAML string or a decoded document; raise `PykroError` listing every
    problem."""
    if isinstance(doc, str):
        docs = parse_yaml_documents(doc, source)
        if len(docs) != 1:
            raise _error((Problem("", f"expected exactly one YAML document, found {len(docs)}", source),))
        doc = docs[0]
    elif (reason := shape_problem(doc)) is not None:
        raise _error((Problem("", reason, source),))
    parser = _Parser(source)
    rgd = parser.parse(doc)
    if parser.problems or rgd is None:
        raise _error(tuple(parser.problems))
    return rgd


def _error(problems: tuple[Problem, ...]) -> PykroError:
    summary = (
        str(problems[0]) if len(problems) == 1 else f"{len(problems)} problems in ResourceGraphDefinition"
    )
    return PykroError(summary, problems)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message, self.source))

    # --- small typed getters; each reports and returns None on a wrong type -------------------------

    def mapping(self, value: object, path: str, *, required: bool = False) -> Mapping[str, Any] | None:
        if value is None:
            if required:
                self.fail(path, "required field is missing")
            return None
        if not isinstance(value, Mapping):
            self.fail(path, f"must be an object, got {json_type(value)}")
            return None
        for key in value:
            if not isinstance(key, str):
                self.fail(path, f"keys must be strings, got {json_type(key)} {key!r}")
        return value

    def string(self, value: object, path: str, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                self.fail(path, "required field is missing")
            return None
        if not isinstance(value, str):
            self.fail(path, f"must be a string, got {json_type(value)}")
            return None
        if required and not value:
            self.fail(path, "must not be empty")
            return None
        return value

    def sequence(self, value: object, path: str, what: str = "a list") -> list[Any] | tuple[Any, ...]:
        """The items of an optional list field; reports and returns () for anything else."""
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            self.fail(path, f"must be {what}, got {json_type(value)}")
            return ()
        return value

    def strings(self, value: object, path: str) -> tuple[str, ...]:
        value = self.sequence(value, path, "a list of strings")
        out: list[str] = []
        for index, item in enumerate(value):
            text = self.string(item, f"{path}[{index}]", required=False)
            if item is None:
                self.fail(f"{path}[{index}]", "must be a string, got null")
            elif text is not None:
                out.append(text)
        return tuple(out)

    def string_map(self, value: object, path: str) -> FrozenDict[str, str]:
        data = self.mapping(value, path)
        if data is None:
            return FrozenDict()
        for key, item in data.items():
            if not isinstance(item, str):
                self.fail(f"{path}.{key}", f"must be a string, got {json_type(item)}")
        return FrozenDict({k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)})

    def unknown_fields(self, data: Mapping[str, Any], allowed: Iterable[str], path: str) -> None:
        allowed_set = set(allowed)
        for key in data:
            if isinstance(key, str) and key not in allowed_set:
                self.fail(f"{path}.{key}" if path else key, f'unknown field "{key}"')

    def pattern(self, value: str | None, pattern: str, path: str, what: str) -> None:
        if value is not None and not re.match(pattern, value):
            self.fail(path, f"{what} {value!r} must match {pattern}")

    # --- document structure ------------------------------------------------------------------------

    def parse(self, doc: object) -> ResourceGraphDefinition | None:
        top = self.mapping(doc, "")
        if top is None:
            if doc is None:
                self.fail("", "document is empty")
            return None
        api_version = self.string(top.get("apiVersion"), "apiVersion", required=True)
        if api_version is not None and api_version != c.API_VERSION:
            self.fail("apiVersion", f'must be "{c.API_VERSION}", got {api_version!r}')
        kind = self.string(top.get("kind"), "kind", required=True)
        if kind is not None and kind != c.KIND:
            self.fail("kind", f'must be "{c.KIND}", got {kind!r}')
        metadata = self.mapping(top.get("metadata"), "metadata", required=True) or {}
        name = self.string(metadata.get("name"), "metadata.name", required=True) or ""
        uid = self.string(metadata.get("uid"), "metadata.uid") or ""
        generation = metadata.get("generation", 0)
        if not isinstance(generation, int) or isinstance(generation, bool):
            self.fail("metadata.generation", f"must be an integer, got {json_type(generation)}")
            generation = 0
        labels = self.string_map(metadata.get("labels"), "metadata.labels")
        annotations = self.string_map(metadata.get("annotations"), "metadata.annotations")
        spec = self.parse_spec(top.get("spec"))
        if spec is None:
            return None
        return ResourceGraphDefinition(name, uid, generation, labels, annotations, spec)

    def parse_spec(self, value: object) -> RGDSpec | None:
        spec = self.mapping(value, "spec", required=True)
        if spec is None:
            return None
        self.unknown_fields(spec, ("schema", "resources"), "spec")
        schema = self.parse_schema(spec.get("schema"))
        resources = self.parse_resources(spec.get("resources"))
        if schema is None:
            return None
        return RGDSpec(schema, resources)

    def parse_schema(self, value: object) -> SchemaSpec | None:
        path = "spec.schema"
        schema = self.mapping(value, path, required=True)
        if schema is None:
            return None
        self.unknown_fields(schema, _SCHEMA_FIELDS, path)
        kind = self.string(schema.get("kind"), f"{path}.kind", required=True)
        self.pattern(kind, c.KIND_PATTERN, f"{path}.kind", "kind")
        version = self.string(schema.get("apiVersion"), f"{path}.apiVersion", required=True)
        self.pattern(version, c.SCHEMA_API_VERSION_PATTERN, f"{path}.apiVersion", "apiVersion")
        group = self.string(schema.get("group"), f"{path}.group")
        if group is not None and len(group) > c.GROUP_MAX_LENGTH:
            self.fail(f"{path}.group", f"group must be at most {c.GROUP_MAX_LENGTH} characters")
        self.pattern(group, c.GROUP_PATTERN, f"{path}.group", "group")
        scope = self.string(schema.get("scope"), f"{path}.scope")
        if scope is not None and scope not in c.SCOPES:
            self.fail(f"{path}.scope", f"scope {scope!r} must be one of {', '.join(c.SCOPES)}")
        free_form = {
            key: self.mapping(schema.get(key), f"{path}.{key}") or {} for key in ("spec", "types", "status")
        }
        columns = self.parse_printer_columns(
            schema.get("additionalPrinterColumns"), f"{path}.additionalPrinterColumns"
        )
        short_names = self.name_list(schema.get("shortNames"), f"{path}.shortNames")
        categories = self.name_list(schema.get("categories"), f"{path}.categories")
        crd_meta = self.mapping(schema.get("metadata"), f"{path}.metadata") or {}
        self.unknown_fields(crd_meta, ("labels", "annotations"), f"{path}.metadata")
        crd_labels = self.string_map(crd_meta.get("labels"), f"{path}.metadata.labels")
        crd_annotations = self.string_map(crd_meta.get("annotations"), f"{path}.metadata.annotations")
        if kind is None or version is None:
            return None
        return SchemaSpec(
            kind=kind,
            api_version=version,
            group=group if group else c.DEFAULT_GROUP,
            scope=scope if scope in c.SCOPES else c.DEFAULT_SCOPE,
            spec=freeze(free_form["spec"]),
            types=freeze(free_form["types"]),
            status=freeze(free_form["status"]),
            additional_printer_columns=columns,
            short_names=short_names,
            categories=categories,
            crd_labels=crd_labels,
            crd_annotations=crd_annotations,
        )

    def name_list(self, value: object, path: str) -> tuple[str, ...]:
        items = self.strings(value, path)
        if len(items) > c.NAME_LIST_MAX_ITEMS:
            self.fail(path, f"must have at most {c.NAME_LIST_MAX_ITEMS} items, got {len(items)}")
        seen: set[str] = set()
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]"
            if len(item) > c.NAME_LIST_ITEM_MAX_LENGTH:
                self.fail(item_path, f"must be at most {c.NAME_LIST_ITEM_MAX_LENGTH} characters")
            self.pattern(item, c.NAME_LIST_PATTERN, item_path, "value")
            if item in seen:
                self.fail(item_path, f"duplicate value {item!r}")
            seen.add(item)
        return items

    def parse_printer_columns(self, value: object, path: str) -> tuple[FrozenDict[str, Any], ...]:
        columns: list[FrozenDict[str, Any]] = []
        for index, item in enumerate(self.sequence(value, path)):
            item_path = f"{path}[{index}]"
            column = self.mapping(item, item_path, required=True)
            if column is None:
                continue
            self.unknown_fields(column, _PRINTER_COLUMN_FIELDS, item_path)
            for key in ("name", "type", "jsonPath"):
                self.string(column.get(key), f"{item_path}.{key}", required=True)
            for key in ("description", "format"):
                self.string(column.get(key), f"{item_path}.{key}")
            column_type = column.get("type")
            if isinstance(column_type, str) and column_type and column_type not in _PRINTER_COLUMN_TYPES:
                self.fail(
                    f"{item_path}.type",
                    f"type {column_type!r} must be one of {', '.join(_PRINTER_COLUMN_TYPES)}",
                )
            priority = column.get("priority")
            if priority is not None and (not isinstance(priority, int) or isinstance(priority, bool)):
                self.fail(f"{item_path}.priority", f"must be an integer, got {json_type(priority)}")
            columns.append(freeze(column))
        return tuple(columns)

    # --- resources ---------------------------------------------------------------------------------

    def parse_resources(self, value: object) -> tuple[Resource, ...]:
        path = "spec.resources"
        resources: list[tuple[int, Resource]] = []
        first_index: dict[str, int] = {}
        for index, item in enumerate(self.sequence(value, path)):
            resource = self.parse_resource(item, f"{path}[{index}]")
            if resource is None:
                continue
            if resource.id in first_index:
                self.fail(
                    f"{path}[{index}].id",
                    f"naming convention violation: found duplicate resource IDs {resource.id}",
                )
            else:
                first_index[resource.id] = index
            resources.append((index, resource))
        ids = set(first_index)
        for index, resource in resources:
            self.check_iterators(resource, ids, f"{path}[{index}].forEach")
        return tuple(resource for _, resource in resources)

    def check_iterators(self, resource: Resource, ids: set[str], path: str) -> None:
        """Iterator names become CEL variables next to the resource ids, so the same naming rules apply."""
        seen: set[str] = set()
        for position, dimension in enumerate(resource.for_each):
            item_path = f"{path}[{position}]"
            self.check_identifier(dimension.name, item_path, "iterator")
            if dimension.name in ids:
                self.fail(
                    item_path,
                    f"naming convention violation: iterator {dimension.name} conflicts with a resource id",
                )
            if dimension.name in seen:
                self.fail(item_path, f"naming convention violation: duplicate iterator name {dimension.name}")
            seen.add(dimension.name)

    def parse_resource(self, value: object, path: str) -> Resource | None:
        data = self.mapping(value, path, required=True)
        if data is None:
            return None
        self.unknown_fields(data, _RESOURCE_FIELDS, path)
        resource_id = self.string(data.get("id"), f"{path}.id", required=True)
        if resource_id is not None:
            self.check_identifier(resource_id, f"{path}.id", "id")
        has_template = data.get("template") is not None
        has_external = data.get("externalRef") is not None
        if has_template == has_external:
            self.fail(path, c.ONE_OF_TEMPLATE_MESSAGE)
        template = self.mapping(data.get("template"), f"{path}.template")
        external_ref = self.parse_external_ref(data.get("externalRef"), f"{path}.externalRef")
        ready_when = self.strings(data.get("readyWhen"), f"{path}.readyWhen")
        include_when = self.strings(data.get("includeWhen"), f"{path}.includeWhen")
        for_each = self.parse_for_each(data.get("forEach"), f"{path}.forEach")
        if has_external and for_each:
            self.fail(f"{path}.forEach", "cannot use externalRef with forEach")
        if resource_id is None:
            return None
        return Resource(
            id=resource_id,
            template=freeze(template) if template is not None else None,
            external_ref=external_ref,
            ready_when=ready_when,
            include_when=include_when,
            for_each=for_each,
        )

    def check_identifier(self, name: str, path: str, what: str) -> None:
        if name in c.RESERVED_WORDS:
            self.fail(path, f"naming convention violation: {what} {name} is a reserved keyword in KRO")
        elif not re.match(c.RESOURCE_ID_PATTERN, name):
            self.fail(
                path,
                f"naming convention violation: {what} {name!r} is not a valid KRO identifier: "
                f"must be lower camelCase ({c.RESOURCE_ID_PATTERN})",
            )

    def parse_external_ref(self, value: object, path: str) -> ExternalRef | None:
        data = self.mapping(value, path)
        if data is None:
            return None
        self.unknown_fields(data, _EXTERNAL_REF_FIELDS, path)
        api_version = self.string(data.get("apiVersion"), f"{path}.apiVersion", required=True)
        kind = self.string(data.get("kind"), f"{path}.kind", required=True)
        metadata = self.mapping(data.get("metadata"), f"{path}.metadata", required=True)
        if metadata is None:
            return None
        self.unknown_fields(metadata, _EXTERNAL_REF_META_FIELDS, f"{path}.metadata")
        name = self.string(metadata.get("name"), f"{path}.metadata.name")
        if name == "":
            self.fail(f"{path}.metadata.name", "must not be empty")
        namespace = self.string(metadata.get("namespace"), f"{path}.metadata.namespace")
        selector = self.mapping(metadata.get("selector"), f"{path}.metadata.selector")
        if (metadata.get("name") is None) == (metadata.get("selector") is None):
            self.fail(f"{path}.metadata", c.ONE_OF_NAME_MESSAGE)
        if api_version is None or kind is None:
            return None
        return ExternalRef(
            api_version=api_version,
            kind=kind,
            name=name,
            namespace=namespace,
            selector=freeze(selector) if selector is not None else None,
        )

    def parse_for_each(self, value: object, path: str) -> tuple[ForEachDimension, ...]:
        dimensions: list[ForEachDimension] = []
        for index, item in enumerate(self.sequence(value, path, "a list of single-entry maps")):
            item_path = f"{path}[{index}]"
            if not isinstance(item, Mapping) or len(item) != 1:
                found = f"{len(item)} entries" if isinstance(item, Mapping) else json_type(item)
                self.fail(item_path, f"each forEach item must be a map with exactly one entry, got {found}")
                continue
            ((name, expression),) = item.items()
            if not isinstance(name, str):
                self.fail(item_path, f"iterator name must be a string, got {json_type(name)}")
                continue
            if not isinstance(expression, str):
                self.fail(f"{item_path}.{name}", f"must be a string expression, got {json_type(expression)}")
                continue
            dimensions.append(ForEachDimension(name, expression))
        return tuple(dimensions)
