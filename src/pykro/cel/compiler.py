"""Type-checking CEL compiler and the untyped runtime it compiles programs for.

Build time: `CelCompiler` declares `schema`, resource ids, iterators and `each` with types derived
from OpenAPI schemas (`pykro.cel.types`), type-checks every expression, reads its output type and
references from the checked AST, and compiles its runtime program once.

Run time: every program runs in ONE shared untyped environment (same functions and extensions,
no declared variables, compiled without the checker), so a single activation built from plain
dicts serves every program. `evaluate()` turns the result into JSON-native values and splits
failures into `DataPending` (retry later) and `EvaluationError`.

Cost guard: cel-expr-python exposes no cost estimator, iteration budget or cancellation, and an
evaluation cannot be interrupted from Python. So cost is bounded at compile time: comprehension
ranges whose size is not a literal count as `UNKNOWN_RANGE_SIZE` items and an expression whose
estimated iterations (product over nested comprehensions) exceed `MAX_ESTIMATED_ITERATIONS` is
rejected, as are expressions longer than `MAX_EXPRESSION_LENGTH`.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from cel_expr_python import cel

from pykro.cel import checked, library
from pykro.cel.checked import AstInfo, CelType
from pykro.cel.data import Selection, field_selection, plain, select_fields
from pykro.cel.errors import CompileError, DataPending, EvaluationError
from pykro.cel.types import SchemaTypes, TypeNode, build_types
from pykro.cel.values import ConversionError, convert, is_plain

MAX_EXPRESSION_LENGTH = 16_384
UNKNOWN_RANGE_SIZE = 100
MAX_ESTIMATED_ITERATIONS = 1_000_000

# Runtime error texts that mean "the data is not there yet" (spec §3.8), as cel-go words them
# and as cel-cpp does.
_PENDING_MARKERS = (
    "no such key",
    "no such field",
    "no such attribute",
    "index out of bounds",
    "key not found in map",
    "index error",
    "no value with name",
)

VariableDecl = Mapping[str, Any] | CelType
"""A variable is declared by an OpenAPI schema (an `array` root declares a list; `{}` is dyn)
or by a `CelType` taken from a previous check (e.g. an iterator's element type)."""


# --- environment ingredients ------------------------------------------------------------------


def new_env(
    pool: Any = None, variables: Mapping[str, Any] | None = None, *, enable_omit: bool = False
) -> Any:
    """A cel `Env` with kro's functions and extensions (shared by typed and untyped envs)."""
    return library.new_env(dict(variables or {}), enable_omit=enable_omit, descriptor_pool=pool)


def prepare_text(expression: str) -> str:
    """The text handed to cel: the library rewrites macros cel-cpp lacks (`transformMap`...)."""
    return library.rewrite_macros(expression)


_runtime_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def runtime_env() -> Any:
    """The one untyped environment every runtime program is compiled in.

    `omit()` is declared here: whether an expression may use it is decided when it is checked.
    """
    return new_env(enable_omit=True)


def make_activation(data: Mapping[str, Any]) -> Any:
    """A reusable activation for `evaluate` (faster than passing the mapping every time).

    Any Mapping/tuple inside `data` is converted to dict/list first (cel accepts only those).
    """
    try:
        prepared = plain(data)
    except (ValueError, RecursionError) as exc:
        raise EvaluationError("", f"activation data cannot be used: {exc}") from None
    return runtime_env().Activation(data=prepared)


# --- type conversion --------------------------------------------------------------------------

_PRIMS: dict[str, Any] = {
    "string": cel.Type.STRING,
    "int": cel.Type.INT,
    "int64": cel.Type.INT,
    "uint": cel.Type.UINT,
    "double": cel.Type.DOUBLE,
    "bool": cel.Type.BOOL,
    "bytes": cel.Type.BYTES,
    "timestamp": cel.Type.TIMESTAMP,
    "duration": cel.Type.DURATION,
    "null_type": cel.Type.NULL,
    "dyn": cel.Type.DYN,
}


def _cel_from_tree(tree: TypeNode) -> Any:
    kind = tree[0]
    if kind == "message":
        return cel.Type(tree[1])
    if kind == "list":
        return cel.Type.List(_cel_from_tree(tree[1]))
    if kind == "map":
        return cel.Type.Map(cel.Type.STRING, _cel_from_tree(tree[1]))
    if kind == "prim":
        return _PRIMS[tree[1]]
    return cel.Type.DYN


def _cel_from_type(t: CelType) -> Any:
    if t.kind == "message":
        return cel.Type(t.name)
    if t.kind == "list" and t.params:
        return cel.Type.List(_cel_from_type(t.params[0]))
    if t.kind == "map" and len(t.params) == 2:
        return cel.Type.Map(_cel_from_type(t.params[0]), _cel_from_type(t.params[1]))
    if t.kind == "optional_type" and t.params:
        return cel.Type.AbstractType("optional_type", [_cel_from_type(t.params[0])])
    return _PRIMS.get(t.kind, cel.Type.DYN)


_CEL_GO_WORDING = (
    # cel-cpp's wording → cel-go's, which kro users (and spec §3.6) know.
    (
        re.compile(r"expression of type '([^']*)' cannot be the operand of a select operation"),
        r"type '\1' does not support field selection",
    ),
)


def _clean(message: str) -> str:
    """cel-cpp's status text without the status-code prefix and `<input>` pointer lines."""
    text = message.strip()
    for prefix in ("INVALID_ARGUMENT: ", "UNKNOWN: ", "NOT_FOUND: ", "OUT_OF_RANGE: "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    lines = [ln for ln in text.splitlines() if not ln.startswith(" |")]
    cleaned = "; ".join(
        ln.replace("ERROR: <input>:", "").split(" [INVALID_ARGUMENT]")[0].strip()
        for ln in lines
        if ln.strip()
    )
    cleaned = cleaned or text
    for pattern, replacement in _CEL_GO_WORDING:
        cleaned = pattern.sub(replacement, cleaned)
    return cleaned


# --- programs ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Program:
    """A runtime program: compiled once, evaluated many times."""

    expression: str
    source: str
    output_type: CelType
    _compiled: Any = field(repr=False)
    _plain: bool = field(repr=False)
    # Per variable the program only selects fields of, those fields (see `data.field_selection`).
    _selects: Mapping[str, Selection] = field(default_factory=dict, repr=False)

    def evaluate(self, activation: Mapping[str, Any] | Any) -> Any:
        return evaluate(self, activation)


def evaluate(program: Program, activation: Mapping[str, Any] | Any) -> Any:
    """Run `program` on plain data (a mapping, or an activation from `make_activation`).

    Returns JSON-native Python values; raises `DataPending` or `EvaluationError`.
    """
    if program._selects and isinstance(activation, Mapping):
        # The binding converts all it is given into CEL values: give it only what the program reads
        # (an object's managedFields alone are often most of it).
        selects = program._selects
        activation = {k: select_fields(v, selects[k]) if k in selects else v for k, v in activation.items()}
    try:
        if isinstance(activation, Mapping):
            value = program._compiled.eval(data=activation)
        else:
            value = program._compiled.eval(activation)
    except Exception as exc:  # e.g. the iteration budget: the binding raises instead of returning an error
        raise EvaluationError(program.source, _clean(str(exc))) from None
    failed = value.type().name() == "ERROR"
    if failed and isinstance(activation, Mapping):
        value = _retry_with_plain_data(program, activation, value)
        failed = value.type().name() == "ERROR"
    if program._plain:
        if not failed:
            return value.plain_value()
        _raise_error(program, str(value.value()))
    try:
        return convert(value)
    except ConversionError as exc:
        _raise_error(program, str(exc))


def _retry_with_plain_data(program: Program, activation: Mapping[str, Any], value: Any) -> Any:
    """cel refuses Mapping subclasses and tuples (e.g. frozen RGD data): convert and run once more."""
    try:
        message = str(value.value())
    except (TypeError, SystemError):
        return value
    if "Non-CEL value type" not in message:
        return value
    try:
        prepared = plain(activation)
        return program._compiled.eval(data=prepared)
    except Exception as exc:
        raise EvaluationError(program.source, _clean(str(exc))) from None


def _raise_error(program: Program, message: str) -> Any:
    cleaned = _clean(message)
    lowered = cleaned.lower()
    if any(marker in lowered for marker in _PENDING_MARKERS):
        raise DataPending(program.source, cleaned)
    raise EvaluationError(program.source, cleaned)


_programs: dict[tuple[str, bool], Any] = {}
_PROGRAM_CACHE_SIZE = 8192


def _runtime_program(text: str, unwrap_optional: bool, source: str) -> Any:
    key = (text, unwrap_optional)
    compiled = _programs.get(key)
    if compiled is None:
        with _runtime_lock:
            try:
                prepared = prepare_text(text)
                body = f"({prepared}).orValue(null)" if unwrap_optional else prepared
                compiled = runtime_env().compile(body, disable_check=True)
            except Exception as exc:
                raise CompileError(source, _clean(str(exc))) from None
            if len(_programs) >= _PROGRAM_CACHE_SIZE:
                _programs.pop(next(iter(_programs)))
            _programs[key] = compiled
    return compiled


def compile_untyped(expression: str, *, source: str | None = None) -> Program:
    """A runtime program without type-checking (output type dyn), e.g. for values built at run time."""
    _check_size(expression, source or expression)
    compiled = _runtime_program(expression, False, source or expression)
    return Program(expression, source or expression, checked.DYN_TYPE, compiled, False)


# --- checked expressions ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CheckedExpression:
    """The result of type-checking one expression."""

    expression: str  # the CEL text that was checked
    source: str  # what the user wrote (a `${...}` template shows as written)
    output_type: CelType
    variables: tuple[str, ...]  # declared variables referenced, first-seen order
    references: AstInfo  # free identifiers, called functions, field paths
    program: Program

    @property
    def type_name(self) -> str:
        return str(self.output_type)


def _check_size(expression: str, source: str) -> None:
    """Reject what cel should never see: oversized text, and text that is not UTF-8 (lone surrogates)."""
    try:
        expression.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CompileError(source, f"expression is not valid UTF-8 text (at character {exc.start})") from None
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise CompileError(
            source, f"expression is {len(expression)} characters long; the limit is {MAX_EXPRESSION_LENGTH}"
        )


class CelCompiler:
    """Type-checks expressions against variables declared by OpenAPI schemas or CEL types."""

    def __init__(self, variables: Mapping[str, VariableDecl], *, enable_omit: bool = False) -> None:
        schemas = {k: v for k, v in variables.items() if not isinstance(v, CelType)}
        self.types: SchemaTypes = build_types(schemas)
        declared: dict[str, Any] = {}
        for name, decl in variables.items():
            if isinstance(decl, CelType):
                declared[name] = _cel_from_type(decl)
            else:
                declared[name] = _cel_from_tree(self.types.variables[name].tree)
        self.variable_names = frozenset(variables)
        self._env = new_env(self.types.pool, declared, enable_omit=enable_omit)
        self._cache: dict[str, CheckedExpression] = {}
        self._verify_messages()

    def _verify_messages(self) -> None:
        # cel-cpp only logs (to stderr) a descriptor it cannot load and then treats the type as
        # unknown; fail loudly instead of type-checking against nothing.
        for name, var in self.types.variables.items():
            tree = var.tree
            if tree[0] == "message" or (tree[0] in ("list", "map") and tree[1][0] == "message"):
                try:
                    self._env.compile(name)
                except Exception as exc:
                    raise RuntimeError(f"schema of {name!r} produced an unusable CEL type: {exc}") from None

    def check(self, expression: str, *, source: str | None = None) -> CheckedExpression:
        """Parse and type-check `expression`; raises `CompileError` with cel's message."""
        src = expression if source is None else source
        hit = self._cache.get(expression)
        if hit is not None:
            return hit if hit.source == src else _with_source(hit, src)
        _check_size(expression, src)
        try:
            compiled = self._env.compile(prepare_text(expression))
            serialized = compiled.serialize()
        except UnicodeError:
            raise CompileError(src, "expression is not valid UTF-8 text") from None
        except Exception as exc:
            raise CompileError(src, _clean(str(exc))) from None
        info, out = checked.checked_info(serialized)
        _check_cost(serialized, src)
        unwrap = out.kind == "optional_type"
        shown = out.params[0] if unwrap and out.params else out
        program = Program(
            expression,
            src,
            shown,
            _runtime_program(expression, unwrap, src),
            is_plain(shown),
            field_selection(info.paths),
        )
        result = CheckedExpression(
            expression=expression,
            source=src,
            output_type=out,
            variables=tuple(i for i in info.identifiers if i in self.variable_names),
            references=info,
            program=program,
        )
        self._cache[expression] = result
        return result


def _with_source(hit: CheckedExpression, source: str) -> CheckedExpression:
    p = hit.program
    program = Program(p.expression, source, p.output_type, p._compiled, p._plain, p._selects)
    return CheckedExpression(hit.expression, source, hit.output_type, hit.variables, hit.references, program)


def parse_ast(expression: str) -> Any:
    """The parsed (unchecked) AST of an expression, a `cel.expr.Expr` protobuf message, macros expanded."""
    _check_size(expression, expression)
    try:
        with _runtime_lock:
            parsed = runtime_env().compile(prepare_text(expression), disable_check=True)
        return checked.parsed_expr(parsed.serialize())
    except UnicodeError:
        raise CompileError(expression, "expression is not valid UTF-8 text") from None
    except Exception as exc:
        raise CompileError(expression, _clean(str(exc))) from None


def parse_references(expression: str, *, namespaced_functions: Collection[str] = ()) -> AstInfo:
    """Free identifiers, called functions and field paths of an expression, without type-checking.

    For dependency extraction and `references unknown identifiers` errors (spec §4.3). A member
    call `a.b.f(...)` lists `a.b.f` among the functions; when that dotted name is in
    `namespaced_functions` it is a function call and `a` is not an identifier reference.
    """
    _check_size(expression, expression)
    try:
        with _runtime_lock:
            parsed = runtime_env().compile(prepare_text(expression), disable_check=True)
        return checked.parsed_info(parsed.serialize(), frozenset(namespaced_functions))
    except UnicodeError:
        raise CompileError(expression, "expression is not valid UTF-8 text") from None
    except Exception as exc:
        raise CompileError(expression, _clean(str(exc))) from None


# --- cost estimate ----------------------------------------------------------------------------


def _check_cost(serialized: bytes, source: str) -> None:
    estimate = checked.estimate_iterations(serialized, UNKNOWN_RANGE_SIZE)
    if estimate > MAX_ESTIMATED_ITERATIONS:
        raise CompileError(
            source,
            f"estimated cost exceeds the budget: nested comprehensions may run {estimate} iterations "
            f"(limit {MAX_ESTIMATED_ITERATIONS}; lists of unknown size count as {UNKNOWN_RANGE_SIZE})",
        )
