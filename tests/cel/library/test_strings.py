"""cel-go ext.Strings functions (documentation examples)."""

from __future__ import annotations

import pytest
from cel_expr_python import cel

from .celenv import error, evaluate


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("'hello'.charAt(4)", "o"),
        ("'hello'.charAt(5)", ""),
        ("'hello mellow'.indexOf('')", 0),
        ("'hello mellow'.indexOf('ello')", 1),
        ("'hello mellow'.indexOf('jello')", -1),
        ("'hello mellow'.indexOf('', 2)", 2),
        ("'hello mellow'.indexOf('ello', 2)", 7),
        ("'hello mellow'.lastIndexOf('')", 12),
        ("'hello mellow'.lastIndexOf('ello')", 7),
        ("'hello mellow'.lastIndexOf('ello', 6)", 1),
        ("'TacoCat'.lowerAscii()", "tacocat"),
        ("'TacoCÆt Xii'.lowerAscii()", "tacocÆt xii"),
        ("'TacoCat'.upperAscii()", "TACOCAT"),
        ("'hello hello'.replace('he', 'we')", "wello wello"),
        ("'hello hello'.replace('he', 'we', -1)", "wello wello"),
        ("'hello hello'.replace('he', 'we', 1)", "wello hello"),
        ("'hello hello'.replace('he', 'we', 0)", "hello hello"),
        ("'hello hello hello'.split(' ')", ["hello", "hello", "hello"]),
        ("'hello hello hello'.split(' ', 0)", []),
        ("'hello hello hello'.split(' ', 1)", ["hello hello hello"]),
        ("'hello hello hello'.split(' ', 2)", ["hello", "hello hello"]),
        ("'tacocat'.substring(4)", "cat"),
        ("'tacocat'.substring(0, 4)", "taco"),
        ("'  \\ttrim\\n    '.trim()", "trim"),
        ("['hello', 'mellow'].join()", "hellomellow"),
        ("['hello', 'mellow'].join(' ')", "hello mellow"),
        ("[].join('/')", ""),
        ("'gums'.reverse()", "smug"),
        ("'John Smith'.reverse()", "htimS nhoJ"),
        ("strings.quote('single-quote with \"double quote\"')", '"single-quote with \\"double quote\\""'),
        ("strings.quote('two escape sequences \\a\\n')", '"two escape sequences \\a\\n"'),
        ("'%d apples'.format([5])", "5 apples"),
        (
            "'this is a string: %s\\nand an integer: %d'.format(['str', 42])",
            "this is a string: str\nand an integer: 42",
        ),
        ("'%.3f'.format([1.0])", "1.000"),
        ("'%x %X %o %b'.format([255, 255, 8, 5])", "ff FF 10 101"),
        ("'%e'.format([1234.5])", "1.234500e+03"),
        ("'%s'.format([true])", "true"),
        ("'%%'.format([])", "%"),
    ],
)
def test_strings_extension(expr: str, expected: object) -> None:
    assert evaluate(expr) == expected


def test_strings_on_typed_variables() -> None:
    name = (cel.Type.STRING, "a.b.c.d.example.com")
    assert evaluate("name.split('.')[0]", name=name) == "a"
    assert evaluate("name.split('.').slice(0, 3).join('.')", name=name) == "a.b.c"
    assert evaluate("'%s-%d'.format([name, size(name)])", name=name) == "a.b.c.d.example.com-19"


def test_strings_errors() -> None:
    assert "charAt" in error("'hello'.charAt(6)")
    assert error("'tacocat'.substring(40)")
    assert "number" in error("'%d'.format(['a'])")
