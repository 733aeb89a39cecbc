"""Random strings matching a simple regular expression, for `pykro generate instance`.

Covers the regexes CRD authors write for `pattern`: literals, escapes (`\\d \\w \\s`, escaped
punctuation, `\\xHH`), `.`, character classes with ranges, negation and POSIX names, groups
(capturing, `(?:...)`, `(?P<name>...)`, `(?i:...)`), alternation, and the quantifiers
`* + ? {m} {m,} {m,n}` (lazy or possessive forms too). Anchors `^ $ \\A \\z` are accepted where they
are harmless (a whole match is generated, which also satisfies an unanchored search).

Lookarounds, backreferences and word boundaries raise `UnsupportedPattern`; callers fall back to a
plain string. Generated characters stay in printable ASCII.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

PRINTABLE = tuple(chr(c) for c in range(0x20, 0x7F))
_DIGITS = tuple(string.digits)
_WORD = tuple(string.ascii_letters + string.digits + "_")
_SPACE = (" ",)
# Quantifiers repeat at most this many times beyond their minimum unless a length bound asks for more.
DEFAULT_EXTRA = 6

_POSIX: dict[str, tuple[str, ...]] = {
    "alpha": tuple(string.ascii_letters),
    "digit": _DIGITS,
    "alnum": tuple(string.ascii_letters + string.digits),
    "upper": tuple(string.ascii_uppercase),
    "lower": tuple(string.ascii_lowercase),
    "space": _SPACE,
    "xdigit": tuple(string.hexdigits),
    "word": _WORD,
    "punct": tuple(string.punctuation),
}


def _is_count(text: str) -> bool:
    """A repetition count in `{n,m}`: ASCII digits only (str.isdigit() also accepts "²")."""
    return text.isascii() and text.isdigit()


class UnsupportedPattern(ValueError):
    """The pattern uses a construct this generator does not model (or is malformed)."""


@dataclass(frozen=True)
class _Chars:
    choices: tuple[str, ...]


@dataclass(frozen=True)
class _Seq:
    items: tuple[_Node, ...]


@dataclass(frozen=True)
class _Alt:
    options: tuple[_Node, ...]


@dataclass(frozen=True)
class _Repeat:
    node: _Node
    low: int
    high: int | None  # None: unbounded


_Node = _Chars | _Seq | _Alt | _Repeat


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.pos = 0
        self.ignore_case = False

    def fail(self, why: str) -> UnsupportedPattern:
        return UnsupportedPattern(f"{why} at offset {self.pos} of {self.text!r}")

    def peek(self, ahead: int = 0) -> str:
        i = self.pos + ahead
        return self.text[i] if i < len(self.text) else ""

    def parse(self) -> _Node:
        self._skip_global_flags()
        node = self.alternation()
        if self.pos != len(self.text):
            raise self.fail("unbalanced ')'")
        return node

    def _skip_global_flags(self) -> None:
        # `(?i)` and friends change matching, not which strings can be produced.
        while self.text.startswith("(?", self.pos):
            end = self.text.find(")", self.pos)
            flags = self.text[self.pos + 2 : end] if end > 0 else ""
            if not flags or not set(flags) <= set("imsU-"):
                return
            self.ignore_case = self.ignore_case or "i" in flags.partition("-")[0]
            self.pos = end + 1

    def alternation(self) -> _Node:
        options = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            options.append(self.sequence())
        return options[0] if len(options) == 1 else _Alt(tuple(options))

    def sequence(self) -> _Node:
        items: list[_Node] = []
        while self.peek() not in ("", "|", ")"):
            atom = self.atom()
            if atom is not None:
                items.append(self.quantified(atom))
        return items[0] if len(items) == 1 else _Seq(tuple(items))

    def atom(self) -> _Node | None:
        char = self.peek()
        self.pos += 1
        if char == "(":
            return self.group()
        if char == "[":
            return _Chars(self.char_class())
        if char == ".":
            return _Chars(tuple(c for c in PRINTABLE if c != "\n"))
        if char in "^$":
            return None
        if char == "\\":
            return self.escape()
        if char in "*+?":
            raise self.fail(f"nothing to repeat with {char!r}")
        if char == "{" and self._quantifier_at(self.pos - 1):
            raise self.fail("nothing to repeat with '{'")
        return _Chars((char,))

    def group(self) -> _Node:
        if self.peek() == "?":
            self.pos += 1
            if self.peek() == ":":
                self.pos += 1
            elif (
                self.peek() == "P" and self.peek(1) == "<" or self.peek() == "<" and self.peek(1) not in "=!"
            ):
                end = self.text.find(">", self.pos)
                if end < 0:
                    raise self.fail("unterminated group name")
                self.pos = end + 1
            else:
                flags_end = self.pos
                while flags_end < len(self.text) and self.text[flags_end] in "imsU-":
                    flags_end += 1
                if flags_end == self.pos or self.peek(flags_end - self.pos) != ":":
                    raise self.fail("lookaround or unsupported group")
                # a scoped `(?i:...)` may hold negated classes: exclude both cases everywhere after it
                self.ignore_case = (
                    self.ignore_case or "i" in self.text[self.pos : flags_end].partition("-")[0]
                )
                self.pos = flags_end + 1
        node = self.alternation()
        if self.peek() != ")":
            raise self.fail("missing ')'")
        self.pos += 1
        return node

    def escape(self) -> _Node | None:
        char = self.peek()
        if not char:
            raise self.fail("trailing backslash")
        self.pos += 1
        if char in "Az":
            return None
        if char in "bBZ" or char in "123456789":
            raise self.fail(f"unsupported escape \\{char}")
        return _Chars(self.class_escape(char))

    def class_escape(self, char: str) -> tuple[str, ...]:
        """The characters `\\<char>` stands for (`char` already consumed)."""
        named = {
            "d": _DIGITS,
            "w": _WORD,
            "s": _SPACE,
            "n": ("\n",),
            "t": ("\t",),
            "r": ("\r",),
            "f": ("\f",),
            "v": ("\v",),
            "0": ("\0",),
        }
        if char in named:
            return named[char]
        if char in "DWS":
            excluded = set(named[char.lower()])
            return tuple(c for c in PRINTABLE if c not in excluded)
        if char == "x":
            return (self.hex_char(),)
        if char in "pP":
            raise self.fail("unicode classes are not supported")
        if char.isalnum():
            raise self.fail(f"unsupported escape \\{char}")
        return (char,)

    def hex_char(self) -> str:
        if self.peek() == "{":
            end = self.text.find("}", self.pos)
            if end < 0:
                raise self.fail("unterminated \\x{...} escape")
            digits, self.pos = self.text[self.pos + 1 : end], end + 1
        else:
            digits, self.pos = self.text[self.pos : self.pos + 2], self.pos + 2
        try:
            return chr(int(digits, 16))
        except ValueError:
            raise self.fail("bad \\x escape") from None

    def char_class(self) -> tuple[str, ...]:
        negate = self.peek() == "^"
        if negate:
            self.pos += 1
        chosen: list[str] = []
        first = True
        while True:
            char = self.peek()
            if not char:
                raise self.fail("unterminated character class")
            if char == "]" and not first:
                self.pos += 1
                break
            first = False
            if self.text.startswith("[:", self.pos):
                end = self.text.find(":]", self.pos)
                name = self.text[self.pos + 2 : end] if end > 0 else ""
                if name not in _POSIX:
                    raise self.fail(f"unknown class [:{name}:]")
                chosen.extend(_POSIX[name])
                self.pos = end + 2
                continue
            members = self._class_member()
            if len(members) > 1:
                chosen.extend(members)
                continue
            char = members[0]
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.pos += 1
                ends = self._class_member()
                if len(ends) > 1:
                    raise self.fail("a class escape cannot end a range")
                high = ends[0]
                if ord(high) < ord(char):
                    raise self.fail("reversed range")
                chosen.extend(chr(c) for c in range(ord(char), ord(high) + 1))
            else:
                chosen.append(char)
        if negate:
            excluded = set(chosen) | ({c.swapcase() for c in chosen} if self.ignore_case else set())
            chosen = [c for c in PRINTABLE if c not in excluded]
        if not chosen:
            raise self.fail("empty character class")
        return tuple(dict.fromkeys(chosen))

    def _class_member(self) -> tuple[str, ...]:
        """One literal character or escape inside `[...]`: the characters it stands for."""
        char = self.peek()
        self.pos += 1
        if char != "\\":
            return (char,)
        escaped = self.peek()
        if not escaped:
            raise self.fail("trailing backslash")
        self.pos += 1
        return self.class_escape(escaped)

    def _quantifier_at(self, pos: int) -> tuple[int, int | None, int] | None:
        """`{m}`, `{m,}` or `{m,n}` at `pos`: (low, high, end offset); None if it is a literal brace."""
        end = self.text.find("}", pos)
        if end < 0:
            return None
        low, comma, high = self.text[pos + 1 : end].partition(",")
        if not _is_count(low) or (high and not _is_count(high)):
            return None
        return int(low), (int(high) if high else None) if comma else int(low), end + 1

    def quantified(self, atom: _Node) -> _Node:
        while True:
            char = self.peek()
            if char in ("*", "+", "?"):
                low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
                self.pos += 1
            elif char == "{" and (bounds := self._quantifier_at(self.pos)) is not None:
                low, high, self.pos = bounds
                if high is not None and high < low:
                    raise self.fail("bad repetition bounds")
            else:
                return atom
            if self.peek() in ("?", "+"):
                self.pos += 1  # lazy or possessive: same set of strings
            atom = _Repeat(atom, low, high)


def compile_pattern(pattern: str) -> _Node:
    """Parse `pattern`; raises `UnsupportedPattern` for constructs outside the supported subset."""
    return _Parser(pattern).parse()


def sample(node: _Node, rng: random.Random, extra: int = DEFAULT_EXTRA) -> str:
    """One random string of the language of `node`; repeats add at most `extra` items to their minimum."""
    if isinstance(node, _Chars):
        return rng.choice(node.choices)
    if isinstance(node, _Seq):
        return "".join(sample(item, rng, extra) for item in node.items)
    if isinstance(node, _Alt):
        return sample(rng.choice(node.options), rng, extra)
    # long repeats (`{1,64}`) stay short too, so that samples are readable and fit maxLength
    high = node.low + extra if node.high is None else min(node.high, node.low + extra)
    return "".join(sample(node.node, rng, extra) for _ in range(rng.randint(node.low, high)))
