"""Programs are given only the fields they select of each variable, and evaluate exactly as on the
whole objects: the same values, the same missing-key errors, the same presence tests."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from pykro.cel import CelCompiler, DataPending, EvaluationError, evaluate
from pykro.cel.data import field_selection, select_fields
from pykro.schema.gvk import GVK
from pykro.schema.registry import SchemaRegistry, object_meta_schema

SPEC = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "items": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "string"}}}},
        "settings": {"type": "object", "additionalProperties": {"type": "string"}},
        "optional": {"type": "string"},
    },
}
SCHEMA = {
    "type": "object",
    "properties": {"apiVersion": {"type": "string"}, "metadata": object_meta_schema(), "spec": SPEC},
}
INSTANCE: dict[str, Any] = {
    "apiVersion": "kro.run/v1alpha1",
    "metadata": {
        "name": "demo",
        "labels": {"app": "web", "app.kubernetes.io/name": "demo"},
        "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {"f:name": {}}}}],
    },
    "spec": {"name": "web", "items": [{"n": "a"}, {"n": "b"}], "settings": {"mode": "fast"}},
}

EXPRESSIONS = [
    "schema.metadata.name + '-' + schema.spec.name",
    "has(schema.spec.optional)",
    "has(schema.spec.name) && schema.spec.name == 'web'",
    "schema.spec.items.map(i, i.n).join(',')",
    "schema.spec.items[1].n",
    "schema.metadata.labels['app.kubernetes.io/name']",
    "schema.metadata.labels.app",
    "size(schema.metadata.managedFields)",
    "schema.spec.settings.mode",
    "schema.spec.?optional.orValue('none')",
    "size(schema.spec.settings) > 0 && schema.spec.name == 'web'",
    "has(schema.metadata) && schema.spec.name == 'web'",
    "schema.metadata.name == 'demo' ? schema.spec.items.size() : 0",
    "schema.spec.settings == {'mode': 'fast'}",
    "schema.spec.optional",  # a missing field: the same "data pending" either way
    "schema.metadata.labels.missing",
]


@pytest.fixture(scope="module")
def compiler() -> CelCompiler:
    return CelCompiler(
        {"schema": SCHEMA, "settings": SchemaRegistry().resolve(GVK("", "v1", "ConfigMap")).schema}
    )


def outcome(run: Any) -> tuple[str, Any]:
    try:
        return ("value", run())
    except (DataPending, EvaluationError) as err:
        return (type(err).__name__, err.detail)


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_a_program_on_its_selected_fields_evaluates_as_on_the_whole_object(
    compiler: CelCompiler, expression: str
) -> None:
    program = compiler.check(expression).program
    whole = dataclasses.replace(program, _selects={})
    data = {"schema": INSTANCE}
    assert outcome(lambda: evaluate(program, data)) == outcome(lambda: evaluate(whole, data))


def test_the_selection_keeps_only_what_is_reached() -> None:
    paths = ["schema.metadata.name", "schema.spec.items", "schema.spec.items.n", "a.data.v", "b"]
    selection = field_selection(paths)
    assert selection == {
        "schema": {"metadata": {"name": {}}, "spec": {"items": {}}},
        "a": {"data": {"v": {}}},
    }
    assert "b" not in selection, "a variable used whole is given whole"
    assert select_fields(INSTANCE, selection["schema"]) == {
        "metadata": {"name": "demo"},
        "spec": {"items": [{"n": "a"}, {"n": "b"}]},
    }


def test_programs_select_by_their_checked_paths(compiler: CelCompiler) -> None:
    assert compiler.check("schema.metadata.name + schema.spec.name").program._selects == {
        "schema": {"metadata": {"name": {}}, "spec": {"name": {}}}
    }
    # `has()` and macros stop at what they apply to; `schema` alone means all of it.
    assert compiler.check("has(schema.spec.name)").program._selects == {"schema": {"spec": {}}}
    assert compiler.check("schema.spec.items.all(i, i.n != '')").program._selects == {
        "schema": {"spec": {"items": {}}}
    }
    assert compiler.check("has(schema.metadata) && schema.spec.name != ''").program._selects == {}
