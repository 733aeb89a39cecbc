"""SimpleSchema → structural OpenAPI v3 (§2): the instance `.spec` schema of an RGD.

Custom types are built first in dependency order (a cycle or an undefined reference is an error,
even for unused types) and inlined where referenced. Problems are collected per field so one
run reports every broken field, each with its YAML path.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pykro.errors import Problem
from pykro.schema.simpleschema_markers import Marker, apply_markers, parse_markers
from pykro.schema.simpleschema_types import FieldType, SimpleSchemaError, parse_type, split_field

__all__ = ["SimpleSchemaError", "build_field", "parse_field", "parse_markers", "parse_type", "to_openapi"]

SPEC_PATH = "spec.schema.spec"
TYPES_PATH = "spec.schema.types"


def parse_field(text: str) -> tuple[FieldType, list[Marker]]:
    """Parse one field string `"<type> | <markers>"`."""
    type_text, marker_text = split_field(text)
    field_type = parse_type(type_text)
    return field_type, parse_markers(marker_text) if marker_text else []


def to_openapi(
    spec: Mapping[str, Any],
    types: Mapping[str, Any] | None = None,
    *,
    path: str = SPEC_PATH,
    types_path: str = TYPES_PATH,
) -> dict[str, Any]:
    """Build the OpenAPI schema of the instance `.spec`; raise `SimpleSchemaError` naming every bad field."""
    builder = _Builder(types_path)
    builder.build_types(types or {})
    schema = builder.build_object(spec, path)
    if builder.problems:
        problems = tuple(builder.problems)
        summary = str(problems[0]) if len(problems) == 1 else f"{len(problems)} problems in SimpleSchema"
        raise SimpleSchemaError(summary, problems)
    return schema


def build_field(text: str, types: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], bool]:
    """The schema of a single field string and whether it is required in its parent (for tests and tools)."""
    wrapper = to_openapi({"field": text}, types, path="")
    return wrapper["properties"]["field"], "field" in wrapper.get("required", [])


class _BrokenType(Exception):
    """A reference to a custom type whose own definition failed (and was reported)."""


@dataclass(frozen=True)
class _Custom:
    schema: dict[str, Any]
    required: bool  # only alias types (`"string | required=true"`) propagate required-ness


def _go_type_name(value: object) -> str:
    """The Go type name upstream kro prints for a value of the wrong kind (`unexpected type: int`)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, list | tuple):
        return "[]interface {}"
    if value is None:
        return "<nil>"
    return type(value).__name__


def _field_path(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


class _Builder:
    def __init__(self, types_path: str) -> None:
        self.types_path = types_path
        self.custom: dict[str, _Custom] = {}
        self.broken: set[str] = set()  # defined but unbuildable: already reported, so uses stay quiet
        self.problems: list[Problem] = []

    def fail(self, path: str, reason: str) -> None:
        self.problems.append(Problem(path, reason))

    # --- custom types ------------------------------------------------------------------------------

    def build_types(self, types: Mapping[str, Any]) -> None:
        deps: dict[str, set[str]] = {}
        for name, value in types.items():
            path = _field_path(self.types_path, str(name))
            refs = self._references(value, path)
            if refs is not None:
                deps[str(name)] = refs
        self.broken = {str(name) for name in types}
        order = self._topological_order({n: r & deps.keys() for n, r in deps.items()})
        for name in order or ():
            self._build_custom(name, types[name], _field_path(self.types_path, name))
        self.broken -= self.custom.keys()

    def _references(self, value: Any, path: str) -> set[str] | None:
        """Custom names a type definition uses; None (after reporting) when it is malformed."""
        if isinstance(value, str):
            try:
                field_type, _ = parse_field(value)
            except SimpleSchemaError as err:
                self.fail(path, err.reason)
                return None
            return field_type.custom_names()
        if isinstance(value, Mapping):
            refs: set[str] = set()
            ok = True
            for key, child in value.items():
                child_refs = self._references(child, _field_path(path, str(key)))
                if child_refs is None:
                    ok = False
                else:
                    refs |= child_refs
            return refs if ok else None
        self.fail(path, f"unexpected type: {_go_type_name(value)}")
        return None

    def _topological_order(self, deps: dict[str, set[str]]) -> list[str] | None:
        order: list[str] = []
        state: dict[str, int] = {}  # 1 = on the current path, 2 = done

        def visit(name: str, trail: list[str]) -> bool:
            if state.get(name) == 2:
                return True
            if state.get(name) == 1:
                cycle = [*trail[trail.index(name) :], name]
                self.fail(
                    _field_path(self.types_path, cycle[0]),
                    f"cyclic dependency in type {cycle[0]}: graph contains a cycle: {' -> '.join(cycle)}",
                )
                return False
            state[name] = 1
            for dep in sorted(deps[name]):
                if not visit(dep, [*trail, name]):
                    return False
            state[name] = 2
            order.append(name)
            return True

        for name in deps:
            if not visit(name, []):
                return None
        return order

    def _build_custom(self, name: str, value: Any, path: str) -> None:
        if isinstance(value, Mapping):
            self.custom[name] = _Custom(self.build_object(value, path), False)
            return
        built = self.build_field(value, path)
        if built is not None:
            self.custom[name] = _Custom(built[0], built[1])

    # --- fields and objects ------------------------------------------------------------------------

    def build_object(self, fields: Mapping[str, Any], path: str) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for key, value in fields.items():
            child_path = _field_path(path, str(key))
            if not isinstance(key, str):
                self.fail(child_path, f"field name must be a string, got {_go_type_name(key)}")
                continue
            built = self.build_field(value, child_path)
            if built is None:
                continue
            properties[key], is_required = built
            if is_required:
                required.append(key)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            # Sorted so the generated CRD is byte-for-byte stable across runs (§2.6).
            schema["required"] = sorted(required)
        elif any("default" in child for child in properties.values()):
            # Lets the API server materialize nested defaults when the parent is omitted.
            schema["default"] = {}
        return schema

    def build_field(self, value: Any, path: str) -> tuple[dict[str, Any], bool] | None:
        if isinstance(value, Mapping):
            return self.build_object(value, path), False
        if not isinstance(value, str):
            self.fail(path, f"unexpected type: {_go_type_name(value)}")
            return None
        try:
            field_type, markers = parse_field(value)
            schema, alias_required = self._type_schema(field_type)
            required = apply_markers(schema, markers)
        except _BrokenType:
            return None
        except SimpleSchemaError as err:
            self.fail(path, err.reason)
            return None
        return schema, required or alias_required

    def _type_schema(self, field_type: FieldType) -> tuple[dict[str, Any], bool]:
        if field_type.kind == "atomic":
            return {"type": "number" if field_type.name == "float" else field_type.name}, False
        if field_type.kind == "object":
            return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}, False
        if field_type.kind in ("slice", "map"):
            assert field_type.element is not None
            element, _ = self._type_schema(field_type.element)
            if field_type.kind == "slice":
                return {"type": "array", "items": element}, False
            return {"type": "object", "additionalProperties": element}, False
        custom = self.custom.get(field_type.name)
        if custom is None and field_type.name in self.broken:
            raise _BrokenType(field_type.name)
        if custom is None:
            raise SimpleSchemaError(f"unknown type: {field_type.name}")
        return copy.deepcopy(custom.schema), custom.required
