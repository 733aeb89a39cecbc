"""Comparisons that let a steady-state reconcile make zero writes (spec §5.7, §5.12)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any


def _normalize(value: Any) -> Any:
    # Integral floats and ints are the same JSON number (the server may return 3 for 3.0).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalize(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    return json.dumps(_normalize(value), sort_keys=True, separators=(",", ":"))


def contains(live: Any, desired: Any) -> bool:
    """Is every field of `desired` already present with the same value in `live`?

    Maps: each desired key must be in live and contained. Lists: same length, element-wise
    contained (the server adds defaults inside elements, e.g. container `protocol`). Scalars:
    equal as JSON numbers/strings.
    """
    if isinstance(desired, Mapping):
        if not isinstance(live, Mapping):
            return False
        return all(k in live and contains(live[k], v) for k, v in desired.items())
    if isinstance(desired, (list, tuple)):
        if not isinstance(live, (list, tuple)) or len(live) != len(desired):
            return False
        return all(contains(a, b) for a, b in zip(live, desired, strict=True))
    if isinstance(desired, bool) or isinstance(live, bool):
        return live is desired
    if isinstance(desired, (int, float)) and isinstance(live, (int, float)):
        return float(live) == float(desired)
    return bool(live == desired)


def comparable(desired: Mapping[str, Any]) -> Mapping[str, Any]:
    """`desired` as the server stores it, for `contains`: a Secret's write-only `stringData`
    is folded into base64 `data`, the only form a read returns."""
    if (
        desired.get("apiVersion") == "v1"
        and desired.get("kind") == "Secret"
        and isinstance(desired.get("stringData"), Mapping)
    ):
        out = {k: v for k, v in desired.items() if k != "stringData"}
        data = dict(desired.get("data") or {})
        for key, text in desired["stringData"].items():
            data[key] = base64.b64encode(str(text).encode()).decode()
        out["data"] = data
        return out
    return desired
