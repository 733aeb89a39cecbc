"""`x-kubernetes-validations` CEL rules of custom resources, evaluated as kube-apiserver does:
`self` (and `oldSelf` for transition rules on update), `fieldPath`, `reason`, `message` and
`messageExpression`. Rules run in pykro's untyped CEL runtime (`pykro.cel.compiler.compile_untyped`)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any

from pykro.apiserver.admission.messages import join_path, type_name
from pykro.apiserver.machinery.status import Cause
from pykro.cel.compiler import compile_untyped, evaluate
from pykro.cel.errors import CelError

_OLD_SELF = re.compile(r"\boldSelf\b")
# `self` and the field it selects, if it selects one (`self.all(...)` calls a macro: no field)
_SELF = re.compile(r"\bself\b(?:\.([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\())?")
_REASONS = {
    "FieldValueInvalid": "Invalid value",
    "FieldValueForbidden": "Forbidden",
    "FieldValueRequired": "Required value",
    "FieldValueDuplicate": "Duplicate value",
}


def check_rules(
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
        read = None if transition else _fields_read(text)
        if read is not None and isinstance(data, dict):
            # The CEL binding converts all it is given: give it only the fields the rule can reach.
            evaluated = {"self": {k: data[k] for k in read if k in data}}
        else:
            evaluated = activation
        field = path
        field_path = rule.get("fieldPath")
        if isinstance(field_path, str) and field_path:
            field = path + field_path if field_path.startswith((".", "[")) else join_path(path, field_path)
        reason = str(rule.get("reason") or "FieldValueInvalid")
        label = _REASONS.get(reason, "Invalid value")
        try:
            outcome = _cel_rules(text, evaluated)
        except _RuleError as err:
            detail, shown = str(err), _shown(schema, value)
            causes.append(
                Cause(field, f"Invalid value: {shown}: {detail} evaluating rule: {text}", "FieldValueInvalid")
            )
            continue
        if outcome is True:
            continue
        shown = _shown(schema, value)
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


@functools.lru_cache(maxsize=1024)
def _fields_read(rule: str) -> frozenset[str] | None:
    """The fields of `self` a rule can read when it only ever selects fields of it (`self.spec...`);
    None when it may look at `self` whole (`size(self)`, `self[...]`, a macro binding `self`)."""
    fields = set()
    for match in _SELF.finditer(rule):
        if match.group(1) is None:
            return None
        fields.add(match.group(1))
    return frozenset(fields)


def _shown(schema: Mapping[str, Any], value: Any) -> str:
    """Rule failures print the schema type as the bad value, as the real server does."""
    return json.dumps(str(schema.get("type") or type_name(value)))


class _RuleError(Exception):
    """A rule that does not compile or fails at run time; the text is the cause detail."""


def _cel_rules(expression: str, activation: Mapping[str, Any]) -> Any:
    """Evaluate a rule with `self`/`oldSelf` in pykro's CEL runtime (kro's and Kubernetes' libraries)."""
    try:
        return evaluate(compile_untyped(expression, source=expression), activation)
    except CelError as err:
        raise _RuleError(err.detail) from None


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
