"""cel-expr-python 0.1.3 hazards and the guards that keep them away from callers."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from cel_expr_python import cel

from pykro.cel import CelCompiler, EvaluationError, compile_untyped, evaluate


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )


def test_raw_plain_value_of_an_optional_inside_a_map_kills_the_interpreter() -> None:
    """The hazard: without our guard the whole process dies (SIGSEGV)."""
    proc = run_python(
        """
        from cel_expr_python import cel
        from cel_expr_python.ext import ext_optional
        env = cel.NewEnv(variables={"x": cel.Type.DYN}, extensions=[ext_optional.ExtOptional()])
        env.compile("{'a': x.?a}").eval(data={"x": {"a": 1}}).plain_value()
        print("survived")
        """
    )
    assert "survived" not in proc.stdout
    assert proc.returncode != 0


def test_optional_results_are_guarded_by_the_checked_type() -> None:
    """The guard: the same results through `evaluate` are clean errors, and the process lives."""
    proc = run_python(
        """
        from pykro.cel import CelCompiler, EvaluationError, compile_untyped, evaluate
        c = CelCompiler({"x": {}})
        data = {"x": {"a": 1}}
        for text in ["{'a': x.?a}", "[x.?a]", "{'k': [x.?b]}", "dyn({'a': x.?a})"]:
            for program in (c.check(text).program, compile_untyped(text)):
                try:
                    evaluate(program, data)
                except EvaluationError as err:
                    assert "optional value" in str(err), err
                else:
                    raise AssertionError(text)
        print(evaluate(c.check("x.?a").program, data), evaluate(c.check("x.?b").program, data))
        print("survived")
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "None", "survived"]


def test_optional_inside_a_map_in_process() -> None:
    compiler = CelCompiler({"x": {}})
    with pytest.raises(EvaluationError, match="unwrap it with .orValue"):
        evaluate(compiler.check("{'a': x.?a}").program, {"x": {"a": 1}})
    assert evaluate(compiler.check("{'a': x.?a.orValue(0)}").program, {"x": {}}) == {"a": 0}


def test_dyn_parameter_overloads_dispatch_nothing_but_per_kind_overloads_do() -> None:
    """The hazard: an overload declared `f(dyn)` finds no match at run time, not even for maps.

    Workaround used by pykro.cel.library: one overload per concrete kind, with `map(dyn, dyn)`
    and `list(dyn)` for containers. Library functions taking any value work through our env.
    """
    decl = cel.FunctionDecl(
        "probe", [cel.Overload("probe_dyn", cel.Type.STRING, [cel.Type.DYN], impl=lambda v: "seen")]
    )
    env = cel.NewEnv(variables={"x": cel.Type.DYN}, functions=[decl])
    value = env.compile("probe(x)").eval(data={"x": {"a": [1]}})
    assert value.type().name() == "ERROR"
    assert "No matching overloads" in str(value.value())

    compiler = CelCompiler({"x": {}})
    marshal = compiler.check("json.marshal(x)")
    assert evaluate(marshal.program, {"x": {"b": [1, 2], "a": {"c": True}}}) == '{"a":{"c":true},"b":[1,2]}'
    assert evaluate(marshal.program, {"x": [1, "two"]}) == '[1,"two"]'
    merged = compiler.check("x.deepMerge({'b': {'c': 2}})")
    assert evaluate(merged.program, {"x": {"a": 1, "b": {"d": 3}}}) == {"a": 1, "b": {"c": 2, "d": 3}}


@pytest.mark.parametrize(
    ("expression", "result"),
    [
        ("{'a': 1, 'b': 2}.transformMap(k, v, v * 10)", {"a": 10, "b": 20}),
        ("{'a': 1}.transformMapEntry(k, v, {k + '-x': v + 1})", {"a-x": 2}),
        ("x.items.transformMap(k, v, k + '=' + v)", {"p": "p=q"}),
        ("[3, 1, 2].sortBy(i, -i)", [3, 2, 1]),
    ],
)
def test_macros_cel_cpp_lacks_are_wired_through_the_library(expression: str, result: object) -> None:
    """The hazard: cel-cpp has no transformMap/transformMapEntry; the env applies the library's rewrite."""
    compiler = CelCompiler({"x": {}})
    data = {"x": {"items": {"p": "q"}}}
    assert evaluate(compiler.check(expression).program, data) == result
    assert evaluate(compile_untyped(expression), data) == result


def test_bytes_results_are_refused_not_truncated() -> None:
    """cel-expr-python truncates `bytes` at NUL; results never leave as bytes (spec §3.8)."""
    compiler = CelCompiler({})
    with pytest.raises(EvaluationError, match="bytes value cannot be used directly"):
        evaluate(compiler.check("hash.md5('')").program, {})
    assert evaluate(compiler.check("base64.encode(hash.md5(''))").program, {}) == "1B2M2Y8AsgTpgAmY7PhCfg=="
