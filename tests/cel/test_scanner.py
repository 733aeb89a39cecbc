"""The `${}` scanner against kro's vectors (spec §3.1–3.2)."""

from __future__ import annotations

import pytest

from pykro.cel import Literal, Match, ScanError, Standalone, Template, find_expressions, parse_value
from pykro.cel.scanner import NESTED_ERROR, go_quote, template_to_cel


def exprs(text: str) -> list[str]:
    return [m.expression for m in find_expressions(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${resource.field}", ["resource.field"]),
        ("prefix-${resource.field}", ["resource.field"]),
        ("${a}-middle-${b}", ["a", "b"]),
        ("${resource.map['key']}", ["resource.map['key']"]),
        ("${resource.list[0]}", ["resource.list[0]"]),
        (
            "${resource.field == 'value' && resource.number > 5}",
            ["resource.field == 'value' && resource.number > 5"],
        ),
        ("plain string", []),
        ("", []),
        ("${incomplete", []),
        ('${resource.field == "escaped\\"quote"}', ['resource.field == "escaped\\"quote"']),
        ("  ${a}  ${b}  ", ["a", "b"]),
        ("${a +\n b}", ["a +\n b"]),
        ('${outer("${inner}")}', ['outer("${inner}")']),
        ('${"text with }} inside"}', ['"text with }} inside"']),
        ('${"text with { inside"}', ['"text with { inside"']),
        (
            "${true ? {'key': 'value'} : {'key': 'value2'}}",
            ["true ? {'key': 'value'} : {'key': 'value2'}"],
        ),
        ("${complete} ${complete2} ${incomplete", ["complete", "complete2"]),
        ("${condition ? value : {}}", ["condition ? value : {}"]),
        (
            "${has(schema.annotations) && includeAnnotations ? schema.annotations : {}}",
            ["has(schema.annotations) && includeAnnotations ? schema.annotations : {}"],
        ),
        ('${"${VAR}"}', ['"${VAR}"']),
    ],
)
def test_extraction_vectors(text: str, expected: list[str]) -> None:
    assert exprs(text) == expected


@pytest.mark.parametrize(
    "text",
    ["${outer(${inner})} ${outer}", "${incomplete1 ${incomplete2", "${incomplete ${complete}"],
)
def test_nested_expressions_are_rejected(text: str) -> None:
    with pytest.raises(ScanError) as err:
        find_expressions(text)
    assert NESTED_ERROR in str(err.value)
    assert err.value.expression == text


def test_match_offsets() -> None:
    assert find_expressions("${resource.field}") == [Match(0, 17, "resource.field")]
    assert find_expressions("prefix-${resource.field}")[0].start == 7


def test_single_quotes_do_not_protect_braces() -> None:
    # kro only knows double-quoted strings: the `}` inside single quotes closes the expression.
    assert exprs("${'a}b'}") == ["'a"]


def test_standalone_and_template_classification() -> None:
    assert parse_value("${a.b}") == Standalone("${a.b}", "a.b")
    assert parse_value("plain") == Literal("plain")
    assert parse_value("${incomplete") == Literal("${incomplete")
    assert isinstance(parse_value(" ${a}"), Template)
    assert isinstance(parse_value("${a}\n"), Template)  # a trailing newline breaks standalone-ness
    assert isinstance(parse_value("${a}${b}"), Template)


@pytest.mark.parametrize(
    ("text", "cel"),
    [
        ("prefix-${expr}", '"prefix-" + (expr)'),
        ("${expr}-suffix", '(expr) + "-suffix"'),
        ("prefix-${expr}-suffix", '"prefix-" + (expr) + "-suffix"'),
        ("a-${e1}-b-${e2}-c", '"a-" + (e1) + "-b-" + (e2) + "-c"'),
        ("${e1}${e2}", "(e1) + (e2)"),
        ('say "hello" ${expr}', '"say \\"hello\\" " + (expr)'),
    ],
)
def test_template_to_cel_vectors(text: str, cel: str) -> None:
    value = parse_value(text)
    assert isinstance(value, Template)
    assert value.to_cel() == cel
    assert template_to_cel(value.parts) == cel


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("tab\there", '"tab\\there"'),
        ("back\\slash", '"back\\\\slash"'),
        ("nul\x00", '"nul\\x00"'),
        ("del\x7f", '"del\\x7f"'),
        ("é ü 日本", '"é ü 日本"'),
        ("\u2028", '"\\u2028"'),
        ("\U000e0001", '"\\U000e0001"'),
    ],
)
def test_go_quote_matches_strconv_quote(text: str, quoted: str) -> None:
    assert go_quote(text) == quoted
