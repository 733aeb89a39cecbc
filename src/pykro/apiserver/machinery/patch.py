"""JSON patch (RFC 6902) and JSON merge patch (RFC 7386) on plain dicts.

Messages follow evanphx/json-patch, which the real API server returns: a malformed patch document is a
400 (`code=400`), an operation that does not apply is a 422.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pykro.errors import PykroError
from pykro.jsontypes import copy_json


class PatchError(PykroError, ValueError):
    """A patch that is malformed (code 400) or does not apply to the object (code 422)."""

    def __init__(self, message: str, code: int = 422) -> None:
        super().__init__(message)
        self.code = code


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON sees it: `true != 1`, `1 == 1.0`."""
    if a is b:
        return True  # (a NaN too: JSON has none, and bodies carrying one are refused)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


# ---------------------------------------------------------------- JSON pointer


def parse_pointer(pointer: Any) -> list[str]:
    """Split an RFC 6901 pointer into unescaped tokens (`~1` is `/`, `~0` is `~`)."""
    if not isinstance(pointer, str):
        raise PatchError(f"path must be a string, got {pointer!r}", 400)
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"JSON pointer {pointer!r} must start with '/'", 400)
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _is_index(token: str) -> bool:
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    return token.isascii() and token.isdigit()


def _index(token: str, size: int, *, allow_end: bool, op: str, pointer: str) -> int:
    if token == "-" and allow_end:
        return size
    if not _is_index(token) or (len(token) > 1 and token[0] == "0"):
        raise PatchError(
            f"{op} operation does not apply: doc is missing path: {pointer!r}: invalid index {token!r}"
        )
    idx = int(token)
    limit = size if allow_end else size - 1
    if idx > limit:
        raise PatchError(f"Unable to access invalid index: {idx}: invalid index referenced")
    return idx


def _container(doc: Any, tokens: list[str], op: str, pointer: str) -> Any:
    node = doc
    for token in tokens:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and _is_index(token) and int(token) < len(node):
            node = node[int(token)]
        else:
            raise PatchError(
                f"{op} operation does not apply: doc is missing path: {pointer!r}: missing value"
            )
    return node


def _get(doc: Any, pointer: str, op: str) -> Any:
    tokens = parse_pointer(pointer)
    if not tokens:
        return doc
    parent = _container(doc, tokens[:-1], op, pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"{op} operation does not apply: doc is missing key: {pointer}: missing value")
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(last, len(parent), allow_end=False, op=op, pointer=pointer)]
    raise PatchError(f"{op} operation does not apply: doc is missing path: {pointer!r}: missing value")


def _add(doc: Any, pointer: str, value: Any, op: str = "add") -> Any:
    tokens = parse_pointer(pointer)
    if not tokens:
        return value
    parent = _container(doc, tokens[:-1], op, pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(last, len(parent), allow_end=True, op=op, pointer=pointer), value)
    else:
        raise PatchError(f"{op} operation does not apply: doc is missing path: {pointer!r}: missing value")
    return doc


def _remove(doc: Any, pointer: str, op: str = "remove") -> tuple[Any, Any]:
    tokens = parse_pointer(pointer)
    if not tokens:
        raise PatchError(f"{op} operation does not apply: cannot remove the whole document")
    parent = _container(doc, tokens[:-1], op, pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"Unable to remove nonexistent key: {last}: missing value")
        return doc, parent.pop(last)
    if isinstance(parent, list):
        return doc, parent.pop(_index(last, len(parent), allow_end=False, op=op, pointer=pointer))
    raise PatchError(f"{op} operation does not apply: doc is missing path: {pointer!r}: missing value")


def _field(op: Mapping[str, Any], name: str, kind: str) -> Any:
    if name not in op:
        raise PatchError(f"{kind} operation missing {name!r} field", 400)
    return op[name]


def apply_json_patch(obj: Mapping[str, Any], ops: Any) -> dict[str, Any]:
    """Apply an RFC 6902 patch to a copy of `obj`; the input is never modified."""
    if not isinstance(ops, Sequence) or isinstance(ops, (str, bytes)):
        raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch", 400)
    doc: Any = copy_json(dict(obj))
    for op in ops:
        if not isinstance(op, Mapping):
            raise PatchError(f"json patch operation must be an object, got {op!r}", 400)
        kind = op.get("op")
        path = _field(op, "path", str(kind))
        if kind == "add":
            doc = _add(doc, path, copy_json(_field(op, "value", kind)))
        elif kind == "remove":
            doc, _ = _remove(doc, path)
        elif kind == "replace":
            value = copy_json(_field(op, "value", kind))
            if parse_pointer(path):
                _get(doc, path, "replace")
                doc, _ = _remove(doc, path, "replace")
            doc = _add(doc, path, value, "replace")
        elif kind == "move":
            source = _field(op, "from", kind)
            src_tokens, dst_tokens = parse_pointer(source), parse_pointer(path)
            if dst_tokens[: len(src_tokens)] == src_tokens and src_tokens != dst_tokens:
                raise PatchError(
                    f"move operation does not apply: cannot move {source!r} into its own child {path!r}"
                )
            _get(doc, source, "move")
            doc, value = _remove(doc, source, "move")
            doc = _add(doc, path, value, "move")
        elif kind == "copy":
            value = copy_json(_get(doc, _field(op, "from", kind), "copy"))
            doc = _add(doc, path, value, "copy")
        elif kind == "test":
            expected = _field(op, "value", kind)
            try:
                actual = _get(doc, path, "test")
            except PatchError:
                # A missing value equals null, as in evanphx/json-patch.
                actual = None
            if not json_equal(actual, expected):
                raise PatchError(f"testing value {path} failed: test failed")
        else:
            raise PatchError(f"Unexpected kind: {kind}", 400)
    if not isinstance(doc, dict):
        raise PatchError("patched document is not a JSON object")
    return doc


# ---------------------------------------------------------------- merge patch


def merge_patch_value(target: Any, patch: Any) -> Any:
    """RFC 7386 MergePatch(target, patch) on plain values; neither argument is modified."""
    if not isinstance(patch, Mapping):
        return copy_json(patch)
    result: dict[str, Any] = copy_json(dict(target)) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch_value(result.get(key), value)
    return result


def apply_merge_patch(obj: Mapping[str, Any], patch: Any) -> dict[str, Any]:
    """Apply an RFC 7386 merge patch to a copy of `obj`."""
    if not isinstance(patch, Mapping):
        raise PatchError("merge patch must be a JSON object", 400)
    result = merge_patch_value(obj, patch)
    assert isinstance(result, dict)
    return result
