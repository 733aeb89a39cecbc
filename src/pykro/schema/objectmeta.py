"""The full ObjectMeta schema, with its references inlined."""

from __future__ import annotations

import copy
import functools
from typing import Any

from pykro.schema.builtin import OBJECT_META, REF_PREFIX, builtin_definitions, effective_version
from pykro.schema.lazy import SchemaView, materialize


@functools.cache
def _object_meta(version: str) -> dict[str, Any]:
    definitions = builtin_definitions(version)
    return materialize(SchemaView({"$ref": REF_PREFIX + OBJECT_META}, definitions))


def object_meta_schema(kubernetes_version: str | None = None) -> dict[str, Any]:
    """ObjectMeta (name, namespace, uid, resourceVersion, labels, ownerReferences, managedFields, ...) as a
    plain structural schema: `creationTimestamp` is a date-time string, `generation` an int64, and so on.
    A fresh copy each call, free to mutate."""
    # Keyed by the canonical version so "1.33", "v1.33.0" and None (the default) share one entry.
    return copy.deepcopy(_object_meta(effective_version(kubernetes_version)))
