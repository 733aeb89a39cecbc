"""Two-variable comprehensions and cel-go macros that cel-expr-python cannot run as such.

The bundled `two-var-comprehensions` extension (enabled through `ENV_CONFIG_YAML`) parses and
checks `all/exists/existsOne/transformList/transformMap/transformMapEntry`, but its runtime lacks
`cel.@mapInsert`, so `transformMap`/`transformMapEntry` fail at evaluation; cel-go's `sortBy` is a
macro that is not available at all. Python code cannot define macros, so `rewrite_macros` rewrites
the source text before compilation into equivalent expressions over functions declared here:

    r.transformMap(k, v, [p,] t)        ->  r.transformList(k, v, [p,] [k, t]).kroMapFromPairs__()
    r.transformMapEntry(k, v, [p,] e)   ->  r.transformList(k, v, [p,] e).kroMapFromEntries__()
    r.sortBy(x, key)                    ->  r.map(x, [x, key]).kroSortByAssociatedKeys__()

Semantics match cel-go, except that the static result type is `map(dyn, dyn)` / `list(dyn)`.
"""

from __future__ import annotations

from typing import Any

from pykro.cel.library._base import DYN_LIST, DYN_MAP, Fn, LibraryError, member
from pykro.cel.library.lists import SORT_BY_PAIRS

FROM_PAIRS = "kroMapFromPairs__"
FROM_ENTRIES = "kroMapFromEntries__"
ENV_CONFIG_YAML = "extensions:\n  - name: two-var-comprehensions\n"

_OPEN = "([{"
_CLOSE = ")]}"


def _from_pairs(pairs: list[list[Any]]) -> dict[Any, Any]:
    return {pair[0]: pair[1] for pair in pairs}


def _from_entries(entries: list[dict[Any, Any]]) -> dict[Any, Any]:
    result: dict[Any, Any] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise LibraryError("transformMapEntry: the transform must produce a map")
        for key, value in entry.items():
            if key in result:
                raise LibraryError(f"insert failed: key {key} already exists")
            result[key] = value
    return result


def functions() -> list[Fn]:
    return [
        *member(FROM_PAIRS, "kro_list_map_from_pairs", DYN_MAP, [DYN_LIST], _from_pairs),
        *member(FROM_ENTRIES, "kro_list_map_from_entries", DYN_MAP, [DYN_LIST], _from_entries),
    ]


def _skip_string(text: str, i: int) -> int:
    """Return the index just past the string literal starting at `text[i]` (a quote or prefix)."""
    j = i
    raw = False
    while text[j] in "rRbB":
        raw = raw or text[j] in "rR"
        j += 1
    quote = text[j]
    delimiter = quote * 3 if text.startswith(quote * 3, j) else quote
    j += len(delimiter)
    while j < len(text):
        if not raw and text[j] == "\\":
            j += 2
            continue
        if text.startswith(delimiter, j):
            return j + len(delimiter)
        j += 1
    return len(text)


def _is_string_start(text: str, i: int) -> bool:
    if text[i] in "'\"":
        return True
    j = i
    while j < len(text) and j - i < 2 and text[j] in "rRbB":
        j += 1
    starts_identifier = i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")
    return j > i and j < len(text) and text[j] in "'\"" and starts_identifier


def _split_call(text: str, open_index: int) -> tuple[list[str], int] | None:
    """Split the argument list opened at `text[open_index]` ('('); return (args, index after ')')."""
    depth = 0
    args: list[str] = []
    start = open_index + 1
    i = open_index
    while i < len(text):
        char = text[i]
        if _is_string_start(text, i):
            i = _skip_string(text, i)
            continue
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
            if depth == 0:
                args.append(text[start:i])
                return args, i + 1
        elif char == "," and depth == 1:
            args.append(text[start:i])
            start = i + 1
        i += 1
    return None


def _rewrite_call(name: str, args: list[str]) -> str | None:
    a = [arg.strip() for arg in args]
    if name == "transformMap" and len(a) in (3, 4):
        return f".transformList({', '.join(a[:-1])}, [{a[0]}, {a[-1]}]).{FROM_PAIRS}()"
    if name == "transformMapEntry" and len(a) in (3, 4):
        return f".transformList({', '.join(a)}).{FROM_ENTRIES}()"
    if name == "sortBy" and len(a) == 2:
        return f".map({a[0]}, [{a[0]}, {a[1]}]).{SORT_BY_PAIRS}()"
    return None


_MACROS = ("transformMapEntry", "transformMap", "sortBy")


def rewrite_macros(expr: str) -> str:
    """Rewrite `transformMap`, `transformMapEntry` and `sortBy` calls into supported forms."""
    out: list[str] = []
    i = 0
    while i < len(expr):
        if _is_string_start(expr, i):
            end = _skip_string(expr, i)
            out.append(expr[i:end])
            i = end
            continue
        if expr[i] == ".":
            replaced = _try_macro(expr, i)
            if replaced is not None:
                text, i = replaced
                out.append(text)
                continue
        out.append(expr[i])
        i += 1
    return "".join(out)


def _try_macro(expr: str, dot: int) -> tuple[str, int] | None:
    j = dot + 1
    while j < len(expr) and expr[j].isspace():
        j += 1
    for name in _MACROS:
        end = j + len(name)
        if not expr.startswith(name, j) or (end < len(expr) and (expr[end].isalnum() or expr[end] == "_")):
            continue
        k = end
        while k < len(expr) and expr[k].isspace():
            k += 1
        if k >= len(expr) or expr[k] != "(":
            return None
        split = _split_call(expr, k)
        if split is None:
            return None
        args, after = split
        rewritten = _rewrite_call(name, [rewrite_macros(arg) for arg in args])
        return (rewritten, after) if rewritten is not None else None
    return None
