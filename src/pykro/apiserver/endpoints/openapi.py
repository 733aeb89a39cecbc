"""`/openapi/v3` (index + one document per group-version) and `/openapi/v2`.

Built-in schemas come from the schema registry's `builtin_definitions`; each served CRD
version contributes its `openAPIV3Schema`. Documents are cached per catalog generation.
Each resource gets minimal path entries whose PATCH operation declares the
`fieldValidation` query parameter, which is how kubectl decides the server validates.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pykro.apiserver.endpoints import openapiv2pb
from pykro.apiserver.registry.kinds import Catalog, ServedKind

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_REF_V3 = "#/components/schemas/"
_COMMON = (
    "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
    "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
    "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
    OBJECT_META,
)
_MAX_DEPTH = 200


def _definitions() -> Mapping[str, dict[str, Any]]:
    from pykro.schema.registry import builtin_definitions

    return builtin_definitions()


@functools.cache
def _gvk_index() -> dict[tuple[str, str, str], str]:
    index: dict[tuple[str, str, str], str] = {}
    defs = _definitions()
    for name in defs:
        gvks = defs[name].get("x-kubernetes-group-version-kind")
        if isinstance(gvks, (list, tuple)) and len(gvks) == 1:
            g = gvks[0]
            index[(g.get("group", ""), g.get("version", ""), g.get("kind", ""))] = name
    return index


def _refs(node: Any, out: set[str]) -> None:
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, Mapping):
            ref = cur.get("$ref")
            if isinstance(ref, str) and ref.startswith(_REF_V3):
                out.add(ref[len(_REF_V3) :])
            stack.extend(cur.values())
        elif isinstance(cur, (list, tuple)):
            stack.extend(cur)


def _closure(roots: list[str], extra: Mapping[str, Any]) -> dict[str, Any]:
    defs = _definitions()
    out: dict[str, Any] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in out:
            continue
        schema = extra.get(name) if name in extra else (defs[name] if name in defs else None)
        if schema is None:
            continue
        out[name] = schema
        found: set[str] = set()
        _refs(schema, found)
        todo.extend(found - out.keys())
    return out


def _reverse_group(group: str) -> str:
    return ".".join(reversed(group.split(".")))


def crd_definition_name(kind: ServedKind) -> str:
    return f"{_reverse_group(kind.group)}.{kind.version}.{kind.kind}"


def crd_schema(kind: ServedKind) -> dict[str, Any]:
    schema = copy.deepcopy(
        dict(kind.schema or {"type": "object", "x-kubernetes-preserve-unknown-fields": True})
    )
    props = schema.setdefault("properties", {})
    props["apiVersion"] = {
        "type": "string",
        "description": "APIVersion defines the versioned schema of this representation of an object.",
    }
    props["kind"] = {
        "type": "string",
        "description": "Kind is a string value representing the REST resource this object represents.",
    }
    props["metadata"] = {
        "allOf": [{"$ref": _REF_V3 + OBJECT_META}],
        "description": "Standard object's metadata.",
    }
    schema.setdefault("type", "object")
    schema["x-kubernetes-group-version-kind"] = [
        {"group": kind.group, "version": kind.version, "kind": kind.kind}
    ]
    return schema


def _list_schema(kind: ServedKind, item_name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "items": {"type": "array", "items": {"$ref": _REF_V3 + item_name}},
            "metadata": {"allOf": [{"$ref": _REF_V3 + "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"}]},
        },
        "x-kubernetes-group-version-kind": [
            {"group": kind.group, "version": kind.version, "kind": kind.list_kind}
        ],
    }


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _param(name: str, where: str = "query") -> dict[str, Any]:
    return {"name": name, "in": where, "schema": {"type": "string"}, "required": where == "path"}


def _paths(kind: ServedKind, def_name: str) -> dict[str, Any]:
    base = "/" + _gv_path(kind.group, kind.version)
    coll = f"{base}/namespaces/{{namespace}}/{kind.plural}" if kind.namespaced else f"{base}/{kind.plural}"
    gvk = {"group": kind.group, "version": kind.version, "kind": kind.kind}
    ok = {
        "200": {
            "description": "OK",
            "content": {"application/json": {"schema": {"$ref": _REF_V3 + def_name}}},
        }
    }

    def op(action: str, params: list[str]) -> dict[str, Any]:
        return {
            "operationId": f"{action}{kind.kind}",
            "responses": ok,
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": gvk,
            "parameters": [_param(p) for p in params],
        }

    write = ["dryRun", "fieldManager", "fieldValidation"]
    return {
        coll: {
            "get": op("list", ["labelSelector", "fieldSelector", "limit", "continue", "watch"]),
            "post": op("post", write),
        },
        coll + "/{name}": {
            "get": op("get", []),
            "put": op("put", write),
            "patch": op("patch", [*write, "force"]),
            "delete": op("delete", ["dryRun"]),
        },
    }


class OpenAPI:
    def __init__(self, catalog: Catalog, kubernetes_version: str) -> None:
        self._catalog = catalog
        self._info = {"title": "Kubernetes", "version": f"v{kubernetes_version}.0"}
        self._cache_gen = -1
        self._parsed: dict[str, dict[str, Any]] = {}
        self._hashes: dict[str, str] = {}
        self._builtin: dict[str, tuple[dict[str, Any], str]] = {}  # built-in documents never change
        self._v2: dict[str, Any] | None = None
        self._v2_protobuf: bytes | None = None

    def _build_gv(self, group: str, version: str) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        roots = list(_COMMON)
        paths: dict[str, Any] = {}
        index = _gvk_index()
        for k in self._catalog.kinds(group, version):
            if k.crd is not None:
                name = crd_definition_name(k)
                extra[name] = crd_schema(k)
                extra[name + "List"] = _list_schema(k, name)
                roots += [name, name + "List"]
            else:
                name = index.get((group, version, k.kind), "")
                if not name:
                    continue
                roots.append(name)
                list_name = index.get((group, version, k.list_kind))
                if list_name:
                    roots.append(list_name)
            paths.update(_paths(k, name))
        return {
            "openapi": "3.0.0",
            "info": self._info,
            "paths": paths,
            "components": {"schemas": _closure(roots, extra)},
        }

    def _refresh(self) -> None:
        if self._cache_gen == self._catalog.generation:
            return
        self._parsed.clear()
        self._hashes.clear()
        self._v2 = None
        self._v2_protobuf = None
        for group, versions in self._catalog.groups():
            for v in versions:
                key = _gv_path(group, v)
                builtin = self._catalog.is_builtin_group(group) and all(
                    k.crd is None for k in self._catalog.kinds(group, v)
                )
                if builtin and key in self._builtin:
                    doc, digest = self._builtin[key]
                else:
                    doc = self._build_gv(group, v)
                    text = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
                    digest = hashlib.sha512(text).hexdigest()[:64].upper()
                    if builtin:
                        self._builtin[key] = (doc, digest)
                self._parsed[key] = doc
                self._hashes[key] = digest
        self._cache_gen = self._catalog.generation

    def v3_index(self) -> dict[str, Any]:
        self._refresh()
        return {
            "paths": {
                key: {"serverRelativeURL": f"/openapi/v3/{key}?hash={self._hashes[key]}"}
                for key in self._parsed
            }
        }

    def v3_group_version(self, key: str) -> dict[str, Any] | None:
        self._refresh()
        return self._parsed.get(key)

    def v2(self) -> dict[str, Any]:
        """Swagger 2.0 with every definition (refs rewritten to `#/definitions/`)."""
        self._refresh()
        if self._v2 is None:
            defs: dict[str, Any] = {}
            for doc in self._parsed.values():
                defs.update(doc["components"]["schemas"])
            text = json.dumps(defs).replace('"' + _REF_V3, '"#/definitions/')
            self._v2 = {"swagger": "2.0", "info": self._info, "paths": {}, "definitions": json.loads(text)}
        return self._v2

    def v2_protobuf(self) -> bytes:
        """`v2()` as the gnostic protobuf kubectl downloads."""
        document = self.v2()
        if self._v2_protobuf is None:
            self._v2_protobuf = openapiv2pb.document(document)
        return self._v2_protobuf
