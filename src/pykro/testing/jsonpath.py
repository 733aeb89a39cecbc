"""The subset of kubectl JSONPath that `wait: for: jsonPath:` needs.

Supported: `{.a.b}`, `{.a[0]}`, `{.a[*].b}`, `{.a[?(@.x=='v')].b}` (`==`/`!=`, quoted string,
number or boolean), and keys with dots escaped as `\\.`. That covers the jsonPath waits in
kro's scenarios; anything else is rejected with a clear error rather than guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pykro.errors import Problem, PykroError

_FILTER = re.compile(r"""\?\(@\.([\w\-\\.]+)\s*(==|!=)\s*(.+)\)""")


def _error(path: str, why: str) -> PykroError:
    message = f"JSONPath {path!r}: {why}"
    return PykroError(message, (Problem("", message),))


def _split_fields(text: str) -> list[str]:
    fields, current, i = [], "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            current += text[i + 1]
            i += 2
            continue
        if text[i] == ".":
            fields.append(current)
            current = ""
        else:
            current += text[i]
        i += 1
    fields.append(current)
    return [f for f in fields if f]


def _literal(text: str, path: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    try:
        return json.loads(text)
    except ValueError:
        raise _error(path, f"cannot read filter value {text!r}") from None


def _tokens(path: str) -> list[tuple[str, str]]:
    body = path.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    if not body.startswith("."):
        raise _error(path, "must start with '.' (like {.status.phase})")
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(body):
        if body[i] == "[":
            depth, end = 0, i
            while end < len(body):
                depth += {"[": 1, "]": -1}.get(body[end], 0)
                if depth == 0:
                    break
                end += 1
            if end >= len(body):
                raise _error(path, "unbalanced '['")
            tokens.append(("index", body[i + 1 : end]))
            i = end + 1
        else:
            end = i
            while end < len(body) and body[end] != "[":
                end += 2 if body[end] == "\\" else 1
            tokens.extend(("field", f) for f in _split_fields(body[i:end]))
            i = end
    return tokens


def _filter(items: list[Any], spec: str, path: str) -> list[Any]:
    m = _FILTER.fullmatch(spec.strip())
    if not m:
        raise _error(path, f"unsupported filter [{spec}]")
    keys = _split_fields(m.group(1))
    want = _literal(m.group(3), path)
    out = []
    for item in items:
        value: Any = item
        for key in keys:
            value = value.get(key) if isinstance(value, Mapping) else None
        if value is not None and (value == want) == (m.group(2) == "=="):
            out.append(item)
    return out


def find(path: str, obj: Any) -> list[Any]:
    """Every value `path` selects in `obj` (an empty list when nothing is there)."""
    current: list[Any] = [obj]
    for kind, text in _tokens(path):
        nxt: list[Any] = []
        if kind == "field":
            nxt = [v[text] for v in current if isinstance(v, Mapping) and text in v]
        elif text == "*":
            for v in current:
                nxt.extend(v if isinstance(v, list) else v.values() if isinstance(v, Mapping) else [])
        elif text.startswith("?"):
            for v in current:
                if isinstance(v, list):
                    nxt.extend(_filter(v, text, path))
        elif re.fullmatch(r"-?[0-9]+", text):
            index = int(text)
            nxt = [v[index] for v in current if isinstance(v, list) and -len(v) <= index < len(v)]
        else:
            raise _error(path, f"unsupported subscript [{text}]")
        current = nxt
    return current


def render(value: Any) -> str:
    """A selected value as kubectl prints it, for comparing with the expected string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
