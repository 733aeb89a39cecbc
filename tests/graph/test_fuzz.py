"""Random CEL text through the whole compile path: a graph or a clean GraphError, never a crash or hang."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykro.api.rgd import parse_rgd
from pykro.errors import PykroError
from pykro.graph import build_graph
from pykro.schema.registry import SchemaRegistry
from tests.graph.conftest import configmap, rgd_doc

REGISTRY = SchemaRegistry()
TOKENS = st.sampled_from(
    [
        "schema",
        "a",
        "b",
        ".",
        "spec",
        "name",
        "metadata",
        "data",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "+",
        "-",
        "==",
        "?",
        ":",
        "'x'",
        '"y"',
        "1",
        "2.5",
        "true",
        "null",
        ",",
        "size",
        "has",
        "map",
        "x",
        "${",
        "}",
        "$",
        " ",
        "\\",
        "&&",
        ".?",
        "orValue",
        "omit()",
        "runtime",
        "hash.fnv64a",
        "\n",
    ]
)
CEL_TEXT = st.one_of(st.lists(TOKENS, max_size=20).map("".join), st.text(max_size=40))


def _check(doc: dict[str, Any]) -> None:
    try:
        rgd = parse_rgd(doc)
        build_graph(rgd, REGISTRY)
    except PykroError as err:
        assert str(err)
        for line in err.lines():
            assert line


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=CEL_TEXT,
    where=st.sampled_from(["data", "standalone", "includeWhen", "readyWhen", "status", "forEach"]),
)
def test_random_expressions_compile_or_fail_cleanly(text: str, where: str) -> None:
    if where == "data":
        doc = rgd_doc([configmap("a"), configmap("b", {"k": f"v-${{{text}}}"})])
    elif where == "standalone":
        doc = rgd_doc([configmap("a"), configmap("b", {"k": f"${{{text}}}"})])
    elif where == "includeWhen":
        doc = rgd_doc([configmap("a"), configmap("b", includeWhen=[f"${{{text}}}"])])
    elif where == "readyWhen":
        doc = rgd_doc([configmap("a"), configmap("b", readyWhen=[text])])
    elif where == "forEach":
        item = configmap("b", {"k": "${string(it)}"})
        item["template"]["metadata"]["name"] = "b-${it}"
        item["forEach"] = [{"it": f"${{{text}}}"}]
        doc = rgd_doc([configmap("a"), item])
    else:
        doc = rgd_doc([configmap("a")], {"s": f"${{{text}}}"})
    _check(doc)
