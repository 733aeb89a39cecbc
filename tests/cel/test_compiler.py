"""CelCompiler: typed checking against Kubernetes schemas, references, and evaluation."""

from __future__ import annotations

from typing import Any

import pytest

from pykro.cel import (
    CelCompiler,
    CompileError,
    DataPending,
    EvaluationError,
    compile_untyped,
    evaluate,
    make_activation,
    parse_references,
)
from pykro.cel.compiler import MAX_EXPRESSION_LENGTH
from pykro.cel.data import DataPreparer
from pykro.schema.gvk import GVK
from pykro.schema.registry import SchemaRegistry, object_meta_schema

SPEC = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "replicas": {"type": "integer"}},
}


def instance_schema() -> dict[str, Any]:
    """The `schema` variable: instance without status, metadata = full ObjectMeta (spec §3.3, §3.7)."""
    return {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": object_meta_schema(),
            "spec": SPEC,
        },
    }


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry()


@pytest.fixture(scope="module")
def compiler(registry: SchemaRegistry) -> CelCompiler:
    return CelCompiler(
        {
            "schema": instance_schema(),
            "credentials": registry.resolve(GVK("", "v1", "Secret")).schema,
            "settings": registry.resolve(GVK("", "v1", "ConfigMap")).schema,
            "deployment": registry.resolve(GVK("apps", "v1", "Deployment")).schema,
            "pods": {"type": "array", "items": registry.resolve(GVK("", "v1", "Pod")).schema},
        }
    )


DATA: dict[str, Any] = {
    "schema": {
        "apiVersion": "kro.run/v1alpha1",
        "kind": "App",
        "metadata": {"name": "demo", "uid": "uid-1", "generation": 4, "resourceVersion": "77"},
        "spec": {"name": "web", "replicas": 3},
    },
    "credentials": {
        "metadata": {"name": "s", "resourceVersion": "123"},
        "data": {"password": "aHVudGVyMg=="},
    },
    "settings": {"metadata": {"name": "c", "uid": "uid-2"}, "data": {"k": "v"}},
    "deployment": {
        "metadata": {"name": "d", "creationTimestamp": "2024-05-06T07:08:09Z"},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx"}]}}},
    },
    "pods": [{"metadata": {"name": "p0"}}, {"metadata": {"name": "p1"}}],
}

SEEDS = [
    ("credentials.metadata.resourceVersion", "string", "123"),
    ("settings.metadata.uid", "string", "uid-2"),
    ("string(schema.metadata.generation)", "string", "4"),
    ('schema.metadata.?generateName.orValue("x")', "string", "x"),
    ("deployment.metadata.creationTimestamp", "google.protobuf.Timestamp", "2024-05-06T07:08:09Z"),
    ("has(schema.metadata.labels)", "bool", False),
]


@pytest.mark.parametrize(("expr", "cel_type", "value"), SEEDS)
def test_seed_expressions_check_and_evaluate(
    compiler: CelCompiler, expr: str, cel_type: str, value: Any
) -> None:
    checked = compiler.check(expr)
    assert checked.type_name == cel_type.replace("google.protobuf.Timestamp", "timestamp")
    assert evaluate(checked.program, DATA) == value


def test_unknown_field_is_a_compile_error(compiler: CelCompiler) -> None:
    with pytest.raises(CompileError) as err:
        compiler.check("credentials.metadata.nosuch")
    assert "undefined field 'nosuch'" in str(err.value)
    assert err.value.expression == "credentials.metadata.nosuch"


def test_source_is_reported_for_templates(compiler: CelCompiler) -> None:
    with pytest.raises(CompileError) as err:
        compiler.check('"n-" + (schema.spec.replicas)', source="n-${schema.spec.replicas}")
    assert "n-${schema.spec.replicas}" in str(err.value)
    assert "no matching overload for '_+_' applied to '(string, int)'" in str(err.value)


@pytest.mark.parametrize(
    ("expr", "rendered"),
    [
        ("schema.metadata.labels", "map(string, string)"),
        ("schema.metadata.?labels", "optional_type(map(string, string))"),
        ("deployment.spec.template.spec.containers.map(c, c.name)", "list(string)"),
        ("pods.map(p, p.metadata.name)", "list(string)"),
        ("credentials.data", "map(string, bytes)"),
        ("schema.spec.replicas * 2.0 > 1.0 ? 1u : 2u", "uint"),
        ("null", "null_type"),
        ("{'a': [1, 2]}", "map(string, list(int))"),
        ("duration('1h')", "duration"),
        ("type(1)", "type(int)"),
    ],
)
def test_output_types_render_like_cel_go(compiler: CelCompiler, expr: str, rendered: str) -> None:
    if expr.startswith("schema.spec.replicas * 2.0"):
        expr = "double(schema.spec.replicas) * 2.0 > 1.0 ? 1u : 2u"
    assert compiler.check(expr).type_name == rendered


def test_references_come_from_the_checked_ast(compiler: CelCompiler) -> None:
    checked = compiler.check(
        "deployment.spec.template.spec.containers.map(c, c.name + schema.spec.name).size() + "
        "pods.filter(p, has(p.metadata.labels)).size()"
    )
    assert checked.variables == ("deployment", "schema", "pods")
    assert "c" not in checked.references.identifiers
    assert "deployment.spec.template.spec.containers" in checked.references.paths
    assert "schema.spec.name" in checked.references.paths
    assert "size" in checked.references.functions


def test_parse_references_without_checking() -> None:
    text = "hash.fnv64a(a.b) + [1].map(i, i + x)[0] + unknownFn(y)"
    assert parse_references(text).identifiers == ("hash", "a", "x", "y")
    info = parse_references(text, namespaced_functions={"hash.fnv64a"})
    assert info.identifiers == ("a", "x", "y")
    assert "hash.fnv64a" in info.functions
    assert "unknownFn" in info.functions
    assert "a.b" in info.paths


def test_missing_data_is_pending(compiler: CelCompiler) -> None:
    cases = {
        "schema.metadata.labels": {"schema": DATA["schema"]},
        "deployment.spec.template.spec.containers[5].name": DATA,
        "settings.metadata.uid": {"schema": DATA["schema"]},  # excluded resource: variable absent
    }
    for expr, data in cases.items():
        with pytest.raises(DataPending) as err:
            evaluate(compiler.check(expr).program, data)
        assert err.value.expression == expr


def test_hard_errors_are_evaluation_errors(compiler: CelCompiler) -> None:
    with pytest.raises(EvaluationError) as err:
        evaluate(compiler.check("schema.spec.replicas / 0").program, DATA)
    assert "divide by zero" in str(err.value)
    with pytest.raises(EvaluationError, match="bytes value cannot be used directly"):
        evaluate(compiler.check("b'abc'").program, DATA)


def test_results_are_json_native(compiler: CelCompiler) -> None:
    assert evaluate(compiler.check("schema.metadata").program, DATA) == DATA["schema"]["metadata"]
    assert evaluate(compiler.check("schema.metadata.?labels").program, DATA) is None
    assert evaluate(compiler.check("duration('1h30m')").program, DATA) == "1h30m0s"
    assert evaluate(compiler.check("duration('1.5s')").program, DATA) == "1.5s"
    assert (
        evaluate(compiler.check("timestamp('2024-01-02T03:04:05.123Z')").program, DATA)
        == "2024-01-02T03:04:05Z"
    )
    assert evaluate(compiler.check("1u").program, DATA) == 1
    assert evaluate(compiler.check("[1, 'a', 2.5, true, null]").program, DATA) == [1, "a", 2.5, True, None]
    with pytest.raises(EvaluationError, match="overflows int64"):
        evaluate(compiler.check("18446744073709551615u").program, DATA)


def test_schema_aware_data_matches_the_checked_types(registry: SchemaRegistry, compiler: CelCompiler) -> None:
    secret = DataPreparer(registry.resolve(GVK("", "v1", "Secret")).schema)
    deployment = DataPreparer(registry.resolve(GVK("apps", "v1", "Deployment")).schema)
    data = dict(DATA, credentials=secret(DATA["credentials"]), deployment=deployment(DATA["deployment"]))
    assert evaluate(compiler.check("string(credentials.data.password)").program, data) == "hunter2"
    later = "deployment.metadata.creationTimestamp + duration('1h') > timestamp('2024-05-06T07:30:00Z')"
    assert evaluate(compiler.check(later).program, data) is True
    assert evaluate(compiler.check("deployment.metadata").program, data)["creationTimestamp"] == (
        "2024-05-06T07:08:09Z"
    )
    assert DATA["credentials"]["data"]["password"] == "aHVudGVyMg=="  # the input is not mutated


def test_activation_reuse_and_program_cache(compiler: CelCompiler) -> None:
    first = compiler.check('schema.spec.name + "-" + string(schema.spec.replicas)')
    again = compiler.check('schema.spec.name + "-" + string(schema.spec.replicas)')
    assert first is again
    activation = make_activation(DATA)
    assert [evaluate(first.program, activation) for _ in range(3)] == ["web-3"] * 3


def test_untyped_programs() -> None:
    program = compile_untyped("x.a + 1")
    assert evaluate(program, {"x": {"a": 1}}) == 2
    with pytest.raises(DataPending):
        evaluate(program, {"x": {}})


def test_cost_guard_rejects_unbounded_nesting(compiler: CelCompiler) -> None:
    nested = "pods.all(a, pods.all(b, pods.all(c, a == b && b == c)))"
    with pytest.raises(CompileError, match="estimated cost exceeds the budget"):
        compiler.check(nested)
    # two levels over unknown lists, or three over small literal lists, are fine
    compiler.check("pods.all(a, pods.all(b, a == b))")
    compiler.check("[1, 2].all(a, [1, 2].all(b, [1, 2].all(c, a + b + c > 0)))")


def test_oversized_expression_is_rejected(compiler: CelCompiler) -> None:
    with pytest.raises(CompileError, match="the limit is"):
        compiler.check("1 + " * (MAX_EXPRESSION_LENGTH // 4) + "1")


@pytest.mark.timeout(60)  # a hang is a failure
def test_runtime_iteration_budget_turns_runaway_loops_into_errors() -> None:
    # Data-dependent sizes escape the static estimate; cel-cpp's built-in iteration budget stops them.
    program = compile_untyped("x.map(i, x.map(j, i * j)).size()")
    with pytest.raises(EvaluationError, match="Iteration budget exceeded"):
        evaluate(program, {"x": list(range(1000))})


def test_iterator_declared_with_an_element_type_from_a_previous_check(registry: SchemaRegistry) -> None:
    schemas = {
        "schema": instance_schema(),
        "deployment": registry.resolve(GVK("apps", "v1", "Deployment")).schema,
    }
    base = CelCompiler(schemas)
    each = base.check("deployment.spec.template.spec.containers").output_type.params[0]
    with_iterator = CelCompiler({**schemas, "container": each})
    checked = with_iterator.check("container.image + '@' + schema.spec.name")
    assert checked.type_name == "string"
    assert checked.variables == ("container", "schema")
    with pytest.raises(CompileError, match="undefined field 'imagee'"):
        with_iterator.check("container.imagee")
    assert (
        evaluate(checked.program, {"container": {"image": "nginx"}, "schema": DATA["schema"]}) == "nginx@web"
    )


def test_text_that_is_not_utf8_is_a_clean_compile_error(compiler: CelCompiler) -> None:
    for build in (compiler.check, compile_untyped, parse_references):
        with pytest.raises(CompileError, match="not valid UTF-8 text"):
            build("'a\ud800'")
