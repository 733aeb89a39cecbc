"""cel-go `ext.Strings` (charAt ... format, strings.quote), forwarded to the bundled cel-cpp extension.

The names are declared here rather than by enabling `ExtStrings` in the public environment because
the Kubernetes list library adds `indexOf`/`lastIndexOf`/`reverse` overloads on lists (see lists.py),
and a function may only be declared once. Outputs that could grow without bound are size-checked
before the work is done.
"""

from __future__ import annotations

import re
from typing import Any

from pykro.cel.library._base import (
    MAX_FORMAT_PRECISION,
    STRING_LIST,
    Fn,
    LibraryError,
    T,
    check_string_size,
    fn,
    member,
)
from pykro.cel.library._delegate import evaluate

_PRECISION = re.compile(r"%\.([0-9]+)")


def _forward(expr: str, *names: str) -> Any:
    def impl(*args: Any) -> Any:
        return evaluate(expr, **dict(zip(names, args, strict=True)))

    return impl


def _replace(s: str, old: str, new: str, n: int = -1) -> Any:
    count = s.count(old) if old else len(s) + 1
    if n >= 0:
        count = min(count, n)
    check_string_size("replace", len(s.encode()) + count * (len(new.encode()) - len(old.encode())))
    return evaluate("s.replace(a, b, c)", s=s, a=old, b=new, c=n)


def _join(items: list[Any], sep: str = "") -> Any:
    size = sum(len(str(item).encode()) for item in items) + max(len(items) - 1, 0) * len(sep.encode())
    check_string_size("join", size)
    return evaluate("l.join(s)", l=items, s=sep)


def _format(fmt: str, args: list[Any]) -> Any:
    for match in _PRECISION.finditer(fmt):
        if len(match.group(1)) > 6 or int(match.group(1)) > MAX_FORMAT_PRECISION:
            raise LibraryError(
                f"format: precision {match.group(1)} exceeds the limit of {MAX_FORMAT_PRECISION}"
            )
    result = evaluate("s.format(l)", s=fmt, l=args)
    if isinstance(result, str):
        check_string_size("format", len(result))
    return result


def functions() -> list[Fn]:
    S, INT = T.STRING, T.INT
    return [
        *member("charAt", "kro_string_char_at_int", S, [S, INT], _forward("s.charAt(a)", "s", "a")),
        *member("indexOf", "kro_string_index_of_string", INT, [S, S], _forward("s.indexOf(a)", "s", "a")),
        *member(
            "indexOf",
            "kro_string_index_of_string_int",
            INT,
            [S, S, INT],
            _forward("s.indexOf(a, b)", "s", "a", "b"),
        ),
        *member(
            "lastIndexOf",
            "kro_string_last_index_of_string",
            INT,
            [S, S],
            _forward("s.lastIndexOf(a)", "s", "a"),
        ),
        *member(
            "lastIndexOf",
            "kro_string_last_index_of_string_int",
            INT,
            [S, S, INT],
            _forward("s.lastIndexOf(a, b)", "s", "a", "b"),
        ),
        *member("lowerAscii", "kro_string_lower_ascii", S, [S], _forward("s.lowerAscii()", "s")),
        *member("upperAscii", "kro_string_upper_ascii", S, [S], _forward("s.upperAscii()", "s")),
        *member("replace", "kro_string_replace_string_string", S, [S, S, S], _replace),
        *member("replace", "kro_string_replace_string_string_int", S, [S, S, S, INT], _replace),
        *member("split", "kro_string_split_string", STRING_LIST, [S, S], _forward("s.split(a)", "s", "a")),
        *member(
            "split",
            "kro_string_split_string_int",
            STRING_LIST,
            [S, S, INT],
            _forward("s.split(a, b)", "s", "a", "b"),
        ),
        *member("substring", "kro_string_substring_int", S, [S, INT], _forward("s.substring(a)", "s", "a")),
        *member(
            "substring",
            "kro_string_substring_int_int",
            S,
            [S, INT, INT],
            _forward("s.substring(a, b)", "s", "a", "b"),
        ),
        *member("trim", "kro_string_trim", S, [S], _forward("s.trim()", "s")),
        *member("reverse", "kro_string_reverse", S, [S], _forward("s.reverse()", "s")),
        *member("join", "kro_list_join", S, [STRING_LIST], _join),
        *member("join", "kro_list_join_string", S, [STRING_LIST, S], _join),
        *member("format", "kro_string_format_list", S, [S, T.List(T.DYN)], _format),
        *fn("strings.quote", "kro_strings_quote", S, [S], _forward("strings.quote(s)", "s")),
    ]
