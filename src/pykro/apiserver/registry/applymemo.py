"""Recognizing a repeated server-side apply without redoing it.

Apply is idempotent: applying the configuration that produced (or left unchanged) an object's
current resourceVersion again, as the same manager, changes nothing. Controllers re-apply their
whole desired state on every reconcile, so this is the common case; remembering, per object and
manager, a digest of the last request and the resourceVersion it left answers it without parsing
or merging. The digest covers everything the outcome depends on: the body bytes, `force`, the
subresource and the served schemas' generation (a CRD update can change what an apply means).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

Key = tuple[str, str, str, str, str, str]  # group, resource, namespace, name, subresource, manager


class ApplyMemo:
    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._last: OrderedDict[Key, tuple[bytes, str]] = OrderedDict()

    @staticmethod
    def digest(body: bytes, force: bool, schema_generation: int) -> bytes:
        h = hashlib.blake2b(body, digest_size=16)
        h.update(f"|{force}|{schema_generation}".encode())
        return h.digest()

    def unchanged(self, key: Key, digest: bytes, resource_version: str) -> bool:
        """True when this exact request last left the object at `resource_version`."""
        return self._last.get(key) == (digest, resource_version)

    def remember(self, key: Key, digest: bytes, resource_version: str) -> None:
        self._last[key] = (digest, resource_version)
        self._last.move_to_end(key)
        while len(self._last) > self.size:
            self._last.popitem(last=False)
