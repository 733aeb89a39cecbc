"""Representation of Kubernetes' opaque CEL types (Quantity, URL, IP, CIDR, Semver).

cel-expr-python cannot carry Python objects through CEL: an abstract type declared with
`cel.Type.AbstractType` fails with "Unimplemented type" as soon as a value of it is produced.
These values are therefore single-entry maps `{"@kro.<kind>": "<canonical text>"}` (CEL type
`map(string, string)`). The canonical text makes `==` behave like Kubernetes' semantic equality
(e.g. `quantity("1Gi") == quantity("1024Mi")`). Member functions check the tag, so a plain
user map is rejected with "no such overload".
"""

from __future__ import annotations

from typing import Any

from pykro.cel.library._base import LibraryError, T

OPAQUE_TYPE = T.Map(T.STRING, T.STRING)
PREFIX = "@kro."


def wrap(kind: str, text: str) -> dict[str, str]:
    return {PREFIX + kind: text}


def kind_of(value: Any) -> str | None:
    """The opaque kind of a value (`quantity`, `url`, ...), or None for ordinary values."""
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        if isinstance(key, str) and key.startswith(PREFIX) and isinstance(value[key], str):
            return key[len(PREFIX) :]
    return None


def unwrap(kind: str, value: Any, function: str) -> str:
    if kind_of(value) != kind:
        raise LibraryError(f"no such overload: {function} expects a {kind} value")
    text: str = value[PREFIX + kind]
    return text
