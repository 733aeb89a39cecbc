"""The full ObjectMeta schema, with its references inlined."""

from __future__ import annotations

import copy
import functools
from typing import Any

from pykro.schema.builtin import OBJECT_META, REF_PREFIX, builtin_definitions
from pykro.schema.lazy import SchemaView, materialize


@functools.cache
def _object_meta(version: str | None) -> dict[str, Any]:
    definitions = builtin_definitions(version)
    return materialize(SchemaView({"$ref": REF_PREFIX + OBJECT_META}, definitions))


def object_meta_schema(kubernetes_version: str | None = None) -> dict[str, Any]:
    """ObjectMeta (name, namespace, uid, resourceVersion, labels, ownerReferences, managedFields, ...) as a
    plain structural schema: `creationTimestamp` is a date-time string, `generation` an int64, and so on.
    A fresh copy each call, free to mutate."""
    return copy.deepcopy(_object_meta(kubernetes_version))
