"""Test helper: evaluate an expression in a typed and an untyped environment with kro's libraries.

pykro type-checks with declared variable types and evaluates at run time in an untyped (`dyn`)
environment, so every expression is run in both and must agree.
"""

from __future__ import annotations

from typing import Any

from cel_expr_python import cel

from pykro.cel.library import env_config, extensions, function_decls, rewrite_macros, to_cel_value

Var = tuple[cel.Type, Any]


class EvalError(Exception):
    """The expression evaluated to a CEL error (the message is the error text)."""


def _env(variables: dict[str, cel.Type], enable_omit: bool) -> cel.Env:
    return cel.NewEnv(
        config=env_config(),
        variables=variables,
        extensions=extensions(),
        functions=function_decls(enable_omit=enable_omit),
    )


def _run(env: cel.Env, expr: str, data: dict[str, Any]) -> Any:
    value = env.compile(rewrite_macros(expr)).eval(data=data)
    if value.type() == cel.Type.ERROR:
        raise EvalError(str(value.value()))
    return value.plain_value()


def _both(expr: str, variables: dict[str, Var], enable_omit: bool) -> tuple[Any, Any]:
    data = {name: value for name, (_, value) in variables.items()}
    typed = _env({name: t for name, (t, _) in variables.items()}, enable_omit)
    untyped = _env({name: cel.Type.DYN for name in variables}, enable_omit)
    results = []
    # Untyped variables are `dyn`: their data must go through to_cel_value (timestamps, bytes).
    for env, env_data in ((typed, data), (untyped, to_cel_value(data))):
        try:
            results.append(("ok", _run(env, expr, env_data)))
        except EvalError as err:
            results.append(("error", str(err)))
    return results[0], results[1]


def evaluate(expr: str, *, enable_omit: bool = False, **variables: Var) -> Any:
    """The value of `expr`, asserting the typed and untyped environments agree."""
    typed, untyped = _both(expr, variables, enable_omit)
    assert typed == untyped, f"typed {typed} != untyped {untyped} for {expr}"
    kind, value = typed
    if kind == "error":
        raise EvalError(value)
    return value


def error(expr: str, **variables: Var) -> str:
    """The evaluation error message of `expr` (in both environments)."""
    typed, untyped = _both(expr, variables, False)
    assert typed[0] == "error" and untyped[0] == "error", f"expected errors, got {typed} / {untyped}"
    assert typed == untyped
    return str(typed[1])


def compile_error(expr: str, **types: cel.Type) -> str:
    """The type-check error of `expr` in the typed environment."""
    env = _env(dict(types), False)
    try:
        env.compile(rewrite_macros(expr))
    except RuntimeError as err:
        return str(err)
    raise AssertionError(f"{expr} compiled")
