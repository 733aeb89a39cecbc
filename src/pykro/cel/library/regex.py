"""Kubernetes regex library: `s.find(re)`, `s.findAll(re)`, `s.findAll(re, n)`.

Patterns run on RE2 (package google-re2), the engine Go's regexp implements, so matching is linear
in the input and hostile patterns cannot backtrack catastrophically. `findAll` follows Go's
FindAllString: an empty match right after the previous match is skipped.
"""

from __future__ import annotations

from typing import Any

from pykro.cel.library._base import MAX_STRING_BYTES, Fn, LibraryError, T, check_list_size, member
from pykro.goregexp import PatternError, compile_pattern


def _compile(pattern: str) -> Any:
    if len(pattern) > MAX_STRING_BYTES:
        raise LibraryError("regex pattern too long")
    try:
        return compile_pattern(pattern)
    except PatternError as err:
        raise LibraryError(str(err)) from None


def _find(text: str, pattern: str) -> str:
    match = _compile(pattern).search(text)
    return str(match.group(0)) if match is not None else ""


def _find_all(text: str, pattern: str, limit: int = -1) -> list[str]:
    results: list[str] = []
    previous_end = -1
    for match in _compile(pattern).finditer(text):
        if limit >= 0 and len(results) >= limit:
            break
        start, end = match.span()
        if start == end and start == previous_end:
            continue
        results.append(str(match.group(0)))
        previous_end = end
    check_list_size("findAll", len(results), MAX_STRING_BYTES)
    return results


def functions() -> list[Fn]:
    S = T.STRING
    return [
        *member("find", "kro_string_find_string", S, [S, S], _find),
        *member("findAll", "kro_string_find_all_string", T.List(S), [S, S], _find_all),
        *member("findAll", "kro_string_find_all_string_int", T.List(S), [S, S, T.INT], _find_all),
    ]
