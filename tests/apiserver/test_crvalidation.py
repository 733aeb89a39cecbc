"""Custom resource defaulting, pruning and validation (structural schema + CEL rules)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from pykro.apiserver.admission.structural import default_and_prune, unknown_fields
from pykro.apiserver.admission.validation import validate
from pykro.apiserver.machinery.status import Cause, invalid_message
from pykro.schema.simpleschema import to_openapi
from pykro.testing.assertion import match
from tests.paths import KRO_E2E

E2E = KRO_E2E / "check-validation-markers"


def crd_schema(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
        },
    }


@pytest.fixture(scope="module")
def markers_schema() -> dict[str, Any]:
    rgd = yaml.safe_load((E2E / "rgd.yaml").read_text())
    return crd_schema(to_openapi(rgd["spec"]["schema"]["spec"]))


def run(obj: dict[str, Any], schema: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    return [str(c) for c in validate(default_and_prune(obj, schema), old, schema)]


def test_e2e_valid_instance_passes_and_gets_defaults(markers_schema: dict[str, Any]) -> None:
    obj = yaml.safe_load((E2E / "valid-instance.yaml").read_text())
    defaulted = default_and_prune(obj, markers_schema)
    assert validate(defaulted, None, markers_schema) == []
    assert defaulted["spec"]["replicas"] == obj["spec"].get("replicas", 1)
    assert "description" in defaulted["spec"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "invalid-length-instance.yaml",
            ['spec.username: Invalid value: "ab": spec.username in body should be at least 3 chars long'],
        ),
        (
            "invalid-pattern-instance.yaml",
            [
                'spec.email: Invalid value: "invalid-email-format": spec.email in body should match '
                "'^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$'"
            ],
        ),
        ("invalid-unique-instance.yaml", ['spec.tags[2]: Duplicate value: "production"']),
        (
            "invalid-instance-min-items.yaml",
            ["spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items"],
        ),
        ("invalid-instance-max-items.yaml", ["spec.tags: Too many: 4: must have at most 3 items"]),
        ("invalid-instance-priorities-max.yaml", ["spec.priorities: Too many: 4: must have at most 3 items"]),
        (
            "invalid-instance-array-limits.yaml",
            [
                "spec.tags: Too many: 6: must have at most 3 items",
                "spec.priorities: Too many: 4: must have at most 3 items",
            ],
        ),
    ],
)
def test_e2e_invalid_instances(markers_schema: dict[str, Any], name: str, expected: list[str]) -> None:
    obj = yaml.safe_load((E2E / name).read_text())
    assert sorted(run(obj, markers_schema)) == sorted(expected)


def test_numeric_bounds_and_422_message(markers_schema: dict[str, Any]) -> None:
    obj = {
        "apiVersion": "kro.run/v1alpha1",
        "kind": "ValidationTestApp",
        "metadata": {"name": "x"},
        "spec": {"email": "a@b.io", "username": "abc", "tags": ["t"], "replicas": 20},
    }
    causes = validate(default_and_prune(obj, markers_schema), None, markers_schema)
    assert [str(c) for c in causes] == [
        "spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10"
    ]
    assert causes[0] == Cause(
        "spec.replicas",
        "Invalid value: 20: spec.replicas in body should be less than or equal to 10",
        "FieldValueInvalid",
    )
    two = [*causes, Cause("spec.email", "Required value", "FieldValueRequired")]
    assert invalid_message("ValidationTestApp", "kro.run", "x", two) == (
        'ValidationTestApp.kro.run "x" is invalid: [spec.replicas: Invalid value: 20: spec.replicas in body '
        "should be less than or equal to 10, spec.email: Required value]"
    )
    assert invalid_message("Pod", "", "p", causes[:1]).startswith('Pod "p" is invalid: spec.replicas')


SPEC: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {
            "type": "string",
            "maxLength": 5,
            "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "field is immutable"}],
        },
        "mode": {"type": "string", "enum": ["a", "b"]},
        "count": {
            "type": "integer",
            "minimum": 0,
            "exclusiveMinimum": True,
            "maximum": 5,
            "exclusiveMaximum": True,
        },
        "ratio": {"type": "number"},
        "nothing": {"type": "string", "nullable": True},
        "ip": {"type": "string", "format": "ipv4"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 1},
        "ports": {
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "port": {"type": "integer"}},
            },
        },
        "nested": {
            "type": "object",
            "default": {},
            "properties": {
                "inner": {
                    "type": "object",
                    "default": {},
                    "properties": {"level": {"type": "integer", "default": 3}},
                }
            },
        },
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "embedded": {
            "type": "object",
            "x-kubernetes-embedded-resource": True,
            "properties": {"spec": {"type": "object", "properties": {"x": {"type": "string"}}}},
        },
    },
    "x-kubernetes-validations": [
        {
            "rule": "!has(self.count) || self.count != 3",
            "messageExpression": "'count ' + string(self.count) + ' is bad'",
            "fieldPath": ".count",
        },
        {"rule": "!has(self.mode) || self.mode != 'b'", "reason": "FieldValueForbidden", "message": "no b"},
    ],
}
SCHEMA = crd_schema(SPEC)


def obj(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "x.io/v1", "kind": "X", "metadata": {"name": "a"}, "spec": {"name": "n", **spec}}


def test_defaults_chain_and_pruning() -> None:
    out = default_and_prune(
        obj(
            unknown=1,
            free={"any": {"thing": 1}},
            nothing=None,
            mode=None,
            embedded={
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "c"},
                "spec": {"x": "1", "y": 2},
                "junk": 1,
            },
        ),
        SCHEMA,
    )
    spec = out["spec"]
    assert spec["nested"] == {"inner": {"level": 3}}
    assert "unknown" not in spec and spec["free"] == {"any": {"thing": 1}}
    assert spec["nothing"] is None and "mode" not in spec
    assert spec["embedded"] == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "spec": {"x": "1"},
    }
    assert out["metadata"] == {"name": "a"}
    assert unknown_fields(obj(unknown=1), SCHEMA) == ["spec.unknown"]


def test_value_validations() -> None:
    got = run(
        obj(
            mode="c",
            count=5,
            ratio="x",
            ip="1.2.3",
            labels={"a": "1", "b": "2"},
            ports=[{"name": "p"}, {"name": "p", "port": 2}],
        ),
        SCHEMA,
    )
    assert 'spec.mode: Unsupported value: "c": supported values: "a", "b"' in got
    assert "spec.count: Invalid value: 5: spec.count in body should be less than 5" in got
    assert 'spec.ratio: Invalid value: "x": spec.ratio in body must be of type number: "string"' in got
    assert 'spec.ip: Invalid value: "1.2.3": spec.ip in body must be of type ipv4: "1.2.3"' in got
    assert "spec.labels: Too many: 2: must have at most 1 item" in got
    assert 'spec.ports[1]: Duplicate value: map[string]interface {}{"name":"p"}' in got
    assert run(obj(count=0), SCHEMA) == [
        "spec.count: Invalid value: 0: spec.count in body should be greater than 0"
    ]
    assert run({**obj(), "spec": {"mode": "a"}}, SCHEMA) == ["spec.name: Required value"]
    assert run(obj(name="toolong"), SCHEMA) == ["spec.name: Too long: may not be more than 5 bytes"]


def test_cel_rules_messages_reasons_and_transitions() -> None:
    assert run(obj(count=3), SCHEMA) == ['spec.count: Invalid value: "object": count 3 is bad']
    assert run(obj(mode="b"), SCHEMA) == ["spec: Forbidden: no b"]
    old = default_and_prune(obj(), SCHEMA)
    assert run(obj(name="m"), SCHEMA, old) == ['spec.name: Invalid value: "string": field is immutable']
    assert run(obj(name="n"), SCHEMA, old) == []
    assert run(obj(name="m"), SCHEMA) == []  # transition rules only run on update


def test_cel_runtime_error_is_a_cause() -> None:
    spec = {
        "type": "object",
        "properties": {"a": {"type": "integer"}},
        "x-kubernetes-validations": [{"rule": "self.a > 1"}, {"rule": "self.a >"}],
    }
    got = run({"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "a"}, "spec": {}}, crd_schema(spec))
    assert len(got) == 2 and all(g.startswith('spec: Invalid value: "object": ') for g in got)
    got = run(
        {"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "a"}, "spec": {"a": 0}}, crd_schema(spec)
    )
    assert got[0] == 'spec: Invalid value: "object": failed rule: self.a > 1'


def test_cel_reason_duplicate_and_required() -> None:
    spec = {
        "type": "object",
        "properties": {"a": {"type": "integer"}},
        "x-kubernetes-validations": [
            {"rule": "has(self.a)", "reason": "FieldValueRequired", "message": "a is needed"},
            {"rule": "false", "reason": "FieldValueDuplicate", "fieldPath": ".a"},
        ],
    }
    got = run({"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "a"}, "spec": {}}, crd_schema(spec))
    assert got == ["spec: Required value: a is needed", 'spec.a: Duplicate value: "object"']


REQ_DEFAULTS = KRO_E2E / "check-required-default-interactions"


@pytest.fixture(scope="module")
def complex_schema() -> dict[str, Any]:
    rgd = yaml.safe_load((REQ_DEFAULTS / "rgd.yaml").read_text())
    schema = rgd["spec"]["schema"]
    return crd_schema(to_openapi(schema["spec"], schema.get("types")))


def test_e2e_required_default_interactions(complex_schema: dict[str, Any]) -> None:
    obj = yaml.safe_load((REQ_DEFAULTS / "valid-instance.yaml").read_text())
    expected = yaml.safe_load((REQ_DEFAULTS / "valid-instance-assert.yaml").read_text())
    defaulted = default_and_prune(obj, complex_schema)
    assert validate(defaulted, None, complex_schema) == []
    assert match(expected["spec"], defaulted["spec"]) == []  # chainsaw partial match


def test_e2e_marker_rules_on_complex_schema(complex_schema: dict[str, Any]) -> None:
    obj = yaml.safe_load((REQ_DEFAULTS / "valid-instance.yaml").read_text())
    old = default_and_prune(obj, complex_schema)
    changed = copy.deepcopy(obj)
    changed["spec"]["clusterId"] = "cluster-456"
    changed["spec"]["replicas"] = 11
    changed["spec"]["environment"] = "qa"
    del changed["spec"]["database"]["host"]
    got = run(changed, complex_schema, old)
    assert 'spec.clusterId: Invalid value: "string": field is immutable' in got
    assert 'spec.replicas: Invalid value: "integer": validation failed' in got
    assert any(g.startswith('spec.environment: Unsupported value: "qa"') for g in got)
    assert "spec.database.host: Required value" in got
    assert len(got) == 4


def test_formats_take_ascii_digits_only() -> None:
    """Go's `\\d` is ASCII; Python's matches any Unicode digit ("２０２６" is not a year to the server)."""
    schema = {
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": {"day": {"type": "string", "format": "date"}}}
        },
    }
    assert validate({"spec": {"day": "2026-01-02"}}, None, schema) == []
    [cause] = validate({"spec": {"day": "２０２６-01-02"}}, None, schema)
    assert cause.field == "spec.day" and "must be of type date" in cause.message


def test_cel_rules_see_the_fields_they_read_and_self_whole() -> None:
    """Rules selecting fields of `self`, rules using `self` whole, and a message from another field."""
    spec = {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
        "x-kubernetes-validations": [
            {"rule": "self.a > 1", "messageExpression": "'b is ' + self.b"},
            {"rule": "size(self) == 1"},
            {"rule": "self.all(k, k == 'a')"},
            {"rule": "self.b == 'self.a'"},
        ],
    }
    got = run(
        {"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "a"}, "spec": {"a": 0, "b": "x"}},
        crd_schema(spec),
    )
    assert got == [
        'spec: Invalid value: "object": b is x',
        'spec: Invalid value: "object": failed rule: size(self) == 1',
        "spec: Invalid value: \"object\": failed rule: self.all(k, k == 'a')",
        "spec: Invalid value: \"object\": failed rule: self.b == 'self.a'",
    ]
