"""Typed decoding of built-in kinds, as kube-apiserver's JSON decoder (Go's encoding/json into the
generated structs) does it before anything else looks at a request body.

A built-in object whose values do not fit its Go types (a string in `spec.replicas`, `2147483648` in an
int32, a number in a `map[string]string`, a malformed quantity) is refused with Go's own message, e.g.
`json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`, so
nothing is stored that kubectl (which decodes into the same structs) then fails to read. Unknown fields
are not this module's business (pruning and `fieldValidation` handle them) and `null` is always
accepted, as Go leaves the zero value.

Each kind's schema is compiled once into a tree of small decoder nodes (cached per kind); recursive
definitions (JSONSchemaProps) share one node per definition, so compiling terminates.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from pykro.apiserver.machinery.media import APPLY_PATCH
from pykro.apiserver.machinery.status import Cause, bad_request, invalid
from pykro.schema.builtin import INT_OR_STRING, PRESERVE_UNKNOWN, builtin_definitions, whole_object
from pykro.schema.gvk import GVK
from pykro.schema.lazy import SchemaView

SCALE_GVK = GVK("autoscaling", "v1", "Scale")
_QUANTITY_TYPE = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_TIMES = ("io.k8s.apimachinery.pkg.apis.meta.v1.Time", "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime")
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
# What Kubernetes' ParseQuantity accepts (resource/quantity.go), and its format error word for word.
_QUANTITY = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?$")
_QUANTITY_FORMAT = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
_RFC3339 = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
_RFC3339_LAYOUT = "2006-01-02T15:04:05Z07:00"


@functools.cache
def scale_schema(kubernetes_version: str) -> SchemaView:
    """autoscaling/v1 Scale, the body of every `scale` subresource (not a kind of its own)."""
    definitions = builtin_definitions(kubernetes_version)
    return SchemaView(whole_object(definitions["io.k8s.api.autoscaling.v1.Scale"]), definitions)


class DecodeError(Exception):
    """The first value that does not fit, in Go's words (without the `<Kind> in version` prefix)."""


class _Where:
    """Go's error context: the innermost struct's name and the JSON field names leading to the value
    (array indices and map keys are not part of it, as in encoding/json)."""

    __slots__ = ("fields", "struct")

    def __init__(self, struct: str, fields: str) -> None:
        self.struct = struct
        self.fields = fields


def _json_kind(value: Any) -> str:
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "number"


def _number_literal(value: int | float) -> str:
    """The JSON literal Go quotes (`number 3.5`); Python's float repr with Go's exponent spelling."""
    if isinstance(value, int):
        return str(value)
    return repr(value).replace("e+", "e")


def _mismatch(what: str, go_type: str, where: _Where) -> DecodeError:
    if not where.fields:
        return DecodeError(f"json: cannot unmarshal {what} into Go value of type {go_type}")
    return DecodeError(
        f"json: cannot unmarshal {what} into Go struct field {where.struct}.{where.fields} of type {go_type}"
    )


Check = Callable[[Any, _Where], None]


class _Node:
    """One Go type: `check(value, where)` raises DecodeError when `value` does not decode into it."""

    __slots__ = ("check", "go_type")

    def __init__(self, go_type: str) -> None:
        self.go_type = go_type
        self.check: Check = _accept_any


def _accept_any(value: Any, where: _Where) -> None:
    _finite(value)


def _finite(value: Any) -> None:
    """JSON has no NaN or Infinity: such a value can only have come from YAML (`.nan`, `.inf`)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DecodeError(f"json: unsupported value: {_go_float(value)}")
        return
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in items:
        if isinstance(item, (float, dict, list)):  # strings, the bulk of an object, need no call
            _finite(item)


def _go_float(value: float) -> str:
    return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")


def _go_type_name(definition: str) -> str:
    """`io.k8s.api.apps.v1.DeploymentSpec` -> `v1.DeploymentSpec` (Go prints package.Type)."""
    parts = definition.split(".")
    return ".".join(parts[-2:]) if len(parts) >= 2 else definition


class _Compiler:
    def __init__(self) -> None:
        self._by_definition: dict[str, _Node] = {}

    def node(self, schema: Mapping[str, Any], root: GVK | None = None) -> _Node:
        definition = str(getattr(schema, "definition", "") or "")
        if definition and definition in self._by_definition:
            return self._by_definition[definition]
        go_type = f"{root.version}.{root.kind}" if root else _go_type_name(definition) if definition else ""
        node = _Node(go_type)
        root_name = root.kind if root else ""
        if definition:
            self._by_definition[definition] = node  # before compiling children: definitions recurse
        self._fill(node, schema, definition, root_name)
        return node

    def _fill(self, node: _Node, schema: Mapping[str, Any], definition: str, root_name: str) -> None:
        kind = schema.get("type")
        if definition == _QUANTITY_TYPE:
            node.go_type, node.check = "resource.Quantity", _check_quantity
        elif schema.get(INT_OR_STRING) or schema.get("format") == "int-or-string":
            node.go_type, node.check = "intstr.IntOrString", _check_int_or_string
        elif definition in _TIMES or (kind == "string" and schema.get("format") == "date-time"):
            node.go_type, node.check = node.go_type or "v1.Time", _check_time
        elif schema.get(PRESERVE_UNKNOWN) or kind is None:
            node.check = _accept_any
        elif kind == "string" and schema.get("format") == "byte":
            node.go_type, node.check = "[]uint8", _check_bytes
        elif kind in ("string", "boolean"):
            node.go_type = "string" if kind == "string" else "bool"
            node.check = _scalar(node.go_type, str if kind == "string" else bool)
        elif kind == "integer":
            node.go_type = "int32" if schema.get("format") == "int32" else "int64"
            node.check = _integer(node.go_type)
        elif kind == "number":
            node.go_type, node.check = "float64", _float
        elif kind == "array":
            items = schema.get("items")
            item = self.node(items) if isinstance(items, Mapping) else _Node("interface {}")
            node.go_type = "[]" + (item.go_type or "interface {}")
            node.check = _array(node, item)
        elif kind == "object":
            self._fill_object(node, schema, root_name)

    def _fill_object(self, node: _Node, schema: Mapping[str, Any], root_name: str) -> None:
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping) and not properties:
            value = self.node(extra)
            node.go_type = "map[string]" + (value.go_type or "interface {}")
            node.check = _map(node, value)
            return
        if not node.go_type:  # an inline object without a Go type of its own: nothing to hold it to
            return
        fields = {
            name: self.node(sub) for name, sub in (properties or {}).items() if isinstance(sub, Mapping)
        }
        struct = root_name or node.go_type.rpartition(".")[2]
        node.check = _struct(node, struct, fields)


def _scalar(go_type: str, python_type: type) -> Check:
    def check(value: Any, where: _Where) -> None:
        if value is None or isinstance(value, python_type):
            return
        raise _mismatch(_json_kind(value), go_type, where)

    return check


def _integer(go_type: str) -> Check:
    low, high = _INT_RANGES[go_type]

    def check(value: Any, where: _Where) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _mismatch(_json_kind(value), go_type, where)
        if isinstance(value, float) or not low <= value <= high:
            _finite(value)
            raise _mismatch(f"number {_number_literal(value)}", go_type, where)

    return check


def _float(value: Any, where: _Where) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _mismatch(_json_kind(value), "float64", where)
    _finite(value)
    if isinstance(value, int) and abs(value) > 1.8e308:
        raise _mismatch(f"number {value}", "float64", where)


def _check_int_or_string(value: Any, where: _Where) -> None:
    # IntOrString.UnmarshalJSON: a JSON string is the string form, anything else must be an int32
    if value is None or isinstance(value, str):
        return
    _INT32(value, where)


_INT32 = _integer("int32")
_STRING = _scalar("string", str)


def _check_quantity(value: Any, where: _Where) -> None:
    # Quantity.UnmarshalJSON parses the JSON text itself: strings and numbers alike
    if value is None:
        return
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _finite(value)
        text = _number_literal(value)
    else:
        raise DecodeError(_QUANTITY_FORMAT)
    if not _QUANTITY.match(text):
        raise DecodeError(_QUANTITY_FORMAT)


def _check_time(value: Any, where: _Where) -> None:
    if value is None:
        return
    _STRING(value, where)  # Time.UnmarshalJSON decodes a string first
    if not _RFC3339.match(value):
        raise DecodeError(f'parsing time "{value}" as "{_RFC3339_LAYOUT}": cannot parse "{value}" as "2006"')


def _check_bytes(value: Any, where: _Where) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise _mismatch(_json_kind(value), "[]uint8", where)
    text = value.replace("\r", "").replace("\n", "")
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise DecodeError(f"illegal base64 data at input byte {_bad_base64_offset(text)}") from None


def _bad_base64_offset(text: str) -> int:
    """Where Go's decoder gives up: the first byte outside the alphabet, else the short final quantum."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    for i, char in enumerate(text):
        if char not in alphabet:
            return i
    return len(text) - len(text) % 4


def _array(node: _Node, item: _Node) -> Check:
    def check(value: Any, where: _Where) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            raise _mismatch(_json_kind(value), node.go_type, where)
        item_check = item.check
        for element in value:
            item_check(element, where)

    return check


def _map(node: _Node, value_node: _Node) -> Check:
    def check(value: Any, where: _Where) -> None:
        if value is None:
            return
        if not isinstance(value, dict):
            raise _mismatch(_json_kind(value), node.go_type, where)
        value_check = value_node.check
        for element in value.values():
            value_check(element, where)

    return check


def _struct(node: _Node, struct: str, fields: Mapping[str, _Node]) -> Check:
    def check(value: Any, where: _Where) -> None:
        if value is None:
            return
        if not isinstance(value, dict):
            raise _mismatch(_json_kind(value), node.go_type, where)
        prefix = where.fields + "." if where.fields else ""
        for name, element in value.items():
            field = fields.get(name)
            if field is None:
                _finite(element)  # unknown fields are dropped, but never NaN
            elif element is not None:
                field.check(element, _Where(struct, prefix + name))

    return check


def _non_finite(obj: Any) -> str | None:
    try:
        _finite(obj)
    except DecodeError as err:
        return str(err)
    except RecursionError:
        return "json: exceeded max depth"
    return None


class TypedDecoding:
    """Per-kind compiled decoders for built-in kinds; `schema_of(gvk)` gives a kind's whole-object
    schema (a `SchemaView`, whose `definition` names the Go types) or None for unknown kinds."""

    def __init__(self, schema_of: Callable[[GVK], Mapping[str, Any] | None]) -> None:
        self._schema_of = schema_of
        self._compiler = _Compiler()
        self._roots: dict[GVK, _Node | None] = {}

    def _root(self, gvk: GVK) -> _Node | None:
        try:
            return self._roots[gvk]
        except KeyError:
            pass
        schema = self._schema_of(gvk)
        root = self._compiler.node(schema, gvk) if schema is not None else None
        self._roots[gvk] = root
        return root

    def error(self, gvk: GVK, obj: Any) -> str | None:
        """Go's decoding error for `obj` as a `gvk`, or None when it decodes."""
        root = self._root(gvk)
        if root is None:
            return None
        try:
            root.check(obj, _Where(gvk.kind, ""))
        except DecodeError as err:
            return str(err)
        except RecursionError:  # nesting the JSON parser took but this walk's deeper stack does not
            return "json: exceeded max depth"
        return None

    def check(self, gvk: GVK, obj: Any, patch_type: str = "", *, typed: bool = True) -> None:
        """Raise kube-apiserver's error when `obj` does not decode: 400 for a body (create, update,
        apply), 422 naming `patch` for the result of a JSON, merge or strategic merge patch.
        `typed=False` (custom resources, held to their structural schema instead) refuses only what JSON
        cannot carry: NaN and infinities, which YAML bodies can hold."""
        message = self.error(gvk, obj) if typed else _non_finite(obj)
        if message is None:
            return
        if patch_type and patch_type != APPLY_PATCH:
            patched = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
            cause = Cause("patch", f"Invalid value: {json.dumps(patched)}: {message}", "FieldValueInvalid")
            raise invalid("", "", "", [cause])
        raise bad_request(
            f'{gvk.kind} in version "{gvk.version}" cannot be handled as a {gvk.kind}: {message}'
        )
