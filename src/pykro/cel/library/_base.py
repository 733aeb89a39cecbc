"""Shared plumbing for the function libraries: overload records, types, limits, errors.

cel-expr-python quirks this module works around (verified against 0.1.3):
- an overload parameter declared `dyn` dispatches *nothing* at run time, so "any value"
  parameters are expanded into one overload per concrete kind (`ANY`);
- declared type parameters (`list(T)`) are not supported, so generic results are `dyn`/`list(dyn)`;
- a function name can be declared only once per environment, so overloads from every
  module are grouped by name before building `cel.FunctionDecl`s.
A Python exception raised by an implementation becomes a CEL error value carrying its message.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cel_expr_python import cel
from google.protobuf import duration_pb2, timestamp_pb2

T = cel.Type
DYN_LIST: cel.Type = T.List(T.DYN)
DYN_MAP: cel.Type = T.Map(T.DYN, T.DYN)
STRING_LIST: cel.Type = T.List(T.STRING)

# Upper bounds on work a single call may do for hostile input. Kubernetes objects are at most
# ~1.5 MiB, so nothing legitimate comes near these.
MAX_STRING_BYTES = 4 * 1024 * 1024
MAX_LIST_ELEMENTS = 100_000
MAX_QUADRATIC_ELEMENTS = 10_000  # for operations whose cost grows with n² (distinct)
MAX_FORMAT_PRECISION = 1_000

# Placeholder in a parameter list meaning "one overload per concrete value kind".
ANY: cel.Type = T.DYN
VALUE_KINDS: dict[str, cel.Type] = {
    "int": T.INT,
    "uint": T.UINT,
    "double": T.DOUBLE,
    "string": T.STRING,
    "bool": T.BOOL,
    "bytes": T.BYTES,
    "null": T.NULL,
    "timestamp": T.TIMESTAMP,
    "duration": T.DURATION,
    "list": DYN_LIST,
    "map": DYN_MAP,
}


class LibraryError(ValueError):
    """An evaluation error raised by a library function; its message reaches the CEL error value."""


Impl = Callable[..., Any]


@dataclass(frozen=True)
class Fn:
    """One overload of one CEL function, before grouping into a `cel.FunctionDecl`."""

    name: str
    overload_id: str
    result: cel.Type
    params: tuple[cel.Type, ...]
    member: bool
    impl: Impl

    def overload(self) -> cel.Overload:
        return cel.Overload(self.overload_id, self.result, list(self.params), self.member, self.impl)


def guarded(name: str, impl: Impl) -> Impl:
    """Turn interpreter-level failures on hostile input into clean CEL errors."""

    @functools.wraps(impl)
    def wrapper(*args: Any) -> Any:
        try:
            return to_cel(impl(*args))
        except LibraryError:
            raise
        except RecursionError:
            raise LibraryError(f"{name}: value is nested too deeply") from None
        except MemoryError:
            raise LibraryError(f"{name}: result too large") from None

    return wrapper


def validator(parse: Callable[..., object]) -> Callable[..., bool]:
    """An `isX(text, ...)` implementation: whether `parse` accepts the arguments (a LibraryError means no)."""

    def accepts(*args: Any) -> bool:
        try:
            parse(*args)
        except LibraryError:
            return False
        return True

    return accepts


def to_cel_value(value: Any) -> Any:
    """`to_cel` for callers outside the library: too deeply nested data is a `LibraryError`."""
    try:
        return to_cel(value)
    except RecursionError:
        raise LibraryError("value is nested too deeply") from None


def to_cel(value: Any) -> Any:
    """Make a Python result acceptable to cel-expr-python wherever it is declared `dyn`.

    `datetime`/`timedelta` are rejected in a `dyn` slot ("Non-CEL value type") while the protobuf
    well-known types become CEL timestamps/durations; a returned `bytes` is truncated at its first
    NUL byte while `bytearray` is intact.
    """
    if isinstance(value, str | bool | int | float) or value is None:
        return value
    if isinstance(value, bytes):
        return bytearray(value)
    if isinstance(value, datetime.datetime):
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(value)
        return stamp
    if isinstance(value, datetime.timedelta):
        duration = duration_pb2.Duration()
        duration.FromTimedelta(value)
        return duration
    if isinstance(value, list):
        return [to_cel(item) for item in value]
    if isinstance(value, dict):
        return {to_cel(key): to_cel(item) for key, item in value.items()}
    return value


def fn(
    name: str,
    overload_id: str,
    result: cel.Type,
    params: Sequence[cel.Type],
    impl: Impl,
    *,
    member: bool = False,
) -> list[Fn]:
    """Declare an overload; every `ANY` parameter is expanded into one overload per value kind."""
    expanded: list[tuple[str, tuple[cel.Type, ...]]] = [(overload_id, ())]
    for param in params:
        if param is ANY:
            expanded = [
                (f"{oid}_{kind}", ps + (t,)) for oid, ps in expanded for kind, t in VALUE_KINDS.items()
            ]
        else:
            expanded = [(oid, ps + (param,)) for oid, ps in expanded]
    safe = guarded(name, impl)
    return [Fn(name, oid, result, ps, member, safe) for oid, ps in expanded]


def member(name: str, overload_id: str, result: cel.Type, params: Sequence[cel.Type], impl: Impl) -> list[Fn]:
    """Declare a receiver-style overload (`params[0]` is the receiver)."""
    return fn(name, overload_id, result, params, impl, member=True)


def check_string_size(name: str, size: int) -> None:
    if size > MAX_STRING_BYTES:
        raise LibraryError(f"{name}: result of {size} bytes exceeds the limit of {MAX_STRING_BYTES} bytes")


def check_list_size(name: str, size: int, limit: int = MAX_LIST_ELEMENTS) -> None:
    if size > limit:
        raise LibraryError(f"{name}: list of {size} elements exceeds the limit of {limit} elements")


def cel_equal(a: Any, b: Any) -> bool:
    """CEL heterogeneous equality on converted values (bool is never equal to a number)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, bytes | bytearray) and isinstance(b, bytes | bytearray):
        return bytes(a) == bytes(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(cel_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        if len(a) != len(b):
            return False
        for key, value in a.items():
            match = [k for k in b if cel_equal(k, key)]
            if not match or not cel_equal(b[match[0]], value):
                return False
        return True
    if type(a) is not type(b):
        return False
    return bool(a == b)
