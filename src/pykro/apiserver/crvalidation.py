"""Defaulting, pruning and validation of custom resources from the CRD's structural schema.

Mirrors the apiextensions-apiserver pipeline: unknown fields are pruned (kept under
`x-kubernetes-preserve-unknown-fields`; embedded resources keep apiVersion/kind/metadata), nulls of
non-nullable fields are dropped or defaulted, defaults are applied top-down (so `default: {}` chains
materialize nested defaults), then OpenAPI value validations and `x-kubernetes-validations` CEL rules
run. Causes and the 422 message are worded as the real server words them.

CEL rules run in pykro's untyped runtime environment (`pykro.cel.compiler.compile_untyped`) with
`self` and, for transition rules on update, `oldSelf`.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import json
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from pykro.apiserver.fieldpath import list_keys, list_type
from pykro.apiserver.status import Cause
from pykro.apiserver.status import invalid_message as invalid_message  # the message the server sends
from pykro.cel.compiler import compile_untyped, evaluate
from pykro.cel.errors import CelError
from pykro.goregexp import PatternError, compile_pattern
from pykro.jsontypes import copy_json, json_type

_EMPTY: Mapping[str, Any] = {}
_ROOT_META = ("apiVersion", "kind", "metadata")


# ---------------------------------------------------------------- Go-style value printing


def go_value(value: Any) -> str:
    """A bad value as `field.Error` prints it (`"ab"`, `20`, `map[string]interface {}{...}`)."""
    if value is None:
        return '"null"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) and not value.is_integer() else str(int(value))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return _go_sharp(value)


def _go_sharp(value: Any) -> str:
    if isinstance(value, Mapping):
        inner = ", ".join(f"{json.dumps(str(k))}:{_go_sharp(v)}" for k, v in sorted(value.items()))
        return "map[string]interface {}{" + inner + "}"
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(_go_sharp(v) for v in value) + "}"
    if value is None:
        return "interface {}(nil)"
    return go_value(value)


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _type_name(value: Any) -> str:
    """The JSON type of a decoded value as the real server names it (a whole float is an integer)."""
    return "integer" if isinstance(value, float) and value.is_integer() else json_type(value)


# ---------------------------------------------------------------- defaulting and pruning


def default_and_prune(
    obj: Mapping[str, Any], schema: Mapping[str, Any], unknown: list[str] | None = None
) -> dict[str, Any]:
    """A copy of `obj` with unknown fields pruned, non-nullable nulls dropped and defaults applied.

    The paths of pruned unknown fields are appended to `unknown` when given.
    """
    result = copy_json(dict(obj))
    _prune(result, schema, root=True, unknown=unknown, path="")
    _default(result, schema)
    _prune(result, schema, root=True, unknown=None, path="")  # defaults are pruned too
    return result


def prune(obj: Mapping[str, Any], schema: Mapping[str, Any], unknown: list[str] | None = None) -> dict[str, Any]:
    """A copy of `obj` without the fields `schema` does not declare (and non-nullable nulls)."""
    result = copy_json(dict(obj))
    _prune(result, schema, root=True, unknown=unknown, path="")
    return result


def unknown_fields(obj: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """Paths pruning would drop, for `fieldValidation=Strict|Warn` (`unknown field "spec.x"`)."""
    found: list[str] = []
    _prune(copy_json(dict(obj)), schema, root=True, unknown=found, path="")
    return found


def _prune(
    value: Any, schema: Mapping[str, Any], *, root: bool, unknown: list[str] | None, path: str
) -> None:
    if isinstance(value, dict):
        props = schema.get("properties")
        props = props if isinstance(props, Mapping) else _EMPTY
        extra = schema.get("additionalProperties")
        keep_unknown = bool(schema.get("x-kubernetes-preserve-unknown-fields")) or extra is True
        embedded = bool(schema.get("x-kubernetes-embedded-resource"))
        for name in list(value):
            child = value[name]
            here = _join(path, str(name))
            if (root or embedded) and name in _ROOT_META:
                continue  # ObjectMeta and type info are the server's business, not the CRD schema's
            if name in props:
                sub = props[name]
            elif isinstance(extra, Mapping):
                sub = extra
            elif keep_unknown:
                continue
            else:
                if unknown is not None:
                    unknown.append(here)
                del value[name]
                continue
            if child is None and not sub.get("nullable") and "default" not in sub:
                del value[name]
                continue
            _prune(child, sub, root=False, unknown=unknown, path=here)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, Mapping):
            for i, item in enumerate(value):
                _prune(item, items, root=False, unknown=unknown, path=f"{path}[{i}]")


def _default(value: Any, schema: Mapping[str, Any]) -> None:
    if isinstance(value, dict):
        props = schema.get("properties")
        if isinstance(props, Mapping):
            for name, sub in props.items():
                if not isinstance(sub, Mapping):
                    continue
                if "default" in sub and (
                    name not in value or (value[name] is None and not sub.get("nullable"))
                ):
                    value[name] = copy_json(sub["default"])
        extra = schema.get("additionalProperties")
        for name, child in value.items():
            sub = props.get(name) if isinstance(props, Mapping) and name in props else extra
            if isinstance(sub, Mapping):
                _default(child, sub)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, Mapping):
            for i, item in enumerate(value):
                if item is None and "default" in items and not items.get("nullable"):
                    value[i] = copy_json(items["default"])
                _default(value[i], items)


# ---------------------------------------------------------------- validation


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
    _rules(dict(obj), old, old is not None, schema, "", causes, root=True)
    return causes


def _validate(
    value: Any, old: Any, has_old: bool, schema: Mapping[str, Any], path: str, causes: list[Cause]
) -> None:
    if value is None:
        if not schema.get("nullable"):
            expected = schema.get("type") or "object"
            causes.append(
                Cause(
                    path, f'Invalid value: "null": {path} in body must be of type {expected}: "null"', "FieldValueTypeInvalid",
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
    _rules(value, old, has_old, schema, path, causes)


def _type_ok(value: Any, schema: Mapping[str, Any], path: str, causes: list[Cause]) -> bool:
    if schema.get("x-kubernetes-int-or-string"):
        ok = isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
        expected = "integer,string"
    else:
        expected = str(schema.get("type") or "")
        actual = _type_name(value)
        ok = not expected or actual == expected or (expected == "number" and actual == "integer")
    if not ok:
        causes.append(
            Cause(
                path, f"Invalid value: {go_value(value)}: {path} in body must be of type {expected}: "
                f'"{_type_name(value)}"', "FieldValueTypeInvalid",
            )
        )
    return ok


def _enum(value: Any, schema: Mapping[str, Any], path: str, causes: list[Cause]) -> None:
    allowed = schema.get("enum")
    if isinstance(allowed, list) and allowed and value not in allowed:
        listed = ", ".join(go_value(v) for v in allowed)
        causes.append(
            Cause(
                path, f"Unsupported value: {go_value(value)}: supported values: {listed}", "FieldValueNotSupported",
            )
        )


def _string(value: str, schema: Mapping[str, Any], path: str, causes: list[Cause]) -> None:
    shown = go_value(value)
    max_length = schema.get("maxLength")
    if isinstance(max_length, int) and len(value) > max_length:
        limit = f"{max_length} {_plural(max_length, 'byte')}"
        causes.append(Cause(path, f"Too long: may not be more than {limit}", "FieldValueTooLong"))
    min_length = schema.get("minLength")
    if isinstance(min_length, int) and len(value) < min_length:
        causes.append(
            Cause(
                path, f"Invalid value: {shown}: {path} in body should be at least {min_length} chars long", "FieldValueInvalid",
            )
        )
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            matched = compile_pattern(pattern).search(value) is not None
        except PatternError:
            matched = True  # structural validation of the CRD reports a bad pattern; objects are not failed on it
        if not matched:
            causes.append(
                Cause(
                    path, f"Invalid value: {shown}: {path} in body should match '{pattern}'", "FieldValueInvalid",
                )
            )
    fmt = schema.get("format")
    check = _FORMATS.get(str(fmt)) if fmt else None
    if check is not None and not check(value):
        causes.append(
            Cause(
                path, f"Invalid value: {shown}: {path} in body must be of type {fmt}: {shown}", "FieldValueInvalid",
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
                    path, f"Invalid value: {shown}: {path} in body should be less than {limit}", "FieldValueInvalid",
                )
            )
        elif value > maximum:
            causes.append(
                Cause(
                    path, f"Invalid value: {shown}: {path} in body should be less than or equal to {limit}", "FieldValueInvalid",
                )
            )
    minimum = schema.get("minimum")
    if isinstance(minimum, (int, float)):
        limit = go_value(minimum)
        if schema.get("exclusiveMinimum") and value <= minimum:
            causes.append(
                Cause(
                    path, f"Invalid value: {shown}: {path} in body should be greater than {limit}", "FieldValueInvalid",
                )
            )
        elif value < minimum:
            causes.append(
                Cause(
                    path, f"Invalid value: {shown}: {path} in body should be greater than or equal to {limit}", "FieldValueInvalid",
                )
            )
    multiple = schema.get("multipleOf")
    if isinstance(multiple, (int, float)) and multiple and (value / multiple) % 1 != 0:
        causes.append(
            Cause(
                path, f"Invalid value: {shown}: {path} in body should be a multiple of {go_value(multiple)}", "FieldValueInvalid",
            )
        )


def _array(
    value: list[Any], old: Any, has_old: bool, schema: Mapping[str, Any], path: str, causes: list[Cause]
) -> None:
    max_items = schema.get("maxItems")
    if isinstance(max_items, int) and len(value) > max_items:
        limit = f"{max_items} {_plural(max_items, 'item')}"
        causes.append(Cause(path, f"Too many: {len(value)}: must have at most {limit}", "FieldValueTooMany"))
    min_items = schema.get("minItems")
    if isinstance(min_items, int) and len(value) < min_items:
        causes.append(
            Cause(
                path, f"Invalid value: {len(value)}: {path} in body should have at least {min_items} items", "FieldValueInvalid",
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
                shown = _go_sharp({k: item[k] for k in keys if k in item})
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
            causes.append(Cause(_join(path, str(name)), "Required value", "FieldValueRequired"))
    max_props = schema.get("maxProperties")
    if isinstance(max_props, int) and len(value) > max_props:
        limit = f"{max_props} {_plural(max_props, 'item')}"
        causes.append(Cause(path, f"Too many: {len(value)}: must have at most {limit}", "FieldValueTooMany"))
    min_props = schema.get("minProperties")
    if isinstance(min_props, int) and len(value) < min_props:
        causes.append(
            Cause(
                path, f"Invalid value: {len(value)}: {path} in body should have at least {min_props} properties", "FieldValueInvalid",
            )
        )
    props = schema.get("properties")
    props = props if isinstance(props, Mapping) else _EMPTY
    extra = schema.get("additionalProperties")
    embedded = bool(schema.get("x-kubernetes-embedded-resource"))
    for name, child in value.items():
        if name in props:
            sub, here = props[name], _join(path, str(name))
        elif isinstance(extra, Mapping):
            sub, here = extra, f"{path}[{name}]"
        else:
            continue
        if embedded and name == "metadata" and "properties" not in sub:
            continue
        has_old = old is not None and name in old
        _validate(child, old.get(name) if has_old and old is not None else None, has_old, sub, here, causes)


# ---------------------------------------------------------------- x-kubernetes-validations

_OLD_SELF = re.compile(r"\boldSelf\b")
_REASONS = {
    "FieldValueInvalid": "Invalid value",
    "FieldValueForbidden": "Forbidden",
    "FieldValueRequired": "Required value",
    "FieldValueDuplicate": "Duplicate value",
}


def _rules(
    value: Any,
    old: Any,
    has_old: bool,
    schema: Mapping[str, Any],
    path: str,
    causes: list[Cause],
    *,
    root: bool = False,
) -> None:
    rules = schema.get("x-kubernetes-validations")
    if not isinstance(rules, list):
        return
    data, old_data = (_root_view(value), _root_view(old)) if root else (value, old)
    for rule in rules:
        if not isinstance(rule, Mapping) or not isinstance(rule.get("rule"), str):
            continue
        text = rule["rule"]
        transition = bool(_OLD_SELF.search(text))
        if transition and not has_old and not rule.get("optionalOldSelf"):
            continue
        activation = {"self": data, "oldSelf": old_data} if transition else {"self": data}
        field = path
        field_path = rule.get("fieldPath")
        if isinstance(field_path, str) and field_path:
            field = path + field_path if field_path.startswith((".", "[")) else _join(path, field_path)
        reason = str(rule.get("reason") or "FieldValueInvalid")
        label = _REASONS.get(reason, "Invalid value")
        # Rule failures print the schema type as the bad value, as the real server does.
        shown = json.dumps(str(schema.get("type") or _type_name(value)))
        try:
            outcome = _cel_rules(text, activation)
        except _RuleError as err:
            detail = str(err)
            causes.append(
                Cause(field, f"Invalid value: {shown}: {detail} evaluating rule: {text}", "FieldValueInvalid")
            )
            continue
        if outcome is True:
            continue
        message = (
            _rule_message(rule, activation)
            if outcome is False
            else f"{text}: rule did not evaluate to a bool"
        )
        if reason in ("FieldValueForbidden", "FieldValueRequired"):
            causes.append(Cause(field, f"{label}: {message}", reason))
        elif reason == "FieldValueDuplicate":
            causes.append(Cause(field, f"{label}: {shown}", reason))
        else:
            causes.append(Cause(field, f"Invalid value: {shown}: {message}", "FieldValueInvalid"))


class _RuleError(Exception):
    """A rule that does not compile or fails at run time; the text is the cause detail."""


def _cel_rules(expression: str, activation: Mapping[str, Any]) -> Any:
    """Evaluate a rule with `self`/`oldSelf`; pykro's CEL runtime when it works, else plain cel-expr-python.

    pykro's runtime carries kro's and Kubernetes' function libraries; the fallback (standard
    extensions only) keeps validation working while that environment cannot be built.
    """
    if _pykro_runtime_usable():
        try:
            return evaluate(compile_untyped(expression, source=expression), activation)
        except CelError as err:
            raise _RuleError(err.detail) from None
    env = _fallback_env()
    try:
        value = env.compile(expression, disable_check=True).eval(data=dict(activation))
    except Exception as err:  # the binding reports compile/bind failures as RuntimeError
        raise _RuleError(_status_text(str(err))) from None
    if value.type().name() == "ERROR":
        raise _RuleError(_status_text(str(value.value())))
    return value.plain_value()


@functools.lru_cache(maxsize=1)
def _pykro_runtime_usable() -> bool:
    try:
        return evaluate(compile_untyped("self == oldSelf"), {"self": 1, "oldSelf": 1}) is True
    except Exception:
        return False


@functools.lru_cache(maxsize=1)
def _fallback_env() -> Any:
    from cel_expr_python import cel
    from cel_expr_python.ext import ext_bindings, ext_encoders, ext_optional, ext_strings

    extensions = [
        ext_optional.ExtOptional(),
        ext_strings.ExtStrings(),
        ext_bindings.ExtBindings(),
        ext_encoders.ExtEncoders(),
    ]
    return cel.NewEnv(variables={"self": cel.Type.DYN, "oldSelf": cel.Type.DYN}, extensions=extensions)


def _status_text(message: str) -> str:
    text = message.strip().split("\n")[0]
    for prefix in ("INVALID_ARGUMENT: ", "NOT_FOUND: ", "UNKNOWN: ", "OUT_OF_RANGE: "):
        text = text.removeprefix(prefix)
    return text.replace("ERROR: <input>:", "").strip()


def _root_view(obj: Any) -> Any:
    """What root-level rules see as `self`: metadata is reduced to name and generateName."""
    if not isinstance(obj, Mapping):
        return obj
    view = dict(obj)
    meta = obj.get("metadata")
    if isinstance(meta, Mapping):
        view["metadata"] = {k: meta[k] for k in ("name", "generateName") if k in meta}
    return view


def _rule_message(rule: Mapping[str, Any], activation: Mapping[str, Any]) -> str:
    expression = rule.get("messageExpression")
    if isinstance(expression, str) and expression:
        try:
            text = _cel_rules(expression, activation)
        except _RuleError:
            text = None
        if isinstance(text, str) and text.strip():
            return text
    message = rule.get("message")
    if isinstance(message, str) and message:
        return message
    return f"failed rule: {rule['rule']}"


# ---------------------------------------------------------------- formats the server checks


def _is_ip(version: int) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        try:
            return ipaddress.ip_address(text).version == version
        except ValueError:
            return False

    return check


def _is_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return "/" in text


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text) == 36


def _is_byte(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except ValueError:
        return False
    return True


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}"
    r"[A-Za-z0-9])?)*$"
)
_MAC = re.compile(r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$")
_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h|d|w))+$")

_FORMATS: dict[str, Callable[[str], bool]] = {
    "ipv4": _is_ip(4),
    "ipv6": _is_ip(6),
    "cidr": _is_cidr,
    "uuid": _is_uuid,
    "byte": _is_byte,
    "date": lambda s: bool(_DATE.match(s)),
    "date-time": lambda s: bool(_DATETIME.match(s)),
    "datetime": lambda s: bool(_DATETIME.match(s)),
    "email": lambda s: bool(_EMAIL.match(s)),
    "hostname": lambda s: bool(_HOSTNAME.match(s)),
    "mac": lambda s: bool(_MAC.match(s)),
    "duration": lambda s: bool(_DURATION.match(s)),
}
