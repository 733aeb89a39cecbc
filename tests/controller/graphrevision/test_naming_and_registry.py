"""GraphRevision names (spec §1.2) and the in-memory revision registry (spec §6.6)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from pykro.api.rgd import parse_rgd
from pykro.controller.revisions.naming import MAX_NAME_LENGTH, fnv32a, revision_name
from pykro.controller.revisions.registry import ACTIVE, FAILED, PENDING, RevisionRegistry
from pykro.graph import build_graph
from pykro.schema.registry import SchemaRegistry
from tests.controller.rgd.helpers import simple_rgd


def test_fnv32a_matches_the_published_vectors() -> None:
    assert fnv32a(b"") == 0x811C9DC5
    assert fnv32a(b"a") == 0xE40C292C
    assert fnv32a(b"foobar") == 0xBF9CF968


def test_short_names_are_rgd_name_and_padded_revision() -> None:
    assert revision_name("web-app", 3) == "web-app-r00003"
    assert revision_name("web-app", 123456) == "web-app-r123456"


@given(st.text(alphabet="ab9.-", min_size=248, max_size=253), st.integers(min_value=1, max_value=10**6))
def test_long_names_are_truncated_with_a_hash_of_the_full_name(rgd: str, revision: int) -> None:
    name = revision_name(rgd, revision)
    assert len(name) <= MAX_NAME_LENGTH
    suffix = f"-r{revision:05d}-{fnv32a(rgd.encode()):08x}"
    assert name.endswith(suffix)
    prefix = name[: -len(suffix)]
    assert (rgd.startswith(prefix) or prefix == "gr") and not re.search(r"[.-]$", prefix)
    # Two long names sharing the kept prefix still get different revision names.
    assert revision_name(rgd + "x", revision) != name


def test_a_name_with_nothing_left_after_trimming_uses_gr() -> None:
    rgd = "-" * 250
    assert revision_name(rgd, 1) == f"gr-r00001-{fnv32a(rgd.encode()):08x}"


def test_registry_tracks_states_and_notifies_the_owner() -> None:
    graph = build_graph(parse_rgd(simple_rgd()), SchemaRegistry())
    registry = RevisionRegistry()
    heard: list[str] = []
    registry.subscribe(heard.append)

    registry.pending("app", 1, "h1")
    assert registry.get("app", 1) is not None and registry.get("app", 1).state == PENDING  # type: ignore[union-attr]
    assert registry.latest_active("app") is None
    registry.activate("app", 1, "h1", graph)
    registry.pending("app", 2, "h2")
    registry.fail("app", 2, "h2", "boom")
    latest = registry.latest_active("app")
    assert latest is not None and latest.revision == 1 and latest.graph is graph and latest.state == ACTIVE
    failed = registry.get("app", 2)
    assert failed is not None and failed.state == FAILED and failed.error == "boom" and failed.graph is None
    assert [e.revision for e in registry.entries("app")] == [1, 2]

    registry.evict("app", 1)
    assert registry.latest_active("app") is None and [e.revision for e in registry.entries("app")] == [2]
    registry.purge("app")
    assert registry.entries("app") == []
    assert heard == ["app"] * 6
    registry.purge("app")  # nothing left: nobody to wake
    assert len(heard) == 6
