"""kro's `runtime.newCondition` / `runtime.condition` (spec §3.5) for author-defined status conditions.

kro's `runtime.newCondition({type: ..., status: ...})` is a cel-go *macro*: its keys are bare
identifiers that the macro turns into field names. cel-expr-python has no user macros, so
`rewrite_conditions` validates and rewrites the call in the source text before compilation
(`{type: x}` → `{"type": x}`); its `MacroError` carries the parse-time rule that was broken.
`runtime.condition(obj, t)` is rewritten to `runtime.condition(dyn(obj), t)` so that a typed
object (a message at check time, a map at run time) reaches the map overload.

Representation: cel-expr-python cannot carry a custom `kro.run.Condition` type through an
untyped runtime, so a condition is the `map(string, string)` `{type, status, reason, message}`
plus the tag `CONDITION_TAG` (as the opaque values of `_opaque`), so that callers can tell a
condition from any other map. `.type`, `.status`, `.reason`, `.message` read its fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pykro.cel.library._base import DYN_MAP, Fn, LibraryError, T, fn
from pykro.cel.library.comprehensions import _is_string_start, _skip_string, _split_call

NEW_CONDITION = "runtime.newCondition"
CONDITION = "runtime.condition"
CONDITION_TAG = "@kro.condition"
FIELDS = ("type", "status", "reason", "message")
REQUIRED = ("type", "status")
STATUSES = ("True", "False", "Unknown")
CONDITION_TYPE = T.Map(T.STRING, T.STRING)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SIMPLE_STRING = re.compile(r"""(?:'([^'\\\n]*)'|"([^"\\\n]*)")\Z""")


class MacroError(LibraryError):
    """A `runtime.newCondition` call breaks a parse-time rule (spec §3.5)."""


def is_condition(value: object) -> bool:
    """True when an evaluation result is a condition built by `runtime.newCondition`/`runtime.condition`."""
    return isinstance(value, dict) and value.get(CONDITION_TAG) == "true"


def untagged(value: Mapping[str, Any]) -> dict[str, Any]:
    """A condition value without its tag: `{type, status, reason, message}`."""
    return {k: v for k, v in value.items() if k != CONDITION_TAG}


def _new_condition(fields: dict[Any, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in FIELDS:
        value = fields.get(key, "")
        if not isinstance(value, str):
            raise LibraryError(f"{NEW_CONDITION}: {key} must be a string, got {_kind(value)}")
        out[key] = value
    if not out["type"]:
        raise LibraryError(f"{NEW_CONDITION}: type must not be empty")
    if out["status"] not in STATUSES:
        raise LibraryError(
            f"{NEW_CONDITION}: status must be one of True, False, Unknown, got {out['status']!r}"
        )
    out[CONDITION_TAG] = "true"
    return out


def _kind(value: object) -> str:
    return {bool: "bool", int: "int", float: "double", dict: "map", list: "list"}.get(
        type(value), type(value).__name__
    )


def _condition(obj: dict[Any, Any], condition_type: str) -> dict[str, str]:
    """`obj.status.conditions[]` entry of that type; missing → an empty condition (all fields "")."""
    found: Mapping[str, Any] = {}
    status = obj.get("status")
    conditions = status.get("conditions") if isinstance(status, dict) else None
    if isinstance(conditions, list):
        for item in conditions:
            if isinstance(item, dict) and item.get("type") == condition_type:
                found = item
                break
    out = {key: value if isinstance(value := found.get(key, ""), str) else str(value) for key in FIELDS}
    out[CONDITION_TAG] = "true"
    return out


def functions() -> list[Fn]:
    return [
        *fn(NEW_CONDITION, "kro_runtime_new_condition_map", CONDITION_TYPE, [DYN_MAP], _new_condition),
        *fn(CONDITION, "kro_runtime_condition_map_string", CONDITION_TYPE, [DYN_MAP, T.STRING], _condition),
    ]


# --- source-level macro -------------------------------------------------------------------------


@dataclass(frozen=True)
class NewConditionCall:
    """One `runtime.newCondition({...})` call: field name → the value's source text."""

    fields: Mapping[str, str]

    def literal(self, key: str) -> str | None:
        """The field's value when it is a plain string literal, else None."""
        text = self.fields.get(key)
        return None if text is None else string_literal(text)


@dataclass(frozen=True)
class ConditionLookup:
    """One `runtime.condition(obj, type)` call, as source text."""

    target: str
    condition_type: str

    @property
    def literal_type(self) -> str | None:
        return string_literal(self.condition_type)


def string_literal(text: str) -> str | None:
    """The value of a simple quoted string literal without escapes, else None."""
    match = _SIMPLE_STRING.match(text.strip())
    if match is None:
        return None
    return match.group(1) if match.group(1) is not None else match.group(2)


_CALL = re.compile(r"runtime\s*\.\s*(newCondition|condition)\s*\(")


def find_calls(expr: str) -> list[tuple[int, int, str, list[str]]]:
    """The outermost `runtime.*(...)` calls outside string literals: (start, end, name, args)."""
    calls: list[tuple[int, int, str, list[str]]] = []
    i = 0
    while i < len(expr):
        if _is_string_start(expr, i):
            i = _skip_string(expr, i)
            continue
        match = _CALL.match(expr, i)
        if match and (i == 0 or not (expr[i - 1].isalnum() or expr[i - 1] in "_.")):
            split = _split_call(expr, match.end() - 1)
            if split is not None:
                args, after = split
                calls.append((i, after, match.group(1), args))
                i = after
                continue
        i += 1
    return calls


def parse_fields(argument: str) -> dict[str, str]:
    """The `{key: value, ...}` map literal of a `runtime.newCondition` call, validated (spec §3.5)."""
    text = argument.strip()
    split = _split_call("(" + text[1:-1] + ")", 0) if text.startswith("{") and text.endswith("}") else None
    if split is None or split[1] != len(text):
        raise MacroError(
            f"{NEW_CONDITION} argument must be a map literal: {{type: ..., status: ..., "
            "reason: ..., message: ...}"
        )
    entries = split[0]
    if entries and not entries[-1].strip():
        entries = entries[:-1]  # a trailing comma
    fields: dict[str, str] = {}
    for entry in entries:
        key, colon, value = _split_entry(entry)
        if not colon:
            raise MacroError(f"{NEW_CONDITION}: map entry {entry.strip()!r} has no key")
        key = key.strip()
        if key and _is_string_start(key, 0) and _skip_string(key, 0) == len(key):
            raise MacroError(
                f"{NEW_CONDITION}: key {key} must be a bare identifier (type, status, reason, message), "
                "not a quoted string"
            )
        if not _IDENT.match(key):
            raise MacroError(
                f"{NEW_CONDITION}: key {key!r} must be a bare identifier (type, status, reason, message), "
                "not a computed expression"
            )
        if key not in FIELDS:
            raise MacroError(
                f"{NEW_CONDITION}: unknown key {key!r}: allowed keys are type, status, reason, message"
            )
        if key in fields:
            raise MacroError(f"{NEW_CONDITION}: duplicate key {key!r}")
        fields[key] = value
    missing = [k for k in REQUIRED if k not in fields]
    if missing:
        raise MacroError(
            f"{NEW_CONDITION}: missing required key {missing[0]!r} (type and status are required)"
        )
    return fields


def _split_entry(entry: str) -> tuple[str, bool, str]:
    """Split at the first top-level ':' (keys are identifiers, so a ternary can only follow it)."""
    depth = 0
    i = 0
    while i < len(entry):
        if _is_string_start(entry, i):
            i = _skip_string(entry, i)
            continue
        char = entry[i]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == ":" and depth == 0:
            return entry[:i], True, entry[i + 1 :]
        i += 1
    return entry, False, ""


def rewrite_conditions(expr: str) -> str:
    """Apply the `runtime.newCondition` macro and route `runtime.condition` to its map overload.

    Raises `MacroError` when a `runtime.newCondition` call breaks a parse-time rule.
    """
    calls = find_calls(expr)
    if not calls:
        return expr
    out: list[str] = []
    last = 0
    for start, end, name, args in calls:
        out.append(expr[last:start])
        inner = [rewrite_conditions(a) for a in args]
        if name == "newCondition":
            if len(inner) != 1:
                raise MacroError(f"{NEW_CONDITION} takes exactly one argument, a map literal")
            fields = parse_fields(inner[0])
            body = ", ".join(f'"{k}": {v.strip()}' for k, v in fields.items())
            out.append(f"{NEW_CONDITION}({{{body}}})")
        elif len(inner) == 2:
            out.append(f"{CONDITION}(dyn({inner[0].strip()}), {inner[1].strip()})")
        else:
            out.append(f"{CONDITION}({','.join(inner)})")
        last = end
    out.append(expr[last:])
    return "".join(out)


def new_condition_calls(expr: str) -> list[NewConditionCall]:
    """Every `runtime.newCondition` call of an expression (validated), outermost first."""
    found: list[NewConditionCall] = []
    for _start, _end, name, args in find_calls(expr):
        if name == "newCondition" and len(args) == 1:
            fields = parse_fields(args[0])
            found.append(NewConditionCall({k: v.strip() for k, v in fields.items()}))
            for value in fields.values():
                found.extend(new_condition_calls(value))
        else:
            for arg in args:
                found.extend(new_condition_calls(arg))
    return found


def condition_lookups(expr: str) -> list[ConditionLookup]:
    """Every `runtime.condition(obj, type)` call of an expression."""
    found: list[ConditionLookup] = []
    for _start, _end, name, args in find_calls(expr):
        if name == "condition" and len(args) == 2:
            found.append(ConditionLookup(args[0].strip(), args[1].strip()))
        for arg in args:
            found.extend(condition_lookups(arg))
    return found
