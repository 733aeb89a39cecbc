"""`pykro generate instance`: samples of every upstream RGD validate, the emulator's rules, bad input."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pykro.apiserver import EmbeddedAPIServer
from pykro.apiserver.admission.validation import validate
from pykro.cli.emulator import sample_value
from pykro.cli.generate import command
from pykro.cli.regex_sample import UnsupportedPattern, compile_pattern, sample
from tests.apiserver.conftest import Api
from tests.cli.test_generate import example_files

RGD_HEAD = "apiVersion: kro.run/v1alpha1\nkind: ResourceGraphDefinition\nmetadata: {name: sample}\n"


def invoke(*args: str) -> tuple[str, str]:
    result = CliRunner().invoke(command, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def instances(path: Path, *extra: str) -> list[dict[str, Any]]:
    out, err = invoke("instance", str(path), *extra)
    assert err == ""
    return [d for d in yaml.safe_load_all(out) if d]


def crds(path: Path, *extra: str) -> list[dict[str, Any]]:
    out, _ = invoke("crd", str(path), *extra)
    return [d for d in yaml.safe_load_all(out) if d]


def write_rgd(tmp_path: Path, spec: str, scope: str = "") -> Path:
    path = tmp_path / "rgd.yaml"
    path.write_text(
        RGD_HEAD + f"spec:\n  schema:\n    apiVersion: v1alpha2\n    kind: DemoApp\n{scope}    spec:\n{spec}"
    )
    return path


@pytest.mark.parametrize("path", example_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_sample_validates_against_its_crd(path: Path) -> None:
    siblings = [str(p) for p in sorted(path.parent.glob("*.yaml")) if p != path and "assert" not in p.name]
    schemas = [arg for sibling in siblings for arg in ("--schemas", sibling)]
    generated = crds(path, *schemas)
    samples = instances(path, "--seed", "7", *schemas)
    assert len(samples) == len(generated)
    for crd, obj in zip(generated, samples, strict=True):
        (version,) = crd["spec"]["versions"]
        names = crd["spec"]["names"]
        assert (
            obj["apiVersion"] == f"{crd['spec']['group']}/{version['name']}" and obj["kind"] == names["kind"]
        )
        assert obj["metadata"]["name"] == f"{names['kind'].lower()}-sample"
        assert obj["metadata"].get("namespace") == (
            "default" if crd["spec"]["scope"] == "Namespaced" else None
        )
        assert "status" not in obj and isinstance(obj["spec"], dict)
        assert validate(obj, None, version["schema"]["openAPIV3Schema"]) == []


def test_seed_makes_the_sample_deterministic(tmp_path: Path) -> None:
    path = write_rgd(tmp_path, "      name: string\n      size: integer\n      tags: '[]string'\n")
    first = invoke("instance", str(path), "--seed", "42")
    assert invoke("instance", "-f", str(path), "--seed", "42") == first
    seeds = {invoke("instance", str(path), "--seed", str(seed))[0] for seed in range(5)}
    assert len(seeds) > 1


def test_emulator_rules_on_a_generated_crd(tmp_path: Path) -> None:
    path = write_rgd(
        tmp_path,
        (
            "      name: string\n"
            '      tier: string | enum="gold,silver,bronze"\n'
            "      replicas: integer | minimum=3 maximum=7\n"
            "      big: integer | minimum=20000\n"
            "      ratio: float\n"
            "      enabled: boolean\n"
            "      ports: '[]integer | minItems=2 maxItems=4'\n"
            "      labels: 'map[string]string'\n"
            '      image: string | default="nginx"\n'
            '      nested:\n        host: string | pattern="^[a-z]{3}-[0-9]{2}$"\n'
            "        code: string | minLength=20 maxLength=25\n"
            '      even: integer | validation="self % 2 == 0"\n'
        ),
    )
    (crd,) = crds(path)
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for seed in range(10):
        (obj,) = instances(path, "--seed", str(seed), "-o", "json")
        spec = obj["spec"]
        assert re.fullmatch(r"dummy-string-\d{1,3}", spec["name"]) and 0 <= int(spec["name"][13:]) < 1000
        assert spec["tier"] in {"gold", "silver", "bronze"}
        assert 3 <= spec["replicas"] < 7 and 20000 <= spec["big"]
        assert isinstance(spec["ratio"], float) and 0 <= spec["ratio"] < 100
        assert isinstance(spec["enabled"], bool)
        assert 2 <= len(spec["ports"]) <= 4 and all(0 <= p < 10000 for p in spec["ports"])
        assert len(spec["labels"]) == 1 and all(isinstance(v, str) for v in spec["labels"].values())
        assert spec["image"] == "nginx"
        assert re.fullmatch(r"[a-z]{3}-[0-9]{2}", spec["nested"]["host"])
        assert 20 <= len(spec["nested"]["code"]) <= 25
        assert spec["even"] % 2 == 0
        assert validate(obj, None, schema) == []


def test_cluster_scoped_kind_has_no_namespace(tmp_path: Path) -> None:
    (obj,) = instances(
        write_rgd(tmp_path, "      name: string\n", scope="    scope: Cluster\n"), "--seed", "1"
    )
    assert obj["metadata"] == {"name": "demoapp-sample"}


def test_unsatisfiable_pattern_warns_but_still_prints(tmp_path: Path) -> None:
    # A valid Go regexp the sampler cannot build strings for (word boundaries).
    path = write_rgd(tmp_path, '      pair: string | pattern="^\\\\bab\\\\b$"\n')
    out, err = invoke("instance", str(path), "--seed", "1")
    (obj,) = [d for d in yaml.safe_load_all(out) if d]
    assert obj["spec"]["pair"].startswith("dummy-string-")
    assert err.startswith(
        "warning: demoapp-sample: sample does not satisfy the schema: spec.pair: Invalid value"
    )


def test_int_or_string_gives_an_integer() -> None:
    schema = {"x-kubernetes-int-or-string": True, "minimum": 5, "maximum": 9}
    values = {sample_value(schema, random.Random(seed)) for seed in range(30)}
    assert values <= set(range(5, 9)) and len(values) > 1


def test_one_of_picks_a_branch() -> None:
    schema = {
        "type": "object",
        "oneOf": [{"properties": {"a": {"type": "string"}}}, {"properties": {"b": {"type": "boolean"}}}],
    }
    shapes = {tuple(sample_value(schema, random.Random(seed))) for seed in range(30)}
    assert shapes == {("a",), ("b",)}


def test_one_of_required_branches_match_exactly_one() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "integer"}},
        "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
    }
    for seed in range(20):
        value = sample_value(schema, random.Random(seed))
        assert ("a" in value) != ("b" in value) and "c" in value


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    low=st.integers(-(10**6), 10**6),
    width=st.integers(1, 10**6),
    exclusive=st.booleans(),
)
def test_integers_fall_in_min_max(seed: int, low: int, width: int, exclusive: bool) -> None:
    schema = {"type": "integer", "minimum": low, "maximum": low + width, "exclusiveMinimum": exclusive}
    value = sample_value(schema, random.Random(seed))
    assert validate({"v": value}, None, {"type": "object", "properties": {"v": schema}}) == []
    # [min, max) as upstream, unless the exclusive minimum leaves only the maximum itself
    assert value < low + width or (exclusive and width == 1)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32), low=st.floats(-1e6, 1e6), width=st.floats(0.01, 1e6))
def test_numbers_fall_in_min_max(seed: int, low: float, width: float) -> None:
    value = sample_value({"type": "number", "minimum": low, "maximum": low + width}, random.Random(seed))
    assert isinstance(value, float) and low <= value <= low + width


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32), low=st.integers(0, 6), extra=st.integers(0, 6), unique=st.booleans())
def test_arrays_honour_item_bounds(seed: int, low: int, extra: int, unique: bool) -> None:
    schema = {
        "type": "array",
        "items": {"type": "integer"},
        "minItems": low,
        "maxItems": low + extra,
        "uniqueItems": unique,
    }
    value = sample_value(schema, random.Random(seed))
    assert low <= len(value) <= low + extra
    assert not unique or len(set(value)) == len(value)


# pattern -> length of its longest match (None: unbounded), so that length bounds stay satisfiable
PATTERN_MAX_LENGTH: dict[str, int | None] = {
    r"^https?://": None,
    r"^[0-9]+m?$": None,
    r"^[0-9]+(Mi|Gi)$": None,
    r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$": None,
    r"^[a-zA-Z0-9_]+$": None,
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$": None,
    r"(?i)^v[^a-z]{3}\d{2,4}$": 8,
    r"^(?:[01]\d|2[0-3]):[0-5]\d$": 5,
    r"^\w+-\d+\.\s?[A-F\x41-\x43]+$": None,
    r"(?P<major>\d+)\.(?P<minor>\d+)": None,
    r"^[^\s/]+/[^\s/]+$": None,
    r"^arn:aws:iam::\d{12}:role/[\w+=,.@-]{1,64}$": 95,
}
PATTERNS = sorted(PATTERN_MAX_LENGTH)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32), pattern=st.sampled_from(PATTERNS), min_length=st.integers(0, 12))
def test_strings_match_pattern_and_lengths(seed: int, pattern: str, min_length: int) -> None:
    min_length = min(min_length, PATTERN_MAX_LENGTH[pattern] or min_length)
    schema = {"type": "string", "pattern": pattern, "minLength": min_length, "maxLength": min_length + 60}
    value = sample_value(schema, random.Random(seed))
    assert validate({"v": value}, None, {"type": "object", "properties": {"v": schema}}) == []


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32), pattern=st.sampled_from(PATTERNS))
def test_regex_sampler_matches(seed: int, pattern: str) -> None:
    assert re.search(pattern, sample(compile_pattern(pattern), random.Random(seed)))


_CLASS_ITEMS = st.sampled_from(["a-z", "A-F", "0-9", "_", r"\.", r"\-", r"\d", r"\w", "%+", r"\x41-\x43"])
_ATOMS = st.one_of(
    st.sampled_from(list("abcXYZ019_-/:@")),
    st.sampled_from([r"\.", r"\+", r"\(", r"\d", r"\w", r"\s", r"\D", r"\W", r"\S", ".", r"\x2e"]),
    st.builds(
        lambda neg, items: f"[{neg}{''.join(items)}]",
        st.sampled_from(["", "^"]),
        st.lists(_CLASS_ITEMS, min_size=1, max_size=3),
    ),
)
_QUANTIFIERS = st.sampled_from(["", "", "*", "+", "?", "{2}", "{1,3}", "{2,}", "*?", "+?", "{0,2}?"])
# Groups repeat boundedly: nested unbounded repeats make Python's backtracking matcher exponential.
_GROUP_QUANTIFIERS = st.sampled_from(["", "", "?", "{2}", "{1,2}", "??"])


def _regexes() -> st.SearchStrategy[str]:
    """Random regexes of the supported subset: atoms, quantifiers, groups and alternation, nested."""

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        group = st.builds(
            lambda kind, alts, q: f"({kind}{'|'.join(alts)}){q}",
            st.sampled_from(["", "?:"]),
            st.lists(inner, min_size=1, max_size=3),
            _GROUP_QUANTIFIERS,
        )
        return st.builds("".join, st.lists(group | inner, min_size=1, max_size=4))

    return st.recursive(st.builds(lambda a, q: a + q, _ATOMS, _QUANTIFIERS), extend, max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32), body=_regexes(), anchored=st.booleans(), ignore_case=st.booleans())
def test_regex_sampler_matches_random_regexes(
    seed: int, body: str, anchored: bool, ignore_case: bool
) -> None:
    pattern = ("(?i)" if ignore_case else "") + (f"^(?:{body})$" if anchored else body)
    text = sample(compile_pattern(pattern), random.Random(seed))
    assert re.fullmatch(pattern, text), (pattern, text)


@pytest.mark.parametrize(
    "pattern",
    [
        r"(?=a)b",
        r"(a)\1",
        r"\bword",
        r"a)",
        r"(a",
        r"[a",
        r"*a",
        r"\p{L}",
        "[a\\",
        "[a-\\",
        r"\x{41",
        r"a\x{",
    ],
)
def test_regex_sampler_rejects_what_it_cannot_model(pattern: str) -> None:
    with pytest.raises(UnsupportedPattern):
        compile_pattern(pattern)


@settings(max_examples=300, deadline=2000)
@given(pattern=st.text(alphabet=r"ab-^$.*+?|()[]{}\:,0129xdPp<=!>i²", max_size=16))
@example(pattern="a{²}")  # "²" passes str.isdigit() but not int()
@example(pattern="a{1,²}")
@example(pattern="\\²")
def test_regex_sampler_parses_or_rejects_any_text(pattern: str) -> None:
    """Arbitrary text either parses or raises `UnsupportedPattern`, never another exception."""
    try:
        compile_pattern(pattern)
    except UnsupportedPattern:
        pass


@pytest.mark.parametrize(
    "fmt",
    ["date-time", "date", "uuid", "ipv4", "ipv6", "cidr", "email", "hostname", "byte", "mac", "duration"],
)
def test_formats_validate(fmt: str) -> None:
    schema = {"type": "string", "format": fmt}
    for seed in range(20):
        value = sample_value(schema, random.Random(seed))
        assert validate({"v": value}, None, {"type": "object", "properties": {"v": schema}}) == [], value


def test_file_given_twice_or_not_at_all_is_a_usage_error(tmp_path: Path) -> None:
    path = write_rgd(tmp_path, "      name: string\n")
    for args in (["instance"], ["instance", str(path), "-f", str(path)]):
        result = CliRunner().invoke(command, args)
        assert result.exit_code == 2 and "give the RGD file exactly once" in result.output


async def test_api_server_accepts_every_example_sample() -> None:
    """The embedded API server (defaulting, pruning, validation, CEL rules) creates each sample as printed.
    Each file's CRDs move to their own group, since two example files declare the same kind."""
    async with EmbeddedAPIServer(workloads=False) as server, aiohttp.ClientSession() as session:
        api = Api(server, session)
        for n, path in enumerate(example_files()):
            schemas = [
                arg
                for p in sorted(path.parent.glob("*.yaml"))
                if p != path and "assert" not in p.name
                for arg in ("--schemas", str(p))
            ]
            for crd, obj in zip(
                crds(path, *schemas), instances(path, "--seed", str(n), *schemas), strict=True
            ):
                group = f"sample{n}.example.com"
                crd["spec"]["group"] = group
                crd["metadata"]["name"] = f"{crd['spec']['names']['plural']}.{group}"
                obj["apiVersion"] = f"{group}/{obj['apiVersion'].split('/')[1]}"
                status, body = await api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
                assert status == 201, body
                scope = "namespaces/default/" if "namespace" in obj["metadata"] else ""
                status, body = await api.post(
                    f"/apis/{obj['apiVersion']}/{scope}{crd['spec']['names']['plural']}", obj
                )
                assert status == 201, (path, body)
                assert body["spec"] == {
                    **body["spec"],
                    **obj["spec"],
                }  # kept as sent (defaults may add fields)
