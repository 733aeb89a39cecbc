"""Extraction of `${...}` expressions from template strings (kro `pkg/graph/parser/cel.go`).

The scan is a faithful port of kro's byte scan: only double quotes delimit string literals
(single-quoted CEL strings are *not* protected), braces nest, and a `${` inside an expression
is an error unless it directly follows a double quote. Offsets are Python character offsets;
the delimiters are ASCII, so the matches are the same as kro's byte offsets would select.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pykro.cel.errors import ScanError

_START = "${"

NESTED_ERROR = "nested expressions are not allowed unless inside string literals"


@dataclass(frozen=True)
class Match:
    """One `${expression}`: `start` is the offset of `$`, `end` is one past the closing `}`."""

    start: int
    end: int
    expression: str


@dataclass(frozen=True)
class Literal:
    """A string without any complete `${...}`: used verbatim."""

    text: str


@dataclass(frozen=True)
class Standalone:
    """The whole string is one expression: its result keeps its native type."""

    text: str
    expression: str


@dataclass(frozen=True)
class Template:
    """Literal text mixed with expressions: evaluated as one string concatenation."""

    text: str
    parts: tuple[str | Match, ...]

    @property
    def expressions(self) -> tuple[str, ...]:
        return tuple(p.expression for p in self.parts if isinstance(p, Match))

    def to_cel(self) -> str:
        return template_to_cel(self.parts)


def find_expressions(text: str) -> list[Match]:
    """Every complete `${...}` of `text`, left to right.

    Raises `ScanError` for a nested `${` outside a double-quoted string.
    An unterminated `${` is literal text: the scan resumes one character after it.
    """
    matches: list[Match] = []
    start = 0
    n = len(text)
    while start < n:
        begin = text.find(_START, start)
        if begin < 0:
            break
        depth = 1
        in_string = False
        escaped = False
        pos = begin + len(_START)
        while pos < n:
            c = text[pos]
            if escaped:
                escaped = False
            elif in_string and c == "\\":
                escaped = True
            elif c == '"':
                in_string = not in_string
            elif not in_string:
                if c == "{":
                    depth += 1
                elif c == "}":
                    depth -= 1
                    if depth == 0:
                        break
                elif c == "$" and pos + 1 < n and text[pos + 1] == "{" and text[pos - 1] != '"':
                    raise ScanError(text, NESTED_ERROR)
            pos += 1
        if depth != 0:
            start = begin + 1
            continue
        matches.append(Match(begin, pos + 1, text[begin + len(_START) : pos]))
        start = pos + 1
    return matches


def parse_value(text: str) -> Literal | Standalone | Template:
    """Classify a string leaf: no expression, exactly one expression spanning it, or a template."""
    matches = find_expressions(text)
    if not matches:
        return Literal(text)
    if len(matches) == 1 and matches[0].start == 0 and matches[0].end == len(text):
        return Standalone(text, matches[0].expression)
    parts: list[str | Match] = []
    cursor = 0
    for m in matches:
        if m.start > cursor:
            parts.append(text[cursor : m.start])
        parts.append(m)
        cursor = m.end
    if cursor < len(text):
        parts.append(text[cursor:])
    return Template(text, tuple(parts))


def template_to_cel(parts: Sequence[str | Match]) -> str:
    """Join template parts as kro does: quoted literals and parenthesised expressions with ` + `."""
    return " + ".join(go_quote(p) if isinstance(p, str) else f"({p.expression})" for p in parts)


_SIMPLE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    '"': '\\"',
    "\\": "\\\\",
}


def go_quote(text: str) -> str:
    """Go `strconv.Quote`: a double-quoted literal that CEL parses back to the same string."""
    out = ['"']
    for ch in text:
        simple = _SIMPLE_ESCAPES.get(ch)
        if simple is not None:
            out.append(simple)
            continue
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            # A lone surrogate cannot come from UTF-8; Go would see invalid bytes and CEL
            # accepts no surrogate escape, so substitute the replacement character.
            out.append("\\ufffd")
        elif ch == " " or (ch.isprintable() and code != 0x7F):
            out.append(ch)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)
