"""Kubernetes `LabelSelector` objects as label-selector query strings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_SET_OPERATORS = {"In": "in", "NotIn": "notin"}


def label_selector(selector: Any) -> tuple[str, dict[str, str]]:
    """(`app=web,tier in (a,b)`, the matchLabels part) for a LabelSelector; None/{} selects everything.
    Raises ValueError naming the bad part."""
    if selector is None:
        return "", {}
    if not isinstance(selector, Mapping):
        raise ValueError(f"selector must be an object, got {type(selector).__name__}")
    parts: list[str] = []
    match_labels = selector.get("matchLabels") or {}
    if not isinstance(match_labels, Mapping):
        raise ValueError("selector.matchLabels must be a map of strings")
    labels = {str(k): str(v) for k, v in match_labels.items()}
    parts.extend(f"{k}={v}" for k, v in sorted(labels.items()))
    for index, expr in enumerate(selector.get("matchExpressions") or ()):
        if not isinstance(expr, Mapping) or not expr.get("key"):
            raise ValueError(f"selector.matchExpressions[{index}] needs a key")
        key, operator = str(expr["key"]), str(expr.get("operator", ""))
        values = [str(v) for v in expr.get("values") or ()]
        if operator in _SET_OPERATORS:
            if not values:
                raise ValueError(f"selector.matchExpressions[{index}]: operator {operator} needs values")
            parts.append(f"{key} {_SET_OPERATORS[operator]} ({','.join(values)})")
        elif operator == "Exists":
            parts.append(key)
        elif operator == "DoesNotExist":
            parts.append(f"!{key}")
        else:
            raise ValueError(f"selector.matchExpressions[{index}]: unknown operator {operator!r}")
    return ",".join(parts), labels
