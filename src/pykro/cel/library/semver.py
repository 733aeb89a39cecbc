"""Kubernetes Semver library: semver(), isSemver(), major/minor/patch (comparison in compare.py).

Parsing follows Semantic Versioning 2.0.0 strictly (as blang/semver's `Parse`); with the optional
`normalize=true` argument a leading `v`, missing minor/patch and leading zeros are tolerated.
Build metadata does not take part in comparison or equality, so it is dropped from the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pykro.cel.library import _opaque
from pykro.cel.library._base import Fn, LibraryError, T, fn, member, validator

_SEMVER = re.compile(
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
_LOOSE_CORE = re.compile(r"^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(.*)$")
_MAX_LENGTH = 1024


@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: tuple[str, ...]

    def text(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        return f"{core}-{'.'.join(self.pre)}" if self.pre else core


def parse_semver(text: str, normalize: bool = False) -> Version:
    if len(text) > _MAX_LENGTH:
        raise LibraryError("semver: version string too long")
    candidate = _normalize(text) if normalize else text
    match = _SEMVER.match(candidate)
    if match is None:
        raise LibraryError(f"invalid semver: {text!r}")
    major, minor, patch, pre, _build = match.groups()
    for number in (major, minor, patch):
        if len(number) > 19 or int(number) >= 2**64:
            raise LibraryError(f"invalid semver: {text!r}: version number out of range")
    return Version(int(major), int(minor), int(patch), tuple(pre.split(".")) if pre else ())


def _normalize(text: str) -> str:
    match = _LOOSE_CORE.match(text)
    if match is None:
        return text
    major, minor, patch, rest = match.groups()
    parts = [str(int(p)) for p in (major, minor or "0", patch or "0")]
    return ".".join(parts) + rest


def _pre_key(identifier: str) -> tuple[int, int, str]:
    return (0, int(identifier), "") if identifier.isascii() and identifier.isdigit() else (1, 0, identifier)


def compare_versions(a: Version, b: Version) -> int:
    left, right = (a.major, a.minor, a.patch), (b.major, b.minor, b.patch)
    if left != right:
        return 1 if left > right else -1
    if a.pre == b.pre:
        return 0
    if not a.pre or not b.pre:
        return 1 if not a.pre else -1
    ka, kb = [_pre_key(p) for p in a.pre], [_pre_key(p) for p in b.pre]
    return 1 if ka > kb else -1


def to_value(version: Version) -> dict[str, str]:
    return _opaque.wrap("semver", version.text())


def from_value(value: Any, function: str) -> Version:
    return parse_semver(_opaque.unwrap("semver", value, function))


def compare(a: Any, b: Any, function: str) -> int:
    return compare_versions(from_value(a, function), from_value(b, function))


_is_semver = validator(parse_semver)


def functions() -> list[Fn]:
    V, S, B = _opaque.OPAQUE_TYPE, T.STRING, T.BOOL
    return [
        *fn("semver", "kro_semver_string", V, [S], lambda s: to_value(parse_semver(s))),
        *fn("semver", "kro_semver_string_bool", V, [S, B], lambda s, n: to_value(parse_semver(s, n))),
        *fn("isSemver", "kro_is_semver_string", B, [S], _is_semver),
        *fn("isSemver", "kro_is_semver_string_bool", B, [S, B], _is_semver),
        *member("major", "kro_semver_major", T.INT, [V], lambda v: from_value(v, "major").major),
        *member("minor", "kro_semver_minor", T.INT, [V], lambda v: from_value(v, "minor").minor),
        *member("patch", "kro_semver_patch", T.INT, [V], lambda v: from_value(v, "patch").patch),
    ]
