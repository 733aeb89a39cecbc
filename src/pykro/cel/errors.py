"""Errors raised by the CEL layer.

Compile-time problems are user-input errors (`PykroError`); evaluation outcomes are split into
`DataPending` (the data is not there yet: retry later) and `EvaluationError` (a hard error).
"""

from __future__ import annotations

from pykro.errors import PykroError

_SHOWN = 200


def shown(expression: str) -> str:
    """The expression as quoted in messages: repr (escapes control characters), long ones cut."""
    if len(expression) > _SHOWN:
        return repr(expression[:_SHOWN]) + f"... ({len(expression)} characters)"
    return repr(expression)


class CelError(PykroError):
    """Base class of every CEL error; `expression` is the text the user wrote."""

    def __init__(self, expression: str, message: str) -> None:
        super().__init__(message)
        self.expression = expression
        self.detail = message


class ScanError(CelError):
    """A `${...}` template could not be split into expressions."""


class CompileError(CelError):
    """An expression failed to parse or type-check."""

    def __init__(self, expression: str, message: str) -> None:
        super().__init__(expression, f"failed to compile expression {shown(expression)}: {message}")
        self.detail = message


class DataPending(CelError):
    """The expression reads data that does not exist yet (missing key/field/variable, index out of range)."""

    def __init__(self, expression: str, message: str) -> None:
        super().__init__(expression, f"data pending for expression {shown(expression)}: {message}")
        self.detail = message


class EvaluationError(CelError):
    """The expression failed for a reason that waiting will not fix."""

    def __init__(self, expression: str, message: str) -> None:
        super().__init__(expression, f"failed to evaluate expression {shown(expression)}: {message}")
        self.detail = message
