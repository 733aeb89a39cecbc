"""Chainsaw assertion trees: partial matching of an expected document against an actual object.

The rules are those of kyverno-json, which Chainsaw uses for `assert` and `error`:

- a map matches when every expected key matches (extra actual keys are ignored); an empty
  expected map only requires the actual value to be non-null;
- an array matches when it has the same length and every element matches, in order;
- a scalar matches by equality (numbers numerically, `true` never equals `1`);
- a key written `(expr)` is a JMESPath expression evaluated against the actual value at that
  level; its result is then matched against the expected value. `~name.(expr)` iterates
  over the result (binding `$name` to the index/key), `expr -> name` binds the result to `$name`;
  `\\key\\` escapes a literal key that looks like an expression;
- a scalar written `(expr)` is evaluated against the actual value and the result must equal it.

`$name` bindings (such as `$namespace`) are available inside expressions. The module is pure:
no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jmespath
import jmespath.exceptions

from pykro.errors import Problem, PykroError
from pykro.jsontypes import json_type

_FOREACH = re.compile(r"^~(\w+)?\.(.*)$", re.DOTALL)
_BINDING = re.compile(r"^(.*?)\s*->\s*(\w+)$", re.DOTALL)
_ESCAPE = re.compile(r"^\\(.+)\\$", re.DOTALL)
_EXPRESSION = re.compile(r"^\((?:(\w+);)?(.+)\)$", re.DOTALL)


@dataclass(frozen=True)
class Mismatch:
    """One place where the actual object differs from the expectation."""

    path: str  # e.g. "status.(conditions[?type == 'Ready'])[0].status"; "" for the root
    message: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.message}"


@dataclass(frozen=True)
class _Key:
    statement: str
    is_expression: bool
    foreach: bool = False
    foreach_name: str = ""
    binding: str = ""


def _parse_key(key: str) -> _Key:
    foreach, foreach_name, binding = False, "", ""
    text = key
    if m := _FOREACH.match(text):
        foreach, foreach_name, text = True, m.group(1) or "", m.group(2)
    if m := _BINDING.match(text):
        text, binding = m.group(1), m.group(2)
    if m := _ESCAPE.match(text):
        return _Key(m.group(1), False, foreach, foreach_name, binding)
    if m := _EXPRESSION.match(text):
        engine = m.group(1) or "jp"
        if engine != "jp":
            raise PykroError(
                f"assertion key {key!r}: expression engine {engine!r} is not supported (only JMESPath)",
                (Problem("", f"assertion key {key!r}: only JMESPath expressions are supported"),),
            )
        return _Key(m.group(2), True, foreach, foreach_name, binding)
    return _Key(text, False, foreach, foreach_name, binding)


def _json_literal(value: Any) -> str:
    # JMESPath raw JSON literal; a backtick inside must be escaped.
    return "`" + json.dumps(value).replace("`", "\\`") + "`"


def substitute_bindings(expression: str, bindings: Mapping[str, Any]) -> str:
    """Replace `$name` outside string literals with a JSON literal of its bound value.

    Python's `jmespath` has no variables; Chainsaw's JMESPath dialect does. Inlining the bound
    values keeps the expression's meaning for the read-only uses assertions make of them.
    """
    out: list[str] = []
    i, n = 0, len(expression)
    while i < n:
        ch = expression[i]
        if ch in "'\"`":
            end = i + 1
            while end < n and expression[end] != ch:
                end += 2 if expression[end] == "\\" else 1
            out.append(expression[i : end + 1])
            i = end + 1
            continue
        if ch == "$":
            m = re.match(r"\$(\w+)", expression[i:])
            if m:
                name = m.group(1)
                if name not in bindings:
                    known = ", ".join(f"${b}" for b in sorted(bindings)) or "none"
                    raise PykroError(
                        f"expression {expression!r}: unknown binding ${name} (known: {known})",
                        (
                            Problem(
                                "", f"expression {expression!r}: unknown binding ${name} (known: {known})"
                            ),
                        ),
                    )
                out.append(_json_literal(bindings[name]))
                i += len(m.group(0))
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def evaluate(expression: str, value: Any, bindings: Mapping[str, Any]) -> Any:
    """Evaluate a JMESPath expression (with `$bindings`) against `value`."""
    text = substitute_bindings(expression, bindings)
    try:
        return jmespath.search(text, value)
    except jmespath.exceptions.JMESPathError as err:
        message = f"invalid JMESPath expression ({expression}): {err}".replace("\n", " ")
        raise PykroError(message, (Problem("", message),)) from None


def _type_name(value: Any) -> str:
    """The JSON type of `value` as JMESPath sees it: integers and floats are both numbers."""
    name = json_type(value)
    return "number" if name == "integer" else name


def _show(value: Any) -> str:
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def values_equal(expected: Any, actual: Any) -> bool:
    """Scalar equality as kyverno-json does it: numbers numerically, booleans strictly."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    if isinstance(expected, list | tuple) and isinstance(actual, list | tuple):
        return len(expected) == len(actual) and all(
            values_equal(e, a) for e, a in zip(expected, actual, strict=True)
        )
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        return expected.keys() == actual.keys() and all(
            values_equal(v, actual[k]) for k, v in expected.items()
        )
    return type(expected) is type(actual) and bool(expected == actual)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def match(
    expected: Any, actual: Any, bindings: Mapping[str, Any] | None = None, *, path: str = ""
) -> list[Mismatch]:
    """Every mismatch between the assertion tree `expected` and `actual` (empty when it matches).

    Raises `PykroError` for a malformed assertion (bad JMESPath, unknown binding).
    """
    return _match(expected, actual, dict(bindings or {}), path)


def matches(expected: Any, actual: Any, bindings: Mapping[str, Any] | None = None) -> bool:
    return not match(expected, actual, bindings)


def _match(expected: Any, actual: Any, bindings: dict[str, Any], path: str) -> list[Mismatch]:
    if isinstance(expected, Mapping):
        return _match_map(expected, actual, bindings, path)
    if isinstance(expected, list | tuple):
        return _match_list(expected, actual, bindings, path)
    return _match_scalar(expected, actual, bindings, path)


def _match_list(
    expected: list[Any] | tuple[Any, ...], actual: Any, bindings: dict[str, Any], path: str
) -> list[Mismatch]:
    if actual is None:
        return [Mismatch(path, f"expected an array of {len(expected)} element(s), found null")]
    if not isinstance(actual, list | tuple):
        return [Mismatch(path, f"expected an array, found {_type_name(actual)} {_show(actual)}")]
    if len(actual) != len(expected):
        return [
            Mismatch(
                path,
                f"array lengths differ: expected {len(expected)} element(s), found {len(actual)}: "
                f"{_show(actual)}",
            )
        ]
    out: list[Mismatch] = []
    for index, (exp, act) in enumerate(zip(expected, actual, strict=True)):
        out.extend(_match(exp, act, bindings, f"{path}[{index}]"))
    return out


def _match_map(
    expected: Mapping[Any, Any], actual: Any, bindings: dict[str, Any], path: str
) -> list[Mismatch]:
    if not expected:
        return [Mismatch(path, "expected a non-null value, found null")] if actual is None else []
    out: list[Mismatch] = []
    for raw_key, sub in expected.items():
        key = _parse_key(raw_key) if isinstance(raw_key, str) else _Key(str(raw_key), False)
        label = str(raw_key)
        child = _join(path, label)
        if key.is_expression:
            projected = evaluate(key.statement, actual, bindings)
        else:
            if actual is None:
                out.append(Mismatch(child, "field not found (parent is null)"))
                continue
            if not isinstance(actual, Mapping):
                out.append(Mismatch(path, f"expected an object, found {_type_name(actual)} {_show(actual)}"))
                break
            lookup: Any = raw_key if not isinstance(raw_key, str) else key.statement
            if lookup not in actual:
                out.append(Mismatch(child, "field not found in the actual object"))
                continue
            projected = actual[lookup]
        scoped = dict(bindings)
        if key.binding:
            scoped[key.binding] = projected
        if not key.foreach:
            out.extend(_match(sub, projected, scoped, child))
        elif isinstance(projected, list | tuple):
            for index, item in enumerate(projected):
                item_bindings = {**scoped, key.foreach_name: index} if key.foreach_name else scoped
                out.extend(_match(sub, item, item_bindings, f"{child}[{index}]"))
        elif isinstance(projected, Mapping):
            for item_key, item in projected.items():
                item_bindings = {**scoped, key.foreach_name: item_key} if key.foreach_name else scoped
                out.extend(_match(sub, item, item_bindings, f"{child}[{item_key!r}]"))
        else:
            out.append(Mismatch(child, f"foreach needs an array or an object, found {_type_name(projected)}"))
    return out


def _match_scalar(expected: Any, actual: Any, bindings: dict[str, Any], path: str) -> list[Mismatch]:
    want = expected
    if isinstance(expected, str):
        if m := _ESCAPE.match(expected):
            want = m.group(1)
        elif m := _EXPRESSION.match(expected):
            if (m.group(1) or "jp") != "jp":
                raise PykroError(
                    f"{path}: expression engine {m.group(1)!r} is not supported (only JMESPath)",
                    (Problem(path, f"expression engine {m.group(1)!r} is not supported (only JMESPath)"),),
                )
            want = evaluate(m.group(2), actual, bindings)
    if values_equal(want, actual):
        return []
    if isinstance(actual, Mapping | list | tuple) or actual is None or _type_name(want) != _type_name(actual):
        return [
            Mismatch(
                path, f"expected {_type_name(want)} {_show(want)}, found {_type_name(actual)} {_show(actual)}"
            )
        ]
    return [Mismatch(path, f"expected {_show(want)}, found {_show(actual)}")]
