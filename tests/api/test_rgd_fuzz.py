"""Fuzzing parse_rgd: any document shape ends in a model or a clean `PykroError` with located problems."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykro.api.rgd import parse_rgd
from pykro.errors import PykroError
from tests.api.test_rgd import BASE

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=8),
    st.sampled_from(["${x}", "Name", "v1", "kro.run", "Cluster", "deployment", "self"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda kids: st.one_of(
        st.lists(kids, max_size=3), st.dictionaries(st.text(max_size=6), kids, max_size=3)
    ),
    max_leaves=10,
)
_PATHS = st.sampled_from(
    [
        (),
        ("metadata",),
        ("spec",),
        ("spec", "schema"),
        ("spec", "schema", "kind"),
        ("spec", "schema", "shortNames"),
        ("spec", "schema", "additionalPrinterColumns"),
        ("spec", "schema", "metadata"),
        ("spec", "resources"),
        ("spec", "resources", 0),
        ("spec", "resources", 0, "forEach"),
        ("spec", "resources", 1, "externalRef"),
        ("spec", "resources", 1, "externalRef", "metadata"),
        ("spec", "resources", 2, "readyWhen"),
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_PATHS, _VALUES), min_size=1, max_size=3))
def test_parse_rgd_never_crashes(replacements: list[tuple[tuple[Any, ...], Any]]) -> None:
    doc: Any = copy.deepcopy(BASE)
    for path, value in replacements:
        if not path:
            doc = value
            continue
        target = doc
        try:
            for part in path[:-1]:
                target = target[part]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    try:
        parse_rgd(doc)
    except PykroError as err:
        assert err.problems and all(p.message for p in err.problems)


_YAML_PIECES = st.sampled_from(
    [
        "a",
        ":",
        " ",
        "\n",
        "- ",
        "[",
        "]",
        "{",
        "}",
        "'",
        '"',
        "!!",
        "&x",
        "*x",
        "---",
        "#",
        "kind",
        "ResourceGraphDefinition",
        "spec",
        "? ",
        "|",
        "\t",
        ",",
        "1",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=40), st.lists(_YAML_PIECES, max_size=20).map("".join)))
def test_parse_rgd_yaml_text_never_crashes(text: str) -> None:
    try:
        parse_rgd(text, source="fuzz.yaml")
    except PykroError as err:
        assert all(line.startswith("fuzz.yaml") for line in err.lines())
