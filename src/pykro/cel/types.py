"""OpenAPI v3 schemas → protobuf message descriptors, so the CEL checker knows every field.

Mapping (Kubernetes DeclType rules, spec §3.6):
- object with `properties` → a message whose fields are proto3 `optional` (presence, so `has()`
  and `?.` type-check exactly like on Kubernetes objects); nested objects are nested messages;
- `additionalProperties: <schema>` → `map<string, T>`; `array` → `repeated T`;
- integer → int64, number → double, boolean → bool, string → string, `format: byte` → bytes,
  `format: date-time` → google.protobuf.Timestamp, `format: duration` → google.protobuf.Duration;
- int-or-string, preserve-unknown-fields, untyped, empty, or anything protobuf cannot nest
  (lists or maps *inside* lists or maps) → google.protobuf.Value, which CEL treats as `dyn`.

Schemas may be lazily resolved and recursive, so the walk is bounded: an ancestor seen again,
depth beyond `MAX_DEPTH` or more than `MAX_NODES` nodes per build turns the rest into `dyn`.
A schema is first normalized into a hashable type tree; descriptor pools are cached on it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,
    struct_pb2,
    timestamp_pb2,
)

MAX_DEPTH = 24  # protobuf refuses messages nested deeper than ~30 levels
MAX_NODES = 50_000
PACKAGE = "kro"

# Parser keywords that cannot follow `.`; every other CEL reserved word (e.g. `namespace`,
# `package`) is accepted by the parser as a field name, as kro allows (spec §3.6).
_KEYWORDS = frozenset({"true", "false", "null", "in"})
# The full Kubernetes reserved set, for callers that want apiserver-identical escaping.
KUBERNETES_RESERVED = frozenset(
    {
        "true",
        "false",
        "null",
        "in",
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
    }
)
_ESCAPABLE = re.compile(r"__|[-./]|[^a-zA-Z0-9\-./_]")
_ESCAPES = {"__": "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def escape_field_name(name: str, *, reserved: frozenset[str] = _KEYWORDS) -> str | None:
    """The CEL field name of an OpenAPI property, Kubernetes style; None if it cannot be expressed.

    `__` → `__underscores__`, `.` → `__dot__`, `-` → `__dash__`, `/` → `__slash__`, a reserved
    word `w` → `__w__`. Names starting with a digit or holding other characters cannot be escaped.
    """
    if not name or name[0] in "0123456789":
        return None
    if name in reserved:
        return f"__{name}__"
    unsupported = False

    def replace(m: re.Match[str]) -> str:
        nonlocal unsupported
        token = m.group(0)
        if token in _ESCAPES:
            return _ESCAPES[token]
        unsupported = True
        return ""

    escaped = _ESCAPABLE.sub(replace, name)
    if unsupported or not _IDENT.match(escaped):
        return None
    return escaped


# --- normalized type tree (hashable) ---------------------------------------------------------

# ("prim", "string"|"int64"|"double"|"bool"|"bytes"|"timestamp"|"duration"), ("dyn",),
# ("list", node), ("map", node), ("obj", ((cel_name, property_name, node), ...), preserve_unknown_fields)
TypeNode = tuple[Any, ...]
DYN: TypeNode = ("dyn",)


def _prim(kind: str) -> TypeNode:
    return ("prim", kind)


class _Walker:
    def __init__(self) -> None:
        self.nodes = 0

    def walk(self, schema: Any, depth: int, ancestors: tuple[int, ...]) -> TypeNode:
        self.nodes += 1
        if not isinstance(schema, Mapping) or depth > MAX_DEPTH or self.nodes > MAX_NODES:
            return DYN
        if id(schema) in ancestors:
            return DYN
        ancestors = (*ancestors, id(schema))
        if schema.get("x-kubernetes-int-or-string"):
            return DYN
        typ = schema.get("type")
        fmt = schema.get("format")
        if typ == "string":
            if fmt == "byte":
                return _prim("bytes")
            if fmt == "date-time":
                return _prim("timestamp")
            if fmt == "duration":
                return _prim("duration")
            return _prim("string")
        if typ == "integer":
            return _prim("int64")
        if typ == "number":
            return _prim("double")
        if typ == "boolean":
            return _prim("bool")
        if typ == "array":
            items = schema.get("items")
            return ("list", self.walk(items, depth + 1, ancestors) if items is not None else DYN)
        if typ == "object" or (typ is None and "properties" in schema):
            props = schema.get("properties")
            if isinstance(props, Mapping) and props:
                fields: list[tuple[str, str, TypeNode]] = []
                for key in sorted(props):
                    if not isinstance(key, str):
                        continue
                    cel_name = escape_field_name(key)
                    if cel_name is None:
                        continue  # Kubernetes drops properties it cannot name in CEL
                    fields.append((cel_name, key, self.walk(props[key], depth + 1, ancestors)))
                return ("obj", tuple(fields), bool(schema.get("x-kubernetes-preserve-unknown-fields")))
            additional = schema.get("additionalProperties")
            if isinstance(additional, Mapping):
                return ("map", self.walk(additional, depth + 1, ancestors))
            return DYN
        return DYN


def normalize(schema: Any) -> TypeNode:
    """The hashable type tree of an OpenAPI schema (bounded walk)."""
    return _Walker().walk(schema, 0, ())


# --- descriptors ------------------------------------------------------------------------------

_FD = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    "string": _FD.TYPE_STRING,
    "int64": _FD.TYPE_INT64,
    "double": _FD.TYPE_DOUBLE,
    "bool": _FD.TYPE_BOOL,
    "bytes": _FD.TYPE_BYTES,
}
_WELL_KNOWN = {
    "timestamp": ".google.protobuf.Timestamp",
    "duration": ".google.protobuf.Duration",
}
_VALUE = ".google.protobuf.Value"


@dataclass(frozen=True)
class VariableType:
    """The declared type of a variable: `tree` is its type tree with objects replaced by
    `("message", full_name)` at the root level (the root object, or the item of a root list/map)."""

    tree: TypeNode


@dataclass(frozen=True)
class SchemaTypes:
    """A descriptor pool holding one root message per schema-typed variable."""

    pool: descriptor_pool.DescriptorPool
    variables: Mapping[str, VariableType]
    messages: Mapping[str, TypeNode]  # full message name → its type tree


def _nested_name(field: str, taken: set[str]) -> str:
    candidate = field[:1].upper() + field[1:]
    while candidate in taken:
        candidate += "_"
    taken.add(candidate)
    return candidate


class _Builder:
    def __init__(self) -> None:
        self.messages: dict[str, TypeNode] = {}

    def fill(self, msg: descriptor_pb2.DescriptorProto, full_name: str, node: TypeNode) -> None:
        self.messages[full_name] = node
        taken = {name for name, _raw, _child in node[1]}
        for number, (name, _raw, child) in enumerate(node[1], start=1):
            field = msg.field.add(name=name, number=number, json_name=name)
            self._set_type(msg, full_name, msg, field, name, child, taken, singular=True)

    def _set_type(
        self,
        owner: descriptor_pb2.DescriptorProto,
        owner_name: str,
        holder: descriptor_pb2.DescriptorProto,
        field: descriptor_pb2.FieldDescriptorProto,
        name: str,
        node: TypeNode,
        taken: set[str],
        *,
        singular: bool,
    ) -> None:
        """Type `field` of `holder`; nested messages go into `owner` (a map entry may hold none)."""
        field.label = _FD.LABEL_OPTIONAL
        kind = node[0]
        if kind in ("list", "map") and not singular:
            kind = "dyn"
        if kind == "prim":
            if node[1] in _SCALARS:
                field.type = _SCALARS[node[1]]
                if singular:  # presence, so has() and ?. behave as on Kubernetes objects
                    field.proto3_optional = True
                    field.oneof_index = len(holder.oneof_decl)
                    holder.oneof_decl.add(name=f"_{name}")
            else:
                field.type = _FD.TYPE_MESSAGE
                field.type_name = _WELL_KNOWN[node[1]]
        elif kind == "obj":
            nested_name = _nested_name(name, taken)
            nested = owner.nested_type.add(name=nested_name)
            self.fill(nested, f"{owner_name}.{nested_name}", node)
            field.type = _FD.TYPE_MESSAGE
            field.type_name = f".{owner_name}.{nested_name}"
        elif kind == "list":
            self._set_type(owner, owner_name, holder, field, name, node[1], taken, singular=False)
            field.label = _FD.LABEL_REPEATED
        elif kind == "map":
            # protobuf requires the entry to be named after the field: `foo_bar` → `FooBarEntry`.
            entry_name = "".join(p[:1].upper() + p[1:] for p in name.split("_")) + "Entry"
            if entry_name in taken:
                field.type = _FD.TYPE_MESSAGE
                field.type_name = _VALUE
                return
            taken.add(entry_name)
            entry = owner.nested_type.add(name=entry_name)
            entry.options.map_entry = True
            entry.field.add(name="key", number=1, type=_FD.TYPE_STRING, label=_FD.LABEL_OPTIONAL)
            value = entry.field.add(name="value", number=2)
            self._set_type(owner, owner_name, entry, value, f"{name}_value", node[1], taken, singular=False)
            field.type = _FD.TYPE_MESSAGE
            field.type_name = f".{owner_name}.{entry_name}"
            field.label = _FD.LABEL_REPEATED
        else:
            field.type = _FD.TYPE_MESSAGE
            field.type_name = _VALUE


def _new_pool() -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    for module in (struct_pb2, timestamp_pb2, duration_pb2):
        proto = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(proto)
        pool.Add(proto)
    return pool


def message_name(variable: str) -> str:
    """Full name of the root message of a variable (variables are CEL identifiers)."""
    return f"{PACKAGE}.{variable}"


def _root(
    file: descriptor_pb2.FileDescriptorProto, builder: _Builder, var: str, tree: TypeNode, *, top: bool
) -> TypeNode:
    if tree[0] == "obj":
        msg = file.message_type.add(name=var)
        builder.fill(msg, message_name(var), tree)
        return ("message", message_name(var))
    if tree[0] in ("list", "map"):
        if not top:  # protobuf cannot nest containers: CEL gets dyn instead
            return DYN
        return (tree[0], _root(file, builder, var, tree[1], top=False))
    return tree


@functools.lru_cache(maxsize=256)
def _build(trees: tuple[tuple[str, TypeNode], ...]) -> SchemaTypes:
    file = descriptor_pb2.FileDescriptorProto(name="kro/schemas.proto", package=PACKAGE, syntax="proto3")
    file.dependency.extend(
        ["google/protobuf/struct.proto", "google/protobuf/timestamp.proto", "google/protobuf/duration.proto"]
    )
    builder = _Builder()
    variables: dict[str, VariableType] = {}
    for var, tree in trees:
        variables[var] = VariableType(_root(file, builder, var, tree, top=True))
    pool = _new_pool()
    pool.Add(file)
    return SchemaTypes(pool, variables, builder.messages)


def build_types(schemas: Mapping[str, Any]) -> SchemaTypes:
    """Descriptors for `{variable: OpenAPI schema}`; an `array` root declares a list of that item.

    Cached: the same set of schemas (by normalized type tree) returns the same pool.
    """
    trees = tuple(sorted(((var, normalize(schema)) for var, schema in schemas.items()), key=lambda vt: vt[0]))
    return _build(trees)
