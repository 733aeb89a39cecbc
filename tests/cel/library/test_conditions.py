"""`runtime.newCondition` / `runtime.condition` (spec §3.5): the macro, the values, the lookups."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pykro.cel.compiler import CelCompiler, evaluate
from pykro.cel.errors import CompileError, EvaluationError
from pykro.cel.library import MacroError, is_condition, rewrite_macros
from pykro.cel.library.conditions import condition_lookups, new_condition_calls, untagged

SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {"type": "object", "properties": {"name": {"type": "string"}, "n": {"type": "integer"}}}
    },
}
DATA: dict[str, Any] = {
    "schema": {
        "spec": {"name": "web", "n": 3},
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "NotReady",
                    "message": "waiting",
                    "lastTransitionTime": "2024-01-01T00:00:00Z",
                    "observedGeneration": 2,
                },
            ]
        },
    }
}


@pytest.fixture(scope="module")
def compiler() -> CelCompiler:
    return CelCompiler({"schema": SCHEMA})


def run(compiler: CelCompiler, expr: str) -> Any:
    return evaluate(compiler.check(expr).program, DATA)


def test_new_condition_builds_a_tagged_condition(compiler: CelCompiler) -> None:
    value = run(
        compiler,
        "runtime.newCondition({type: 'AppReady', status: schema.spec.n > 2 ? 'True' : 'False', "
        "reason: 'ReplicaCount', message: schema.spec.name})",
    )
    assert is_condition(value)
    assert untagged(value) == {
        "type": "AppReady",
        "status": "True",
        "reason": "ReplicaCount",
        "message": "web",
    }
    assert (
        str(compiler.check("runtime.newCondition({type: 'A', status: 'True'})").output_type)
        == "map(string, string)"
    )


def test_optional_fields_default_to_empty_and_fields_are_readable(compiler: CelCompiler) -> None:
    value = run(compiler, "runtime.newCondition({status: 'Unknown', type: 'A',})")
    assert untagged(value) == {"type": "A", "status": "Unknown", "reason": "", "message": ""}
    assert run(compiler, "runtime.newCondition({type: 'A', status: 'True', reason: 'R'}).reason") == "R"


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (
            "runtime.newCondition({type: 'A', status: 'Yes'})",
            "status must be one of True, False, Unknown, got 'Yes'",
        ),
        (
            "runtime.newCondition({type: schema.spec.name.substring(3), status: 'True'})",
            "type must not be empty",
        ),
        (
            "runtime.newCondition({type: 'A', status: 'True', message: schema.spec.n})",
            "message must be a string, got int",
        ),
    ],
)
def test_run_time_value_rules(compiler: CelCompiler, expr: str, message: str) -> None:
    with pytest.raises(EvaluationError, match=message):
        run(compiler, expr)


def test_condition_reads_an_objects_conditions(compiler: CelCompiler) -> None:
    ready = run(compiler, "runtime.condition(schema, 'Ready')")
    assert untagged(ready) == {"type": "Ready", "status": "False", "reason": "NotReady", "message": "waiting"}
    assert run(compiler, "runtime.condition(schema, 'Ready').status == 'False'") is True
    missing = run(compiler, "runtime.condition(schema, 'Other')")
    assert untagged(missing) == {"type": "", "status": "", "reason": "", "message": ""}


def test_condition_on_an_object_without_status_is_empty() -> None:
    compiler = CelCompiler({"schema": SCHEMA})
    value = evaluate(
        compiler.check("runtime.condition(schema, 'Ready').type").program, {"schema": {"spec": {}}}
    )
    assert value == ""


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("{'type': 'A', status: 'True'}", "not a quoted string"),
        ("{r'type': 'A', status: 'True'}", "not a quoted string"),
        ("{[1][0]: 'A', status: 'True'}", "not a computed expression"),
        ("{?type: 'A', status: 'True'}", "not a computed expression"),
        ("{type: 'A', type: 'A', status: 'True'}", "duplicate key 'type'"),
        ("{type: 'A'}", "missing required key 'status'"),
        ("{type: 'A', status: 'True', lastTransitionTime: 'x'}", "unknown key 'lastTransitionTime'"),
        ("{type: 'A', status: 'True'} + {}", "must be a map literal"),
        ("[{type: 'A', status: 'True'}]", "must be a map literal"),
        ("", "must be a map literal"),
    ],
)
def test_macro_rules(compiler: CelCompiler, argument: str, message: str) -> None:
    with pytest.raises(MacroError, match=message):
        rewrite_macros(f"runtime.newCondition({argument})")
    with pytest.raises(CompileError, match=message):
        compiler.check(f"runtime.newCondition({argument})")


def test_macro_rewrite_leaves_strings_and_other_text_alone() -> None:
    text = "'runtime.newCondition({bad})' + x.runtime.newCondition(1) + myruntime.newCondition(2)"
    assert rewrite_macros(text) == text
    rewritten = rewrite_macros("runtime.newCondition({type: 'a:b', status: c ? 'True' : 'False'})")
    assert rewritten == "runtime.newCondition({\"type\": 'a:b', \"status\": c ? 'True' : 'False'})"


def test_nested_calls_are_rewritten(compiler: CelCompiler) -> None:
    expr = (
        "[runtime.newCondition({type: 'A', status: runtime.condition(schema, 'Ready').status, "
        "message: runtime.newCondition({type: 'B', status: 'True'}).type})]"
    )
    value = run(compiler, expr)
    assert [untagged(v) for v in value] == [{"type": "A", "status": "False", "reason": "", "message": "B"}]
    assert [c.literal("type") for c in new_condition_calls(expr)] == ["A", "B"]
    assert [(lk.target, lk.literal_type) for lk in condition_lookups(expr)] == [("schema", "Ready")]


def test_plain_maps_are_not_conditions(compiler: CelCompiler) -> None:
    assert not is_condition(run(compiler, "{'type': 'A', 'status': 'True'}"))


@given(st.text(alphabet="runtime.newCondition({}:,'\" typestaus?+ab", max_size=60))
def test_macro_rewrite_never_crashes(text: str) -> None:
    try:
        rewrite_macros(text)
    except MacroError:
        pass
