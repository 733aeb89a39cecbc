"""Values and paths as kube-apiserver's `field.Error`s print them, so causes read the same."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pykro.jsontypes import json_type


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
    return go_sharp(value)


def go_sharp(value: Any) -> str:
    """A value as Go prints it with `%#v` (`map[string]interface {}{...}`)."""
    if isinstance(value, Mapping):
        inner = ", ".join(f"{json.dumps(str(k))}:{go_sharp(v)}" for k, v in sorted(value.items()))
        return "map[string]interface {}{" + inner + "}"
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(go_sharp(v) for v in value) + "}"
    if value is None:
        return "interface {}(nil)"
    return go_value(value)


def plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"


def join_path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def type_name(value: Any) -> str:
    """The JSON type of a decoded value as the real server names it (a whole float is an integer)."""
    return "integer" if isinstance(value, float) and value.is_integer() else json_type(value)
