"""Secondary indexes of one resource's objects: by namespace and by label.

They only narrow a LIST to candidates; the caller still applies the full selector to each candidate,
so an index can never make a list wrong, only (if it missed an object) incomplete, which the
store prevents by updating the index on every put and remove.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pykro.apiserver.machinery.selectors import Requirement

Key = tuple[str, str]  # (namespace, name)
Obj = dict[str, Any]


def _labels_of(obj: Mapping[str, Any]) -> dict[str, Any]:
    labels = obj["metadata"].get("labels")
    if not isinstance(labels, Mapping):
        return {}
    return {str(k): v for k, v in labels.items()}


class ResourceIndex:
    """The objects of one resource, reachable by (namespace, name), by namespace and by label."""

    def __init__(self) -> None:
        self.objects: dict[Key, Obj] = {}
        self._namespaces: dict[str, dict[str, Obj]] = {}
        self._by_pair: dict[tuple[str, str], set[Key]] = {}
        self._by_label_key: dict[str, set[Key]] = {}
        # The labels each object was indexed under, so a removal undoes exactly what was added even
        # if the stored object was changed in place since.
        self._indexed: dict[Key, dict[str, Any]] = {}

    def put(self, key: Key, obj: Obj) -> None:
        self.remove(key)
        self.objects[key] = obj
        self._namespaces.setdefault(key[0], {})[key[1]] = obj
        labels = _labels_of(obj)
        self._indexed[key] = labels
        for label, value in labels.items():
            self._by_label_key.setdefault(label, set()).add(key)
            if isinstance(value, str):  # selectors only ever match string values
                self._by_pair.setdefault((label, value), set()).add(key)

    def remove(self, key: Key) -> None:
        if self.objects.pop(key, None) is None:
            return
        in_namespace = self._namespaces[key[0]]
        del in_namespace[key[1]]
        if not in_namespace:
            del self._namespaces[key[0]]
        for label, value in self._indexed.pop(key).items():
            _discard(self._by_label_key, label, key)
            if isinstance(value, str):
                _discard(self._by_pair, (label, value), key)

    def items(self, namespace: str | None = None) -> list[Obj]:
        """Objects in (namespace, name) order; in one namespace, in proportion to its size."""
        if namespace is None:
            return [self.objects[k] for k in sorted(self.objects)]
        objs = self._namespaces.get(namespace, {})
        return [objs[name] for name in sorted(objs)]

    def candidates(self, namespace: str | None, requirements: Iterable[Requirement]) -> list[Obj]:
        """A superset of the objects matching `requirements` in `namespace`, in (namespace, name)
        order: the smallest of the namespace and the label postings of each `=`, `in` and `exists`
        requirement (the others can't be answered from an index and are left to the caller)."""
        best: set[Key] | None = None
        best_size = len(self.objects) if namespace is None else len(self._namespaces.get(namespace, {}))
        for req in requirements:
            postings = self._postings(req)
            if postings is None:
                continue
            size = sum(len(p) for p in postings)
            if size < best_size:
                best, best_size = set().union(*postings), size
        if best is None:
            return self.items(namespace)
        keys = sorted(k for k in best if namespace is None or k[0] == namespace)
        return [self.objects[k] for k in keys]

    def _postings(self, req: Requirement) -> list[set[Key]] | None:
        if req.op in ("=", "in"):
            return [self._by_pair.get((req.key, v), set()) for v in req.values]
        if req.op == "exists":
            return [self._by_label_key.get(req.key, set())]
        return None


def _discard(index: dict[Any, set[Key]], entry: object, key: Key) -> None:
    keys = index.get(entry)
    if keys is not None:
        keys.discard(key)
        if not keys:
            del index[entry]
