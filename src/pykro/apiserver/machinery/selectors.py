"""Label selectors (equality- and set-based) and field selectors."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pykro.apiserver.machinery.status import ApiError, bad_request

_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_TOKEN = re.compile(r"\s*(!=|==|=|\(|\)|,|!|[^\s!=(),]+)")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        has = self.key in labels
        value = labels.get(self.key)
        if self.op == "=":
            return has and value in self.values
        if self.op == "!=":
            return not has or value not in self.values
        if self.op == "in":
            return has and value in self.values
        if self.op == "notin":
            return not has or value not in self.values
        if self.op == "exists":
            return has
        return not has


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise bad_request(f"unable to parse requirement: invalid label selector {text!r}")
        out.append(m.group(1))
        pos = m.end()
    return out


def _check_key(key: str, text: str) -> str:
    if not _KEY.match(key) or len(key.rpartition("/")[2]) > 63:
        raise bad_request(f"unable to parse requirement: invalid label key {key!r} in selector {text!r}")
    return key


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse `a=b,c!=d,e in (f,g),!h,i` as the API server does; 400 on garbage."""
    if not text or not text.strip():
        return LabelSelector()
    toks = _tokens(text)
    reqs: list[Requirement] = []
    i = 0

    def err() -> ApiError:
        return bad_request(f"unable to parse requirement: invalid label selector {text!r}")

    while i < len(toks):
        if toks[i] == "!":
            if i + 1 >= len(toks):
                raise err()
            reqs.append(Requirement(_check_key(toks[i + 1], text), "!"))
            i += 2
        else:
            key = _check_key(toks[i], text)
            op = toks[i + 1] if i + 1 < len(toks) else ","
            if op in ("=", "==", "!="):
                if i + 2 >= len(toks) or toks[i + 2] in (",", "(", ")"):
                    value = ""
                    i += 2
                else:
                    value = toks[i + 2]
                    i += 3
                reqs.append(Requirement(key, "!=" if op == "!=" else "=", frozenset({value})))
            elif op in ("in", "notin"):
                if i + 2 >= len(toks) or toks[i + 2] != "(":
                    raise err()
                j = i + 3
                values: set[str] = set()
                while j < len(toks) and toks[j] != ")":
                    if toks[j] != ",":
                        values.add(toks[j])
                    j += 1
                if j >= len(toks):
                    raise err()
                reqs.append(Requirement(key, op, frozenset(values)))
                i = j + 1
            elif op == ",":
                reqs.append(Requirement(key, "exists"))
                i += 1
            else:
                raise err()
        if i < len(toks):
            if toks[i] != ",":
                raise err()
            i += 1
    return LabelSelector(tuple(reqs))


@dataclass(frozen=True)
class FieldRequirement:
    path: tuple[str, ...]
    value: str
    negate: bool

    def matches(self, obj: Mapping[str, Any]) -> bool:
        cur: Any = obj
        for part in self.path:
            cur = cur.get(part) if isinstance(cur, Mapping) else None
        actual = "" if cur is None else (str(cur).lower() if isinstance(cur, bool) else str(cur))
        return (actual != self.value) if self.negate else (actual == self.value)


@dataclass(frozen=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return all(r.matches(obj) for r in self.requirements)

    def exact(self, field: str) -> str | None:
        """The value an `=` requirement pins `field` to, used to narrow lookups."""
        for r in self.requirements:
            if ".".join(r.path) == field and not r.negate:
                return r.value
        return None


def parse_field_selector(text: str | None) -> FieldSelector:
    """`metadata.name=x,metadata.namespace!=y` (any dotted field path, equality only)."""
    if not text or not text.strip():
        return FieldSelector()
    reqs: list[FieldRequirement] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        for op in ("!=", "==", "="):
            field, sep, value = part.partition(op)
            if sep:
                break
        else:
            raise bad_request(f"invalid field selector {text!r}: {part!r} is not field=value or field!=value")
        field = field.strip()
        if not field or not re.fullmatch(r"[A-Za-z0-9_.]+", field):
            raise bad_request(f"invalid field selector {text!r}: bad field {field!r}")
        reqs.append(FieldRequirement(tuple(field.split(".")), value.strip(), op == "!="))
    return FieldSelector(tuple(reqs))
