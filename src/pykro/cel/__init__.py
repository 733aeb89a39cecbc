"""CEL for kro: `${...}` scanning, OpenAPI-typed checking, and evaluation (see docs/cel.md)."""

from pykro.cel.checked import AstInfo, CelType
from pykro.cel.compiler import (
    CelCompiler,
    CheckedExpression,
    Program,
    compile_untyped,
    evaluate,
    make_activation,
    parse_references,
)
from pykro.cel.data import DataPreparer
from pykro.cel.errors import CelError, CompileError, DataPending, EvaluationError, ScanError
from pykro.cel.scanner import (
    Literal,
    Match,
    Standalone,
    Template,
    find_expressions,
    parse_value,
    template_to_cel,
)
from pykro.cel.types import escape_field_name

__all__ = [
    "AstInfo",
    "CelCompiler",
    "CelError",
    "CelType",
    "CheckedExpression",
    "CompileError",
    "DataPending",
    "DataPreparer",
    "EvaluationError",
    "Literal",
    "Match",
    "Program",
    "ScanError",
    "Standalone",
    "Template",
    "compile_untyped",
    "escape_field_name",
    "evaluate",
    "find_expressions",
    "make_activation",
    "parse_references",
    "parse_value",
    "template_to_cel",
]
