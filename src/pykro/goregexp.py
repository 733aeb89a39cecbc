"""Regular expressions in Go's dialect, as Kubernetes evaluates them.

CRD `pattern`s, SimpleSchema `pattern=` markers and CEL `find`/`findAll` are Go regexps on a real
cluster. RE2 implements that dialect (POSIX classes such as `[[:alpha:]]`, no lookarounds) and
matches in linear time, so a hostile pattern cannot stall the controller or the API server.
"""

from __future__ import annotations

import functools
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a bad pattern is reported to the caller, not logged to stderr


class PatternError(ValueError):
    """The pattern is not a valid Go regexp; the message is RE2's reason."""


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Any:
    try:
        return re2.compile(pattern, options=_OPTIONS)
    except re2.error as err:
        detail = err.args[0].decode() if err.args and isinstance(err.args[0], bytes) else str(err)
        raise PatternError(f"error parsing regexp: {detail}") from None
