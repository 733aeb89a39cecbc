"""kro's own functions (spec §3.5): hash, json, merge/deepMerge, random, omit."""

from __future__ import annotations

import hashlib

import pytest
from cel_expr_python import cel
from hypothesis import given, settings
from hypothesis import strategies as st

from pykro.cel.library import is_omit

from .celenv import EvalError, compile_error, error, evaluate

S = cel.Type.STRING


# --- hash ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "digest"),
    [
        # Published FNV-1a 64-bit test vectors (Fowler/Noll/Vo reference test suite).
        ("", "cbf29ce484222325"),
        ("a", "af63dc4c8601ec8c"),
        ("foobar", "85944171f73967e8"),
    ],
)
def test_fnv64a_matches_reference_vectors(text: str, digest: str) -> None:
    assert bytes(evaluate("hash.fnv64a(s)", s=(S, text))).hex() == digest


def test_sha256_and_md5_digests_of_known_inputs() -> None:
    assert bytes(evaluate("hash.sha256('')")).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert bytes(evaluate("hash.md5('')")).hex() == "d41d8cd98f00b204e9800998ecf8427e"
    assert evaluate("size(hash.sha256('app'))") == 32
    assert evaluate("size(hash.md5('app'))") == 16


def test_hash_composes_with_base64_like_the_upstream_example() -> None:
    expected = __import__("base64").b64encode(hashlib.sha256(b"app").digest()).decode()
    assert (
        evaluate(
            "base64.encode(hash.sha256(schema.spec.name))",
            schema=(cel.Type.Map(S, cel.Type.DYN), {"spec": {"name": "app"}}),
        )
        == expected
    )


# --- json ---------------------------------------------------------------------------------------


def test_json_unmarshal_numbers_become_doubles() -> None:
    assert evaluate('json.unmarshal(\'{"exampleJSONKey": "exampleJSONValue"}\').exampleJSONKey') == (
        "exampleJSONValue"
    )
    value = evaluate('json.unmarshal(\'[1, 2.5, true, null, {"a": "b"}]\')')
    assert value == [1.0, 2.5, True, None, {"a": "b"}]
    assert isinstance(value[0], float)
    assert evaluate("type(json.unmarshal('3')) == double") is True


@pytest.mark.parametrize("text", ["{", "[1,]", "NaN", '{"a": 1} x', ""])
def test_json_unmarshal_invalid_json_is_an_error(text: str) -> None:
    assert "json.unmarshal failed to parse JSON: " in error("json.unmarshal(s)", s=(S, text))


def test_json_marshal_matches_go_encoding() -> None:
    assert evaluate("json.marshal({'name': 'app'})") == '{"name":"app"}'
    # Go sorts map keys, writes no spaces and escapes <, > and & in strings.
    assert evaluate("json.marshal({'b': 1, 'a': [true, null, 'x<y>&z']})") == (
        '{"a":[true,null,"x\\u003cy\\u003e\\u0026z"],"b":1}'
    )
    # Go prints floats with the shortest representation and no trailing ".0".
    assert evaluate("json.marshal([1.0, 2.5, 1e21, 1e20, 0.000001, 1e-7, -0.0])") == (
        "[1,2.5,1e+21,100000000000000000000,0.000001,1e-7,-0]"
    )
    assert evaluate("json.marshal(b'hi')") == '"aGk="'
    assert evaluate("json.marshal(timestamp('2024-01-02T03:04:05Z'))") == '"2024-01-02T03:04:05Z"'


def test_json_round_trip_through_unmarshal() -> None:
    assert (
        evaluate(
            "json.unmarshal(json.marshal(m)) == m",
            m=(cel.Type.Map(S, cel.Type.DYN), {"a": [1.5, "x"], "b": {"c": None}}),
        )
        is True
    )


def test_json_marshal_rejects_non_finite_numbers() -> None:
    assert "unsupported value: NaN" in error("json.marshal(0.0 / 0.0)")


# --- maps ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # Examples from upstream's maps.go documentation (second map wins).
        ("{}.merge({})", {}),
        ("{}.merge({'a': 1})", {"a": 1}),
        ("{'a': 1}.merge({})", {"a": 1}),
        ("{'a': 1}.merge({'b': 2})", {"a": 1, "b": 2}),
        ("{'a': 1}.merge({'a': 2, 'b': 2})", {"a": 2, "b": 2}),
    ],
)
def test_merge_is_shallow_and_second_map_wins(expr: str, expected: dict[str, int]) -> None:
    assert evaluate(expr) == expected


def test_merge_on_typed_label_maps() -> None:
    labels = (cel.Type.Map(S, S), {"app": "web", "tier": "a"})
    assert evaluate("labels.merge({'tier': 'b'})", labels=labels) == {"app": "web", "tier": "b"}


def test_deep_merge_merges_nested_maps_and_replaces_lists() -> None:
    base = (cel.Type.Map(S, cel.Type.DYN), {"a": {"x": 1, "y": [1, 2]}, "b": 1})
    assert evaluate("base.deepMerge({'a': {'y': [3], 'z': 2}, 'c': 3})", base=base) == {
        "a": {"x": 1, "y": [3], "z": 2},
        "b": 1,
        "c": 3,
    }
    assert evaluate("base.deepMerge({})", base=base) == base[1]
    assert evaluate("{}.deepMerge(base)", base=base) == base[1]
    assert evaluate("{'a': {'x': 1}}.deepMerge({'a': 'scalar'})") == {"a": "scalar"}


# --- random -------------------------------------------------------------------------------------


def _spec_seeded_string(length: int, seed: str) -> str:
    """Spec §3.5 algorithm, written out independently of the implementation."""
    h = hashlib.sha256(seed.encode()).digest()
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "".join(
        alphabet[int.from_bytes(h[(i * 4) % 32 : (i * 4) % 32 + 4], "big") % 36] for i in range(length)
    )


def test_seeded_string_properties_from_upstream_tests() -> None:
    for length in (10, 20):
        result = evaluate(f"random.seededString({length}, 'test-seed')")
        assert len(result) == length
        assert set(result) <= set("0123456789abcdefghijklmnopqrstuvwxyz")
        assert result == evaluate(f"random.seededString({length}, 'test-seed')")
        assert result != evaluate(f"random.seededString({length}, 'different-seed')")


def test_seeded_string_follows_the_spec_algorithm_and_repeats_with_period_8() -> None:
    uid = "0f3b1c7e-8d2a-4e55-9a61-2b7c9d0e4f13"
    result = evaluate(
        "random.seededString(20, schema.metadata.uid)", schema=(cel.Type.DYN, {"metadata": {"uid": uid}})
    )
    assert result == _spec_seeded_string(20, uid)
    assert result[:8] == result[8:16]


@pytest.mark.parametrize("length", [0, -1])
def test_seeded_string_rejects_non_positive_length(length: int) -> None:
    assert "random.seededString length must be positive" in error(f"random.seededString({length}, 'x')")


def test_seeded_string_type_errors_at_compile_time() -> None:
    assert "no matching overload" in compile_error("random.seededString('10', 'test-seed')")
    assert "no matching overload" in compile_error("random.seededString(10, 123)")
    # cel-cpp reports a namespaced function called with the wrong arity as an undeclared reference
    # (cel-go says "found no matching overload"); either way it is rejected at compile time.
    assert "seededString" in compile_error("random.seededString(10)")


@pytest.mark.parametrize(("low", "high"), [(0, 100), (30000, 32768), (-100, -50), (0, 1000000)])
def test_seeded_int_is_in_range_and_follows_the_spec(low: int, high: int) -> None:
    result = evaluate(f"random.seededInt({low}, {high}, 'my-service')")
    assert low <= result < high
    v = int.from_bytes(hashlib.sha256(b"my-service").digest()[:8], "big")
    assert result == low + v % (high - low)


def test_seeded_int_edge_cases() -> None:
    assert evaluate("random.seededInt(5, 6, 'seed')") == 5
    assert evaluate("random.seededInt(0, 1000000, 'seed-a')") != evaluate(
        "random.seededInt(0, 1000000, 'seed-b')"
    )
    for args in ("5, 5", "10, 5"):
        assert "random.seededInt min must be less than max" in error(f"random.seededInt({args}, 'seed')")
    # The full int64 range does not overflow (Go's wrap-around arithmetic).
    full = evaluate("random.seededInt(-9223372036854775808, 9223372036854775807, 's')")
    assert -(2**63) <= full < 2**63 - 1


@settings(max_examples=50, deadline=None)
@given(st.integers(-(2**40), 2**40), st.integers(1, 2**40), st.text(max_size=20))
def test_seeded_int_always_within_bounds(low: int, width: int, seed: str) -> None:
    result = evaluate(
        "random.seededInt(a, b, s)", a=(cel.Type.INT, low), b=(cel.Type.INT, low + width), s=(S, seed)
    )
    assert low <= result < low + width


# --- omit ---------------------------------------------------------------------------------------


def test_omit_requires_the_flag() -> None:
    assert "undeclared reference to 'omit'" in compile_error("omit()")
    assert is_omit(evaluate("omit()", enable_omit=True))
    assert is_omit(evaluate("true ? omit() : 'x'", enable_omit=True))
    assert not is_omit(evaluate("{'a': true}", enable_omit=True))


def test_eval_error_type_is_raised_for_errors() -> None:
    with pytest.raises(EvalError):
        evaluate("random.seededInt(1, 1, 'x')")
