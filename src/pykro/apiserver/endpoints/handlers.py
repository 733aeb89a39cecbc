"""HTTP layer: routing, authentication, verbs, output formats and watch streaming."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web

from pykro.apiserver.endpoints import discovery, openapiv2pb, protobuf
from pykro.apiserver.endpoints.openapi import OpenAPI
from pykro.apiserver.endpoints.tables import table
from pykro.apiserver.endpoints.watchstream import WatchStream
from pykro.apiserver.machinery import media
from pykro.apiserver.machinery.patch import PatchError
from pykro.apiserver.machinery.status import (
    ApiError,
    bad_request,
    internal,
    method_not_allowed,
    too_large,
    unauthorized,
    unsupported_media_type,
)
from pykro.apiserver.registry import reviews, scale
from pykro.apiserver.registry.applying import Applier
from pykro.apiserver.registry.kinds import Catalog, ServedKind
from pykro.apiserver.registry.listing import ListQuery, list_page, select
from pykro.apiserver.registry.patching import patcher
from pykro.apiserver.registry.pipeline import WriteOptions
from pykro.apiserver.registry.resources import Resources
from pykro.jsontypes import encode_json

log = logging.getLogger(__name__)

MAX_BODY = 3 * 1024 * 1024
_PUBLIC = frozenset({"/healthz", "/livez", "/readyz"})
_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})


def version_info(kubernetes_version: str) -> dict[str, str]:
    """`/version` for the Kubernetes release whose kinds and schemas are served ("1.33")."""
    major, _, minor = kubernetes_version.partition(".")
    return {
        "major": major,
        "minor": minor,
        "gitVersion": f"v{kubernetes_version}.0-pykro",
        "gitCommit": "",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.23",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


@dataclass(frozen=True)
class Target:
    kind: ServedKind
    namespace: str | None  # None: all namespaces (collections) or a cluster-scoped kind
    name: str | None
    subresource: str


def _json(
    body: Any, status: int = 200, content_type: str = "application/json", warnings: list[str] | None = None
) -> web.Response:
    resp = web.Response(
        body=encode_json(body),
        status=status,
        content_type=content_type.split(";")[0],
    )
    if ";" in content_type:
        resp.headers["Content-Type"] = content_type
    for w in warnings or []:
        quoted = w.replace("\\", "\\\\").replace(
            '"', '\\"'
        )  # an RFC 7230 quoted-string, as kubectl parses it
        resp.headers.add("Warning", f'299 - "{quoted}"')
    return resp


def error_response(err: ApiError) -> web.Response:
    return _json(err.status(), err.code)


class ApiHandler:
    def __init__(self, resources: Resources, catalog: Catalog, openapi: OpenAPI, token: str) -> None:
        self.resources = resources
        self.store = resources.store
        self.catalog = catalog
        self.openapi = openapi
        self.token = token
        self.bookmark_interval = 5.0
        self.default_watch_timeout = 1800.0
        self.server_address = ""
        self.applier = Applier(resources, catalog)

    # entry -----------------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            if request.path not in _PUBLIC:
                self._authenticate(request)
            return await self._route(request)
        except ApiError as err:
            return error_response(err)
        except PatchError as err:  # from the pure patch modules: 400 malformed, 422 does not apply
            return error_response(
                ApiError(err.code, "BadRequest" if err.code == 400 else "Invalid", str(err))
            )
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        except Exception as exc:  # a bug: answer 500 with a Status and keep serving
            log.exception("internal error serving %s %s", request.method, request.path)
            return error_response(internal(f"{type(exc).__name__}: {exc}"))

    def _authenticate(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(
            token.strip().encode(), self.token.encode()
        ):
            raise unauthorized()

    async def _route(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/") or "/"
        parts = [p for p in path.split("/") if p]
        if path in _PUBLIC:
            return web.Response(text="ok")
        if path == "/version":
            return _json(version_info(self.catalog.schemas.kubernetes_version))
        if parts and parts[0] == "openapi":
            return self._openapi(request, parts[1:])
        if parts and parts[0] == "api":
            if len(parts) == 1:
                return self._discovery_root(request, core=True)
            return await self._group_version(request, "", parts[1], parts[2:])
        if parts and parts[0] == "apis":
            if len(parts) == 1:
                return self._discovery_root(request, core=False)
            if len(parts) == 2:
                doc = discovery.api_group(self.catalog, parts[1])
                if doc is None:
                    raise ApiError(404, "NotFound", "the server could not find the requested resource")
                return _json(doc)
            return await self._group_version(request, parts[1], parts[2], parts[3:])
        if path == "/":
            return _json({"paths": ["/api", "/api/v1", "/apis", "/openapi/v2", "/openapi/v3", "/version"]})
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    # discovery / openapi ---------------------------------------------------------------------------
    def _discovery_root(self, request: web.Request, *, core: bool) -> web.Response:
        out = media.negotiate(request.headers.get("Accept"))
        if out.form == "discovery":
            ctype = discovery.AGGREGATED_V2 if out.version == "v2" else discovery.AGGREGATED_V2BETA1
            doc = discovery.aggregated(
                self.catalog, core=core, api_version=f"apidiscovery.k8s.io/{out.version}"
            )
            return _json(doc, content_type=ctype)
        if core:
            return _json(discovery.api_versions(self.server_address))
        return _json(discovery.api_group_list(self.catalog))

    def _openapi(self, request: web.Request, rest: list[str]) -> web.Response:
        if rest == ["v2"]:
            if openapiv2pb.preferred(request.headers.get("Accept", "")):
                return web.Response(body=self.openapi.v2_protobuf(), content_type=openapiv2pb.MEDIA_TYPE)
            return _json(self.openapi.v2())
        if rest == ["v3"]:
            return _json(self.openapi.v3_index())
        if len(rest) >= 2 and rest[0] == "v3":
            doc = self.openapi.v3_group_version("/".join(rest[1:]))
            if doc is not None:
                resp = _json(doc)
                resp.headers["Cache-Control"] = (
                    "public, immutable" if request.query.get("hash") else "no-cache"
                )
                return resp
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    # resources -------------------------------------------------------------------------------------
    async def _group_version(
        self, request: web.Request, group: str, version: str, rest: list[str]
    ) -> web.StreamResponse:
        if not self.catalog.has_group_version(group, version):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if not rest:
            if request.method != "GET":
                raise method_not_allowed(request.method, request.path)
            return _json(discovery.resource_list(self.catalog, group, version))
        target = self._target(group, version, rest)
        return await self._dispatch(request, target)

    def _target(self, group: str, version: str, rest: list[str]) -> Target:
        namespace: str | None = None
        if (
            rest[0] == "namespaces"
            and len(rest) >= 3
            and not (len(rest) == 3 and rest[2] in _NAMESPACE_SUBRESOURCES)
        ):
            namespace, rest = rest[1], rest[2:]
        if len(rest) > 3:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        plural = rest[0]
        kind = self.catalog.lookup(group, version, plural)
        if kind is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if namespace is not None and not kind.namespaced:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else ""
        if sub and sub not in kind.subresources:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return Target(kind, namespace, name, sub)

    async def _dispatch(self, request: web.Request, t: Target) -> web.StreamResponse:
        m = request.method
        if t.name is None:
            watching = m == "GET" and "watch" in request.query and media.truthy(request.query.get("watch"))
            verb = {
                "GET": "watch" if watching else "list",
                "POST": "create",
                "DELETE": "deletecollection",
            }.get(m)
            if (
                verb is None
                or verb not in t.kind.verbs
                or (verb == "create" and t.kind.namespaced and t.namespace is None)
            ):
                raise method_not_allowed(m, request.path)
            if verb == "watch":
                return await self._watch(request, t)
            if verb == "list":
                return self._list(request, t)
            if verb == "create":
                return await self._create(request, t)
            return await self._delete_collection(request, t)
        item_verb = {"GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(m)
        if item_verb is None or (not t.subresource and item_verb not in t.kind.verbs):
            raise method_not_allowed(m, request.path)
        if t.kind.namespaced and t.namespace is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if t.subresource == "scale":
            return await self._scale(request, t)
        handlers: dict[str, Callable[[web.Request, Target], Awaitable[web.StreamResponse]]] = {
            "GET": self._get,
            "PUT": self._update,
            "PATCH": self._patch,
            "DELETE": self._delete,
        }
        handler = handlers.get(m)
        if handler is None or (t.subresource and m == "DELETE"):
            raise method_not_allowed(m, request.path)
        return await handler(request, t)

    # rendering -------------------------------------------------------------------------------------
    @staticmethod
    def _as_version(kind: ServedKind, obj: dict[str, Any]) -> dict[str, Any]:
        if obj.get("apiVersion") == kind.api_version:
            return obj
        return {**obj, "apiVersion": kind.api_version}

    @staticmethod
    def _partial(obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata", {}),
        }

    def _render_one(
        self,
        request: web.Request,
        kind: ServedKind,
        obj: dict[str, Any],
        status: int = 200,
        warnings: list[str] | None = None,
    ) -> web.Response:
        out = media.negotiate(request.headers.get("Accept"))
        if out.form == "table":
            doc = table(
                kind,
                [obj],
                request.query.get("includeObject", "Metadata"),
                self._partial,
                {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
            )
            doc["apiVersion"] = f"meta.k8s.io/{out.version}"
            return _json(doc, status, warnings=warnings)
        if out.form == "partial":
            return _json(self._partial(obj), status, warnings=warnings)
        return _json(self._as_version(kind, obj), status, warnings=warnings)

    # reads -----------------------------------------------------------------------------------------
    async def _get(self, request: web.Request, t: Target) -> web.StreamResponse:
        assert t.name is not None
        obj = self.resources.current(t.kind, t.namespace or "", t.name)
        return self._render_one(request, t.kind, obj)

    @staticmethod
    def _query(request: web.Request, t: Target) -> ListQuery:
        q = request.query
        return ListQuery(
            t.namespace, q.get("labelSelector"), q.get("fieldSelector"), q.get("limit"), q.get("continue")
        )

    def _list(self, request: web.Request, t: Target) -> web.Response:
        page = list_page(self.store, t.kind, self._query(request, t))
        items, meta = page.items, page.metadata
        out = media.negotiate(request.headers.get("Accept"))
        if out.form == "table":
            doc = table(t.kind, items, request.query.get("includeObject", "Metadata"), self._partial, meta)
            doc["apiVersion"] = f"meta.k8s.io/{out.version}"
            return _json(doc)
        if out.form == "partial":
            return _json(
                {
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": meta,
                    "items": [self._partial(o) for o in items],
                }
            )
        return _json(
            {
                "kind": t.kind.list_kind,
                "apiVersion": t.kind.api_version,
                "metadata": meta,
                "items": [self._as_version(t.kind, o) for o in items],
            }
        )

    async def _scale(self, request: web.Request, t: Target) -> web.StreamResponse:
        """`/scale`: read or set `spec.replicas` through an autoscaling/v1 Scale."""
        assert t.name is not None
        ns = t.namespace or ""
        paths = scale.scale_paths(t.kind, self.resources.store)
        if request.method == "GET":
            return _json(scale.scale_of(self.resources.current(t.kind, ns, t.name), paths))
        if request.method not in ("PUT", "PATCH"):
            raise method_not_allowed(request.method, request.path)
        ctype = media.content_type(request.headers.get("Content-Type"))
        body = media.decode(await self._body(request), ctype)
        if not isinstance(body, (dict, list)):
            raise bad_request("the body must be a Scale object or a patch of one")
        patch_type = None if request.method == "PUT" else ctype
        obj = await scale.write_scale(
            self.resources, t.kind, ns, t.name, body, patch_type, paths, self._write_options(request)
        )
        return _json(scale.scale_of(obj, paths))

    # writes ----------------------------------------------------------------------------------------
    async def _body(self, request: web.Request) -> bytes:
        length = request.content_length
        if length is not None and length > MAX_BODY:
            raise too_large(MAX_BODY)
        data = await request.content.read(MAX_BODY + 1)
        while len(data) <= MAX_BODY:
            more = await request.content.read(MAX_BODY + 1 - len(data))
            if not more:
                break
            data += more
        if len(data) > MAX_BODY:
            raise too_large(MAX_BODY)
        return data

    async def _decoded(self, request: web.Request) -> Any:
        data = await self._body(request)
        ctype = media.content_type(request.headers.get("Content-Type"))
        if ctype == protobuf.PROTOBUF:
            return protobuf.decode(data)
        if ctype not in (media.JSON, media.YAML, "application/x-yaml", "text/yaml", "*/*"):
            raise unsupported_media_type(ctype, [media.JSON, media.YAML])
        return media.decode(data, media.YAML if "yaml" in ctype else media.JSON)

    @staticmethod
    def _write_options(request: web.Request, *, dry_run: bool = False) -> WriteOptions:
        dry = request.query.getall("dryRun", [])
        for d in dry:
            if d != "All":
                raise bad_request(f'Unsupported value: "{d}": supported values: "All"')
        validation = request.query.get("fieldValidation", "Warn")  # the real server's default since 1.27
        if validation not in ("Ignore", "Warn", "Strict"):
            raise bad_request(
                f'Unsupported value: "{validation}": supported values: "Ignore", "Strict", "Warn"'
            )
        manager = request.query.get("fieldManager") or request.headers.get("User-Agent", "").split("/")[0]
        return WriteOptions(bool(dry) or dry_run, validation, manager[:128])

    async def _create(self, request: web.Request, t: Target) -> web.StreamResponse:
        body = await self._decoded(request)
        if reviews.is_review(t.kind):
            return _json(reviews.answer(t.kind, body, t.namespace, self.token), 201)
        obj, warnings = await self.resources.create(t.kind, t.namespace, body, self._write_options(request))
        return self._render_one(request, t.kind, obj, 201, warnings)

    async def _update(self, request: web.Request, t: Target) -> web.StreamResponse:
        assert t.name is not None
        body = await self._decoded(request)
        obj, warnings = await self.resources.update(
            t.kind,
            t.namespace or "",
            t.name,
            body,
            subresource=t.subresource,
            options=self._write_options(request),
        )
        return self._render_one(request, t.kind, obj, 200, warnings)

    async def _patch(self, request: web.Request, t: Target) -> web.StreamResponse:
        assert t.name is not None
        ctype = media.content_type(request.headers.get("Content-Type"))
        supported = [media.JSON_PATCH, media.MERGE_PATCH, media.APPLY_PATCH]
        if t.kind.crd is None:
            supported.append(media.STRATEGIC_PATCH)
        if ctype not in supported:
            raise unsupported_media_type(ctype, supported)
        raw = await self._body(request)
        options = replace(self._write_options(request), patch_type=ctype)
        if ctype == media.APPLY_PATCH:
            return await self._apply(request, t, raw, options)
        patch = media.decode(raw, ctype)
        schema = (self.catalog.schema_for(t.kind) or {}) if ctype == media.STRATEGIC_PATCH else {}
        apply = patcher(ctype, patch, schema)
        obj, warnings = await self.resources.patch(
            t.kind, t.namespace or "", t.name, apply, subresource=t.subresource, options=options
        )
        return self._render_one(request, t.kind, obj, 200, warnings)

    async def _apply(
        self, request: web.Request, t: Target, raw: bytes, options: WriteOptions
    ) -> web.StreamResponse:
        """Server-side apply: merge with field ownership, creating the object when missing."""
        assert t.name is not None
        force = media.truthy(request.query.get("force")) if "force" in request.query else False
        result = await self.applier.apply(
            t.kind,
            t.namespace,
            t.name,
            raw,
            manager=request.query.get("fieldManager", ""),
            force=force,
            subresource=t.subresource,
            options=options,
        )
        return self._render_one(request, t.kind, result.obj, 201 if result.created else 200, result.warnings)

    async def _delete_options(self, request: web.Request) -> dict[str, Any]:
        data = await self._body(request) if request.can_read_body else b""
        if not data.strip():
            return {}
        opts = media.decode(
            data,
            media.YAML if "yaml" in media.content_type(request.headers.get("Content-Type")) else media.JSON,
        )
        if not isinstance(opts, dict):
            raise bad_request("DeleteOptions must be an object")
        return opts

    @staticmethod
    def _propagation(request: web.Request, opts: dict[str, Any]) -> str | None:
        policy = opts.get("propagationPolicy") or request.query.get("propagationPolicy")
        orphan = opts.get("orphanDependents")
        if orphan is None and "orphanDependents" in request.query:
            orphan = media.truthy(request.query.get("orphanDependents"))
        if orphan is not None and policy:
            raise ApiError(
                422,
                "Invalid",
                'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: '
                f'"{policy}": orphanDependents and deletionPropagation cannot be both set',
            )
        if orphan is not None:
            return "Orphan" if orphan else "Background"
        return str(policy) if policy else None

    async def _delete(self, request: web.Request, t: Target) -> web.StreamResponse:
        assert t.name is not None
        opts = await self._delete_options(request)
        dry = self._write_options(request, dry_run=bool(opts.get("dryRun"))).dry_run
        warnings: list[str] = []
        obj, removed = await self.resources.delete(
            t.kind,
            t.namespace or "",
            t.name,
            preconditions=opts.get("preconditions"),
            dry_run=dry,
            propagation=self._propagation(request, opts),
            warnings=warnings,
        )
        code = 200 if removed or obj["metadata"].get("deletionTimestamp") else 202
        return self._render_one(request, t.kind, obj, code, warnings)

    async def _delete_collection(self, request: web.Request, t: Target) -> web.StreamResponse:
        opts = await self._delete_options(request)
        dry = self._write_options(request, dry_run=bool(opts.get("dryRun"))).dry_run
        propagation = self._propagation(request, opts)
        items, _ = select(self.store, t.kind, self._query(request, t))
        removed = await self.resources.delete_all(t.kind, items, dry_run=dry, propagation=propagation)
        deleted = [self._as_version(t.kind, obj) for obj in removed]
        return _json(
            {
                "kind": t.kind.list_kind,
                "apiVersion": t.kind.api_version,
                "metadata": {"resourceVersion": str(self.store.rv)},
                "items": deleted,
            }
        )

    # watch -----------------------------------------------------------------------------------------
    def _renderer(
        self, request: web.Request, kind: ServedKind
    ) -> tuple[str, Callable[[str, dict[str, Any]], dict[str, Any]]]:
        out = media.negotiate(request.headers.get("Accept"))
        if out.form == "table":
            include = request.query.get("includeObject", "Metadata")

            def as_table(_: str, obj: dict[str, Any]) -> dict[str, Any]:
                doc = table(
                    kind,
                    [obj],
                    include,
                    self._partial,
                    {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                )
                doc["apiVersion"] = f"meta.k8s.io/{out.version}"
                return doc

            return f"table/{out.version}/{include}/{kind.api_version}/{kind.kind}", as_table
        if out.form == "partial":
            return "partial", lambda _, obj: self._partial(obj)
        return f"json/{kind.api_version}", lambda _, obj: self._as_version(kind, obj)

    async def _watch(self, request: web.Request, t: Target) -> web.StreamResponse:
        fmt, render = self._renderer(request, t.kind)
        stream = WatchStream(
            self.store,
            t.kind,
            t.namespace if t.kind.namespaced else None,
            fmt,
            render,
            bookmark_interval=self.bookmark_interval,
            default_timeout=self.default_watch_timeout,
        )
        return await stream.serve(request)
