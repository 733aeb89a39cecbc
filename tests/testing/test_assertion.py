"""The Chainsaw assertion-tree matcher (kyverno-json semantics)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import assume, given
from hypothesis import strategies as st

from pykro.errors import PykroError
from pykro.testing.assertion import match, matches, substitute_bindings, values_equal
from tests.paths import KRO_E2E

E2E = KRO_E2E

READY_CONDITIONS = [
    {"type": "GraphVerified", "status": "True", "observedGeneration": 1},
    {"type": "Ready", "status": "True", "observedGeneration": 1, "reason": "Ready"},
]


def paths(expected: Any, actual: Any, bindings: dict[str, Any] | None = None) -> list[str]:
    return [m.path for m in match(expected, actual, bindings)]


class TestMaps:
    def test_subset_matches_and_extra_actual_keys_are_ignored(self) -> None:
        actual = {"metadata": {"name": "a", "uid": "1"}, "spec": {"replicas": 2, "image": "x"}}
        assert match({"spec": {"replicas": 2}, "metadata": {"name": "a"}}, actual) == []

    def test_missing_key_is_reported_at_its_path(self) -> None:
        mismatches = match({"spec": {"replicas": 2}}, {"spec": {}})
        assert [(m.path, "not found" in m.message) for m in mismatches] == [("spec.replicas", True)]

    def test_every_mismatch_is_reported(self) -> None:
        actual = {"a": 1, "b": {"c": "x"}}
        assert sorted(paths({"a": 2, "b": {"c": "y"}, "d": 1}, actual)) == ["a", "b.c", "d"]

    def test_empty_expected_map_only_requires_non_null(self) -> None:
        assert matches({"status": {}}, {"status": {"x": 1}})
        assert matches({"status": {}}, {"status": "anything"})
        assert paths({"status": {}}, {"status": None}) == ["status"]

    def test_map_expected_against_scalar_is_a_type_mismatch(self) -> None:
        mismatches = match({"spec": {"replicas": 2}}, {"spec": "text"})
        assert len(mismatches) == 1 and "expected an object" in mismatches[0].message

    def test_null_parent(self) -> None:
        assert paths({"status": {"state": "Active"}}, {"status": None}) == ["status.state"]


class TestArrays:
    def test_same_length_elementwise_partial(self) -> None:
        actual = {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}
        assert matches({"containers": [{"name": "a"}, {"name": "b"}]}, actual)

    def test_order_matters(self) -> None:
        actual = {"items": ["a", "b"]}
        assert paths({"items": ["b", "a"]}, actual) == ["items[0]", "items[1]"]

    def test_length_must_match(self) -> None:
        mismatches = match({"items": ["a"]}, {"items": ["a", "b"]})
        assert len(mismatches) == 1 and "expected 1 element(s), found 2" in mismatches[0].message

    def test_array_expected_against_object_or_null(self) -> None:
        assert "expected an array" in match({"x": [1]}, {"x": {"a": 1}})[0].message
        assert "found null" in match({"x": [1]}, {"x": None})[0].message

    def test_nested_path_in_message(self) -> None:
        actual = {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "nginx:1.24"}]}}}}
        expected = {"spec": {"template": {"spec": {"containers": [{"image": "nginx:1.25"}]}}}}
        [mismatch] = match(expected, actual)
        assert mismatch.path == "spec.template.spec.containers[0].image"
        assert '"nginx:1.25"' in mismatch.message and '"nginx:1.24"' in mismatch.message


class TestScalars:
    @pytest.mark.parametrize(
        ("expected", "actual", "equal"),
        [
            (1, 1.0, True),
            (2, 3, False),
            ("True", "True", True),
            ("True", True, False),
            (True, 1, False),
            (1, True, False),
            (None, None, True),
            (None, "x", False),
            ("1", 1, False),
            ([1, 2], [1, 2], True),
            ({"a": 1}, {"a": 1, "b": 2}, False),
        ],
    )
    def test_values_equal(self, expected: Any, actual: Any, equal: bool) -> None:
        assert values_equal(expected, actual) is equal

    def test_type_mismatch_message_names_both_types(self) -> None:
        [mismatch] = match({"replicas": "2"}, {"replicas": 2})
        assert "string" in mismatch.message and "number" in mismatch.message

    def test_scalar_expression_is_compared_with_actual(self) -> None:
        assert matches(
            {"metadata": {"namespace": "($namespace)"}},
            {"metadata": {"namespace": "ns1"}},
            {"namespace": "ns1"},
        )
        assert not matches(
            {"metadata": {"namespace": "($namespace)"}},
            {"metadata": {"namespace": "x"}},
            {"namespace": "ns1"},
        )

    def test_escaped_scalar_is_literal(self) -> None:
        assert matches({"a": "\\(x)\\"}, {"a": "(x)"})


class TestExpressions:
    def test_ready_condition_filter(self) -> None:
        expected = {"status": {"(conditions[?type == 'Ready'])": [{"status": "True"}]}}
        assert matches(expected, {"status": {"conditions": READY_CONDITIONS}})

    def test_ready_condition_filter_failing_status_reports_path(self) -> None:
        expected = {"status": {"(conditions[?type == 'Ready'])": [{"status": "True"}]}}
        actual = {"status": {"conditions": [{"type": "Ready", "status": "False"}]}}
        [mismatch] = match(expected, actual)
        assert mismatch.path == "status.(conditions[?type == 'Ready'])[0].status"

    def test_filter_without_conditions_is_null(self) -> None:
        expected = {"status": {"(conditions[?type == 'Ready'])": [{"status": "True"}]}}
        assert not matches(expected, {"status": {}})

    def test_filter_with_two_ready_conditions_fails_on_length(self) -> None:
        expected = {"status": {"(conditions[?type == 'Ready'])": [{"status": "True"}]}}
        actual = {"status": {"conditions": [{"type": "Ready", "status": "True"}] * 2}}
        assert "lengths differ" in match(expected, actual)[0].message

    def test_length_function(self) -> None:
        assert matches({"(length(items))": 2}, {"items": [1, 2]})
        assert not matches({"(length(items))": 3}, {"items": [1, 2]})

    def test_boolean_expression(self) -> None:
        assert matches({"spec": {"(replicas > `1`)": True}}, {"spec": {"replicas": 2}})
        assert not matches({"spec": {"(replicas > `1`)": True}}, {"spec": {"replicas": 1}})

    def test_binding_in_key_expression(self) -> None:
        obj = {"metadata": {"namespace": "chainsaw-a-b"}}
        assert matches({"(metadata.namespace == $namespace)": True}, obj, {"namespace": "chainsaw-a-b"})

    def test_binding_arrow_makes_value_available_below(self) -> None:
        expected = {"spec": {"(replicas) -> r": {"(@ == $r)": True, "(to_string($r))": "2"}}}
        assert matches(expected, {"spec": {"replicas": 2}})

    def test_unknown_binding_is_a_clean_error(self) -> None:
        with pytest.raises(PykroError, match=r"unknown binding \$r \(known: \$namespace\)"):
            match({"(spec == $r)": True}, {}, {"namespace": "x"})

    def test_foreach_over_array(self) -> None:
        actual = {"spec": {"containers": [{"name": "a", "ready": True}, {"name": "b", "ready": True}]}}
        assert matches({"spec": {"~.(containers)": {"ready": True}}}, actual)
        actual["spec"]["containers"][1]["ready"] = False
        assert paths({"spec": {"~.(containers)": {"ready": True}}}, actual) == [
            "spec.~.(containers)[1].ready"
        ]

    def test_invalid_expression_is_a_clean_error(self) -> None:
        with pytest.raises(PykroError, match="invalid JMESPath"):
            match({"(conditions[?type ==)": 1}, {})

    def test_unknown_engine_rejected(self) -> None:
        with pytest.raises(PykroError, match="only JMESPath"):
            match({"(cel;object.x)": 1}, {})


class TestBindingSubstitution:
    def test_bindings_outside_literals_only(self) -> None:
        text = substitute_bindings("a == $ns && b == '$ns'", {"ns": "x"})
        assert text == "a == `\"x\"` && b == '$ns'"

    @given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30))
    def test_any_bound_string_round_trips(self, value: str) -> None:
        # An expected scalar written `(...)` is itself an expression and `\\...\\` an escape: not literals.
        assume(
            not (value.startswith("(") and value.endswith(")"))
            and not re.fullmatch(r"\\.+\\", value, re.DOTALL)
        )
        assert matches({"($v)": value}, {}, {"v": value})


def _expression_keys(node: Any) -> list[str]:
    if isinstance(node, dict):
        out = [k for k in node if isinstance(k, str) and k.startswith("(")]
        for v in node.values():
            out.extend(_expression_keys(v))
        return out
    if isinstance(node, list):
        return [k for item in node for k in _expression_keys(item)]
    return []


def _assert_files() -> list[Path]:
    files = []
    for test_file in sorted(E2E.glob("*/chainsaw-test.yaml")):
        doc = yaml.safe_load(test_file.read_text())
        for step in doc["spec"]["steps"]:
            for op in step.get("try", []):
                body = op.get("assert") or op.get("error")
                if body and "file" in body:
                    files.append(test_file.parent / body["file"])
    return sorted(set(files))


def test_every_expression_key_in_upstream_asserts_works() -> None:
    """Each `(expr)` key in kro's assert files evaluates, passes on a Ready object and fails on a NotReady
    one."""
    forms: set[str] = set()
    for path in _assert_files():
        for doc in yaml.safe_load_all(path.read_text()):
            status = (doc or {}).get("status") or {}
            for key in _expression_keys(doc):
                forms.add(key)
                expected = {key: status[key]}
                ready = {
                    "conditions": [
                        dict(c, **want) for c, want in zip(READY_CONDITIONS[1:], status[key], strict=True)
                    ]
                }
                assert match(expected, ready) == [], (path, key)
                not_ready = {"conditions": [{**ready["conditions"][0], "status": "False"}]}
                assert match(expected, not_ready), (path, key)
    assert forms == {"(conditions[?type == 'Ready'])"}, (
        "a new expression form appeared upstream: add a test for it"
    )
