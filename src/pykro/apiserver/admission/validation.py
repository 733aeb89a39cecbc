"""OpenAPI value validation of custom resources (types, enums, strings, numbers, arrays, objects,
formats), then their `x-kubernetes-validations` rules. Causes and the 422 message are worded as the
real server words them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pykro.apiserver.admission.celrules import check_rules
from pykro.apiserver.admission.formats import FORMATS
from pykro.apiserver.admission.messages import go_sharp, go_value, join_path, plural, type_name
from pykro.apiserver.machinery.fieldpath import list_keys, list_type
from pykro.apiserver.machinery.status import Cause
from pykro.goregexp import PatternError, compile_pattern

_EMPTY: Mapping[str, Any] = {}
_ROOT_META = ("apiVersion", "kind", "metadata")


def validate(obj: Mapping[str, Any], old: Mapping[str, Any] | None, schema: Mapping[str, Any]) -> list[Cause]:
    """Every violation of `schema` (and its CEL rules) in `obj`; `old` enables transition rules."""
    causes: list[Cause] = []
    props = schema.get("properties")
    props = props if isinstance(props, Mapping) else _EMPTY
    for name in schema.get("required") or ():
        if name not in obj and name not in _ROOT_META:
            causes.append(Cause(name, "Required value", "FieldValueRequired"))
    for name, value in obj.items():
        if name in _ROOT_META or name not in props:
            continue
        previous = old.get(name) if old is not None else None
        _validate(value, previous, old is not None and name in old, props[name], name, causes)
    check_rules(dict(obj), old, old is not None, schema, "", causes, root=True)
    return causes


def validate_value(value: Any, schema: Mapping[str, Any], path: str) -> list[Cause]:
    """Every violation of `schema` by one value at `path` (e.g. a CRD's `default`)."""
    causes: list[Cause] = []
    _validate(value, None, False, schema, path, causes)
    return causes


def _validate(
    value: Any, old: Any, has_old: bool, schema: Mapping[str, Any], path: str, causes: list[Cause]
) -> None:
    if value is None:
        if not schema.get("nullable"):
            expected = schema.get("type") or "object"
            causes.append(
                Cause(
                    path,
                    f'Invalid value: "null": {path} in body must be of type {expected}: "null"',
                    "FieldValueTypeInvalid",
                )
            )
        return
    if not _type_ok(value, schema, path, causes):
        return
    _enum(value, schema, path, causes)
    if isinstance(value, str):
        _string(value, schema, path, causes)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        _number(value, schema, path, causes)
    elif isinstance(value, list):
        _array(value, old if has_old else None, has_old, schema, path, causes)
    elif isinstance(value, Mapping):
        _object(value, old if has_old and isinstance(old, Mapping) else None, schema, path, causes)
    check_rules(value, old, has_old, schema, path, causes)


def _type_ok(value: Any, schema: Mapping[str, Any], path: str, causes: list[Cause]) -> bool:
    if schema.get("x-kubernetes-int-or-string"):
        ok = isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
        expected = "integer,string"
    else:
        expected = str(schema.get("type") or "")
        actual = type_name(value)
        ok = not expected or actual == expected or (expected == "number" and actual == "integer")
    if not ok:
        causes.append(
            Cause(
                path,
                f"Invalid value: {go_value(value)}: {path} in body must be of type {expected}: "
                f'"{type_name(value)}"',
                "FieldValueTypeInvalid",
            )
        )
    return ok


def _enum(value: Any, schema: Mapping[str, Any], path: str, causes: list[Cause]) -> None:
    allowed = schema.get("enum")
    if isinstance(allowed, list) and allowed and value not in allowed:
        listed = ", ".join(go_value(v) for v in allowed)
        causes.append(
            Cause(
                path,
                f"Unsupported value: {go_value(value)}: supported values: {listed}",
                "FieldValueNotSupported",
            )
        )


def _string(value: str, schema: Mapping[str, Any], path: str, causes: list[Cause]) -> None:
    max_length = schema.get("maxLength")
    if isinstance(max_length, int) and len(value) > max_length:
        limit = f"{max_length} {plural(max_length, 'byte')}"
        causes.append(Cause(path, f"Too long: may not be more than {limit}", "FieldValueTooLong"))
    min_length = schema.get("minLength")
    if isinstance(min_length, int) and len(value) < min_length:
        causes.append(
            Cause(
                path,
                f"Invalid value: {go_value(value)}: {path} in body should be at least {min_length} chars "
                "long",
                "FieldValueInvalid",
            )
        )
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            matched = compile_pattern(pattern).search(value) is not None
        except PatternError:
            matched = (
                True  # structural validation of the CRD reports a bad pattern; objects are not failed on it
            )
        if not matched:
            causes.append(
                Cause(
                    path,
                    f"Invalid value: {go_value(value)}: {path} in body should match '{pattern}'",
                    "FieldValueInvalid",
                )
            )
    fmt = schema.get("format")
    check = FORMATS.get(str(fmt)) if fmt else None
    if check is not None and not check(value):
        shown = go_value(value)
        causes.append(
            Cause(
                path,
                f"Invalid value: {shown}: {path} in body must be of type {fmt}: {shown}",
                "FieldValueInvalid",
            )
        )


def _number(value: float, schema: Mapping[str, Any], path: str, causes: list[Cause]) -> None:
    shown = go_value(value)
    maximum = schema.get("maximum")
    if isinstance(maximum, (int, float)):
        limit = go_value(maximum)
        if schema.get("exclusiveMaximum") and value >= maximum:
            causes.append(
                Cause(
                    path,
                    f"Invalid value: {shown}: {path} in body should be less than {limit}",
                    "FieldValueInvalid",
                )
            )
        elif value > maximum:
            causes.append(
                Cause(
                    path,
                    f"Invalid value: {shown}: {path} in body should be less than or equal to {limit}",
                    "FieldValueInvalid",
                )
            )
    minimum = schema.get("minimum")
    if isinstance(minimum, (int, float)):
        limit = go_value(minimum)
        if schema.get("exclusiveMinimum") and value <= minimum:
            causes.append(
                Cause(
                    path,
                    f"Invalid value: {shown}: {path} in body should be greater than {limit}",
                    "FieldValueInvalid",
                )
            )
        elif value < minimum:
            causes.append(
                Cause(
                    path,
                    f"Invalid value: {shown}: {path} in body should be greater than or equal to {limit}",
                    "FieldValueInvalid",
                )
            )
    multiple = schema.get("multipleOf")
    if isinstance(multiple, (int, float)) and multiple and (value / multiple) % 1 != 0:
        causes.append(
            Cause(
                path,
                f"Invalid value: {shown}: {path} in body should be a multiple of {go_value(multiple)}",
                "FieldValueInvalid",
            )
        )


def _array(
    value: list[Any], old: Any, has_old: bool, schema: Mapping[str, Any], path: str, causes: list[Cause]
) -> None:
    max_items = schema.get("maxItems")
    if isinstance(max_items, int) and len(value) > max_items:
        limit = f"{max_items} {plural(max_items, 'item')}"
        causes.append(Cause(path, f"Too many: {len(value)}: must have at most {limit}", "FieldValueTooMany"))
    min_items = schema.get("minItems")
    if isinstance(min_items, int) and len(value) < min_items:
        causes.append(
            Cause(
                path,
                f"Invalid value: {len(value)}: {path} in body should have at least {min_items} items",
                "FieldValueInvalid",
            )
        )
    kind = list_type(schema) if "x-kubernetes-list-type" in schema else ""
    if kind == "set" or schema.get("uniqueItems"):
        seen: list[Any] = []
        for i, item in enumerate(value):
            if item in seen:
                causes.append(
                    Cause(f"{path}[{i}]", f"Duplicate value: {go_value(item)}", "FieldValueDuplicate")
                )
            else:
                seen.append(item)
    old_by_key: dict[str, Any] = {}
    keys = list_keys(schema) if kind == "map" else []
    if keys:
        seen_keys: set[str] = set()
        for i, item in enumerate(value):
            if not isinstance(item, Mapping):
                continue
            ident = _key_of(item, keys)
            if ident in seen_keys:
                shown = go_sharp({k: item[k] for k in keys if k in item})
                causes.append(Cause(f"{path}[{i}]", f"Duplicate value: {shown}", "FieldValueDuplicate"))
            seen_keys.add(ident)
        if isinstance(old, list):
            old_by_key = {_key_of(o, keys): o for o in old if isinstance(o, Mapping)}
    items = schema.get("items")
    if not isinstance(items, Mapping):
        return
    for i, item in enumerate(value):
        if keys and isinstance(item, Mapping):
            ident = _key_of(item, keys)
            _validate(item, old_by_key.get(ident), ident in old_by_key, items, f"{path}[{i}]", causes)
        elif kind == "set" and isinstance(old, list):
            _validate(item, item, item in old, items, f"{path}[{i}]", causes)
        else:
            _validate(item, None, False, items, f"{path}[{i}]", causes)


def _key_of(item: Mapping[str, Any], keys: list[str]) -> str:
    return json.dumps([item.get(k) for k in keys], sort_keys=True)


def _object(
    value: Mapping[str, Any],
    old: Mapping[str, Any] | None,
    schema: Mapping[str, Any],
    path: str,
    causes: list[Cause],
) -> None:
    for name in schema.get("required") or ():
        if name not in value:
            causes.append(Cause(join_path(path, str(name)), "Required value", "FieldValueRequired"))
    max_props = schema.get("maxProperties")
    if isinstance(max_props, int) and len(value) > max_props:
        limit = f"{max_props} {plural(max_props, 'item')}"
        causes.append(Cause(path, f"Too many: {len(value)}: must have at most {limit}", "FieldValueTooMany"))
    min_props = schema.get("minProperties")
    if isinstance(min_props, int) and len(value) < min_props:
        causes.append(
            Cause(
                path,
                f"Invalid value: {len(value)}: {path} in body should have at least {min_props} properties",
                "FieldValueInvalid",
            )
        )
    props = schema.get("properties")
    props = props if isinstance(props, Mapping) else _EMPTY
    extra = schema.get("additionalProperties")
    embedded = bool(schema.get("x-kubernetes-embedded-resource"))
    for name, child in value.items():
        if name in props:
            sub, here = props[name], join_path(path, str(name))
        elif isinstance(extra, Mapping):
            sub, here = extra, f"{path}[{name}]"
        else:
            continue
        if embedded and name == "metadata" and "properties" not in sub:
            continue
        has_old = old is not None and name in old
        _validate(child, old.get(name) if has_old and old is not None else None, has_old, sub, here, causes)
