"""LIST through the label and namespace index answers exactly what a filter over every object does,
under any sequence of creates, relabels and deletes, and again after a restart from SQLite."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykro.apiserver.machinery.selectors import parse_field_selector, parse_label_selector
from pykro.apiserver.registry.kinds import ServedKind
from pykro.apiserver.registry.listing import ListQuery, list_page
from pykro.apiserver.storage.persistence import SqliteBackend
from pykro.apiserver.storage.store import Store

CONFIGMAPS = ServedKind(
    group="",
    version="v1",
    kind="ConfigMap",
    plural="configmaps",
    singular="configmap",
    namespaced=True,
    subresources=frozenset(),
    short_names=("cm",),
    verbs=("list",),
    categories=(),
    list_kind="ConfigMapList",
)
NAMESPACES = ("", "a", "b")
NAMES = tuple(f"o{i}" for i in range(6))
LABEL_KEYS = ("app", "tier", "x")
LABEL_VALUES = ("1", "2", "web")

labels = st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=3)
# ("put", namespace, name, labels) creates, updates or relabels; ("delete", namespace, name, {}).
operations = st.lists(
    st.tuples(
        st.sampled_from(("put", "put", "delete")),
        st.sampled_from(NAMESPACES[1:]),
        st.sampled_from(NAMES),
        labels,
    ),
    max_size=40,
)
values = st.sampled_from(LABEL_VALUES)
keys = st.sampled_from(LABEL_KEYS)
requirement = st.one_of(
    st.builds(lambda k, v: f"{k}={v}", keys, values),
    st.builds(lambda k, v: f"{k}!={v}", keys, values),
    st.builds(lambda k, vs: f"{k} in ({','.join(sorted(vs))})", keys, st.frozensets(values, min_size=1)),
    st.builds(lambda k, vs: f"{k} notin ({','.join(sorted(vs))})", keys, st.frozensets(values, min_size=1)),
    keys,
    st.builds(lambda k: f"!{k}", keys),
)
selectors = st.lists(requirement, max_size=3).map(",".join)
field_selectors = st.sampled_from(("", "metadata.name=o1", "metadata.namespace=a", "metadata.name!=o2"))


def _brute_force(
    model: dict[tuple[str, str], dict[str, str]],
    namespace: str | None,
    label_selector: str,
    field_selector: str,
) -> list[tuple[str, str]]:
    wanted_labels = parse_label_selector(label_selector)
    wanted_fields = parse_field_selector(field_selector)
    return sorted(
        (ns, name)
        for (ns, name), lbls in model.items()
        if (namespace is None or ns == namespace)
        and wanted_labels.matches(lbls)
        and wanted_fields.matches({"metadata": {"namespace": ns, "name": name}})
    )


def _listed(
    store: Store, namespace: str | None, label_selector: str, field_selector: str
) -> list[tuple[str, str]]:
    query = ListQuery(namespace=namespace, label_selector=label_selector, field_selector=field_selector)
    page = list_page(store, CONFIGMAPS, query)
    return [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in page.items]


def _paged(store: Store, namespace: str | None, label_selector: str, limit: int) -> list[tuple[str, str]]:
    """All pages of a LIST with `limit`, following continue tokens."""
    out: list[tuple[str, str]] = []
    token: str | None = None
    while True:
        query = ListQuery(namespace, label_selector, None, str(limit), token)
        page = list_page(store, CONFIGMAPS, query)
        out += [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in page.items]
        token = page.metadata.get("continue")
        if not token:
            return out


async def _apply(store: Store, ops: list[tuple[str, str, str, dict[str, str]]]) -> dict[tuple[str, str], Any]:
    model: dict[tuple[str, str], dict[str, str]] = {}
    for op, ns, name, lbls in ops:
        prev = store.get(CONFIGMAPS.gr, ns, name)
        if op == "put":
            meta: dict[str, Any] = {"name": name, "namespace": ns}
            if lbls:
                meta["labels"] = dict(lbls)
            await store.put(CONFIGMAPS.gr, {"metadata": meta}, prev)
            model[(ns, name)] = dict(lbls)
        elif prev is not None:
            await store.remove(CONFIGMAPS.gr, prev)
            del model[(ns, name)]
    return model


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=operations,
    label_selector=selectors,
    field_selector=field_selectors,
    namespace=st.sampled_from((None, "a", "b")),
    limit=st.integers(min_value=1, max_value=4),
)
def test_indexed_lists_equal_a_filter_over_all_objects(
    ops: list[tuple[str, str, str, dict[str, str]]],
    label_selector: str,
    field_selector: str,
    namespace: str | None,
    limit: int,
) -> None:
    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(SqliteBackend(Path(tmp) / "db.sqlite", 1000))
            await store.open()
            model = await _apply(store, ops)
            expected = _brute_force(model, namespace, label_selector, field_selector)
            assert _listed(store, namespace, label_selector, field_selector) == expected
            assert _paged(store, namespace, label_selector, limit) == _brute_force(
                model, namespace, label_selector, ""
            )
            await store.close()
            reopened = Store(SqliteBackend(Path(tmp) / "db.sqlite", 1000))
            await reopened.open()
            assert _listed(reopened, namespace, label_selector, field_selector) == expected
            await reopened.close()

    asyncio.run(run())
