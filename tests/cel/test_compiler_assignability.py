"""Expression output types against target field schemas (spec §3.6)."""

from __future__ import annotations

import pytest

from pykro.cel import CelCompiler
from pykro.cel.assignability import check_field, expected_schema_at, parse_field_path
from pykro.schema.gvk import GVK
from pykro.schema.registry import SchemaRegistry


@pytest.fixture(scope="module")
def deployment_schema() -> dict[str, object]:
    return dict(SchemaRegistry().resolve(GVK("apps", "v1", "Deployment")).schema)


@pytest.fixture(scope="module")
def compiler(deployment_schema: dict[str, object]) -> CelCompiler:
    spec = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "replicas": {"type": "integer"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "extra": {
                "type": "object",
                "properties": {"foo": {"type": "string"}, "name": {"type": "string"}},
            },
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        },
    }
    return CelCompiler(
        {"schema": {"type": "object", "properties": {"spec": spec}}, "other": deployment_schema}
    )


def test_field_paths() -> None:
    assert parse_field_path("spec.template.spec.containers[0].image") == [
        "spec",
        "template",
        "spec",
        "containers",
        0,
        "image",
    ]


def test_expected_schema_walk(deployment_schema: dict[str, object]) -> None:
    image = expected_schema_at(deployment_schema, "spec.template.spec.containers[0].image")
    assert image is not None and image["type"] == "string"
    labels = expected_schema_at(deployment_schema, "spec.template.metadata.labels.app")
    assert labels is not None and labels["type"] == "string"
    assert expected_schema_at(deployment_schema, "spec.nope.deeper") is None


@pytest.mark.parametrize(
    ("expr", "path"),
    [
        ("schema.spec.replicas", "spec.replicas"),
        ("schema.spec.name", "spec.template.spec.containers[0].image"),
        ("schema.spec.labels", "spec.template.metadata.labels"),
        ("schema.spec.?replicas", "spec.replicas"),
        ("schema.spec.free", "spec.replicas"),
        ("{'app': schema.spec.name}", "spec.selector.matchLabels"),
        ("other.spec.template.spec.containers", "spec.template.spec.containers"),
        ("[{'name': 'c', 'image': schema.spec.name}]", "spec.template.spec.containers"),
        ("schema.spec.name", "spec.unknownField"),
        ("schema.spec.replicas", "spec.strategy.rollingUpdate.maxSurge"),  # int-or-string
        ("other.metadata", "spec.template.metadata"),
        ("string(other.metadata.creationTimestamp)", "spec.template.spec.containers[0].name"),
    ],
)
def test_compatible_assignments(
    compiler: CelCompiler, deployment_schema: dict[str, object], expr: str, path: str
) -> None:
    out = compiler.check(expr).output_type
    assert check_field("d", path, expr, out, deployment_schema, compiler.types.messages) is None


@pytest.mark.parametrize(
    ("expr", "path", "detail"),
    [
        ("schema.spec.name", "spec.replicas", "type kind mismatch"),
        ("schema.spec.replicas", "spec.template.spec.containers[0].image", "type kind mismatch"),
        ("other.metadata.creationTimestamp", "spec.template.spec.containers[0].name", "type kind mismatch"),
        ("schema.spec.extra", "spec.selector", 'field "foo" exists in output but not in expected type'),
        ("[1, 2]", "spec.template.spec.containers", "list element"),
    ],
)
def test_incompatible_assignments(
    compiler: CelCompiler, deployment_schema: dict[str, object], expr: str, path: str, detail: str
) -> None:
    out = compiler.check(expr).output_type
    message = check_field("deploy", path, expr, out, deployment_schema, compiler.types.messages)
    assert message is not None
    assert message.startswith(
        f'type mismatch in resource "deploy" at path "{path}": expression "{expr}" returns type "{out}" but '
        'expected "'
    )
    assert detail in message
