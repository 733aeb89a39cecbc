"""The public environment-building API of pykro.cel.library."""

from __future__ import annotations

import datetime

from cel_expr_python import cel

from pykro.cel.library import function_decls, new_env, rewrite_macros, to_cel_value


def test_function_decls_declare_each_name_once_and_gate_omit() -> None:
    assert len(function_decls()) == len(function_decls(enable_omit=True)) - 1
    # Declaring a name twice makes every compilation fail; a successful compile proves uniqueness.
    env = new_env({}, enable_omit=True)
    assert env.compile("omit()").eval().type() != cel.Type.ERROR


def test_new_env_runs_a_template_from_the_upstream_cel_functions_example() -> None:
    env = new_env({"schema": cel.Type.DYN})
    schema = {
        "spec": {"name": "app", "fullDNSName": "a.b.c.d.example.com"},
        "metadata": {
            "uid": "u-1",
            "creationTimestamp": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
            "labels": {"team": "x"},
        },
    }
    expr = (
        "size(schema.spec.fullDNSName.split('.')) > 2 ? "
        "schema.spec.fullDNSName.split('.').slice(0, 3).join('.') : schema.spec.fullDNSName"
    )
    value = env.compile(rewrite_macros(expr)).eval(data={"schema": to_cel_value(schema)})
    assert value.plain_value() == "a.b.c"
    stamp = env.compile("schema.metadata.creationTimestamp < timestamp('2025-01-01T00:00:00Z')")
    assert stamp.eval(data={"schema": to_cel_value(schema)}).plain_value() is True
    labels = env.compile(rewrite_macros("schema.metadata.labels.transformMap(k, v, v + '!')"))
    assert labels.eval(data={"schema": to_cel_value(schema)}).plain_value() == {"team": "x!"}


def test_to_cel_value_keeps_bytes_with_nul_intact() -> None:
    env = new_env({"b": cel.Type.DYN})
    assert env.compile("size(b)").eval(data={"b": to_cel_value(b"a\x00b")}).plain_value() == 3
