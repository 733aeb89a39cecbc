"""Evaluate bundled cel-cpp extension functions from inside our own Python overloads.

cel-cpp's strings and lists extensions match cel-go's semantics (format verbs, sort order, error
texts), but they cannot share an environment with our functions: cel-expr-python rejects a
function name declared twice, and Kubernetes needs extra `indexOf`/`lastIndexOf`/`reverse`
overloads on lists, plus bounded `lists.range`. So the public environment declares those names
itself, and each overload forwards to a private environment that has the bundled extensions.
"""

from __future__ import annotations

import threading
from typing import Any

from cel_expr_python import cel
from cel_expr_python.ext.ext_strings import ExtStrings

from pykro.cel.library._base import LibraryError, to_cel

_VARIABLES = ("s", "a", "b", "c", "l")
_lock = threading.Lock()
_env: cel.Env | None = None
_programs: dict[str, cel.Expression] = {}


def _program(expr: str) -> cel.Expression:
    global _env
    with _lock:
        program = _programs.get(expr)
        if program is None:
            if _env is None:
                _env = cel.NewEnv(
                    config=cel.NewEnvConfigFromYaml("extensions:\n  - name: lists\n"),
                    variables={name: cel.Type.DYN for name in _VARIABLES},
                    extensions=[ExtStrings()],
                )
            program = _env.compile(expr)
            _programs[expr] = program
        return program


def evaluate(expr: str, **data: Any) -> Any:
    """Evaluate `expr` (over variables s, a, b, c, l) in the private environment.

    The arguments are values a CEL call handed to Python (timestamps arrive as `datetime`, e.g. an
    object's `creationTimestamp`); `to_cel` turns them back into what the evaluator accepts, so
    `sortBy`, `distinct` and friends work on lists of whole Kubernetes objects."""
    value = _program(expr).eval(data={name: to_cel(item) for name, item in data.items()})
    if value.type() == cel.Type.ERROR:
        message = str(value.value())
        # cel-cpp prefixes status codes ("INVALID_ARGUMENT: "); the CEL error text follows.
        code, sep, rest = message.partition(": ")
        if sep and code.replace("_", "").isalpha() and code.isupper():
            message = rest
        raise LibraryError(message)
    return value.plain_value()
