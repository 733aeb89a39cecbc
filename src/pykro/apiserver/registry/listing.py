"""LIST semantics: label and field selectors, and paging with `limit`/`continue`, as kube-apiserver
answers them (a continue token carries the resourceVersion of the first page)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from pykro.apiserver.machinery.selectors import parse_field_selector, parse_label_selector
from pykro.apiserver.machinery.status import bad_request
from pykro.apiserver.registry.kinds import ServedKind
from pykro.apiserver.storage.store import Store

Obj = dict[str, Any]


@dataclass
class ListQuery:
    """The query parameters of a LIST (or DELETE collection)."""

    namespace: str | None = None
    label_selector: str | None = None
    field_selector: str | None = None
    limit: str | None = None
    continue_token: str | None = None


@dataclass
class Page:
    items: list[Obj]
    metadata: dict[str, Any] = field(default_factory=dict)


def select(store: Store, kind: ServedKind, query: ListQuery) -> tuple[list[Obj], bool]:
    """The objects matching the selectors, in storage order; and whether any selector was given."""
    labels = parse_label_selector(query.label_selector)
    fields = parse_field_selector(query.field_selector)
    namespace = query.namespace if kind.namespaced else None
    pinned_ns = fields.exact("metadata.namespace")
    if namespace is None and pinned_ns is not None and kind.namespaced:
        namespace = pinned_ns
    pinned_name = fields.exact("metadata.name")
    if pinned_name is not None and (namespace is not None or not kind.namespaced):
        found = store.get(kind.gr, namespace or "", pinned_name)
        candidates = [] if found is None else [found]
    else:
        candidates = store.candidates(kind.gr, namespace, labels.requirements)
    items = [o for o in candidates if labels.matches(o["metadata"].get("labels")) and fields.matches(o)]
    return items, not (labels.empty and not fields.requirements)


def list_page(store: Store, kind: ServedKind, query: ListQuery) -> Page:
    """One page of a LIST: the selected objects after the continue token, at most `limit` of them."""
    rv = store.rv
    items, selective = select(store, kind, query)
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    token = query.continue_token
    if token:
        try:
            state = json.loads(base64.urlsafe_b64decode(token.encode()))
            start = (str(state["ns"]), str(state["name"]))
            meta["resourceVersion"] = str(state["rv"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise bad_request(f"invalid continue token {token!r}") from None
        items = [o for o in items if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > start]
    if query.limit:
        try:
            limit = int(query.limit)
        except ValueError:
            raise bad_request(f"invalid limit {query.limit!r}") from None
        if 0 < limit < len(items):
            last = items[limit - 1]["metadata"]
            state = {
                "rv": int(meta["resourceVersion"]),
                "ns": last.get("namespace", ""),
                "name": last["name"],
            }
            meta["continue"] = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
            if not selective:  # kube-apiserver can't count selected items
                meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
    return Page(items, meta)
