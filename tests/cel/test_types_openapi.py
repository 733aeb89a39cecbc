"""Output types back to OpenAPI (status schema inference, spec §4.5)."""

from __future__ import annotations

import pytest

from pykro.cel import CelCompiler
from pykro.cel.openapi import openapi_schema

SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "my-port": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
        },
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    },
}


@pytest.fixture(scope="module")
def compiler() -> CelCompiler:
    return CelCompiler({"r": SCHEMA})


@pytest.mark.parametrize(
    ("expr", "schema"),
    [
        ("r.spec.name", {"type": "string"}),
        ("r.spec.my__dash__port", {"type": "integer"}),
        ("r.spec.name == 'a'", {"type": "boolean"}),
        ("1.5", {"type": "number"}),
        ("1u", {"type": "integer"}),
        ("b'x'", {"type": "string", "format": "byte"}),
        ("timestamp('2024-01-01T00:00:00Z')", {"type": "string", "format": "date-time"}),
        ("r.free", {"x-kubernetes-preserve-unknown-fields": True}),
        ("r.spec.tags", {"type": "array", "items": {"type": "string"}}),
        ("{'a': 1}", {"type": "object", "additionalProperties": {"type": "integer"}}),
        (
            "r.spec",
            {
                "type": "object",
                "properties": {
                    "my-port": {"type": "integer"},
                    "name": {"type": "string"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
            },
        ),
        (
            "r.spec.?name",
            {
                "x-kubernetes-preserve-unknown-fields": True,
                "description": "unknown CEL type: optional_type(string)",
            },
        ),
    ],
)
def test_output_type_to_openapi(compiler: CelCompiler, expr: str, schema: dict[str, object]) -> None:
    assert openapi_schema(compiler.check(expr).output_type, compiler.types.messages) == schema
