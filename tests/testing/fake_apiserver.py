"""A tiny in-process Kubernetes API (core/v1 Namespaces and ConfigMaps only) over plain HTTP.

It lets the Chainsaw runner's own tests exercise real HTTP round trips without depending on the
embedded API server; the same scenarios also run against `pykro.apiserver` when it is present.
Deletion honours finalizers (sets deletionTimestamp) so delete-waits can be tested.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

KINDS = {"namespaces": ("Namespace", False), "configmaps": ("ConfigMap", True)}


def _status(code: int, reason: str, message: str) -> web.Response:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "code": code,
        "reason": reason,
        "message": message,
    }
    return web.json_response(body, status=code)


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge(out.get(key), value)
    return out


class FakeAPIServer:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}  # (plural, namespace, name) -> obj
        self.version = 0
        self.requests: list[tuple[str, str]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api", self.versions)
        app.router.add_get("/apis", self.groups)
        app.router.add_get("/api/v1", self.discovery)
        app.router.add_route("*", "/api/v1/namespaces/{ns}/{plural}", self.collection)
        app.router.add_route("*", "/api/v1/namespaces/{ns}/{plural}/{name}", self.item)
        app.router.add_route("*", "/api/v1/{plural}", self.collection)
        app.router.add_route("*", "/api/v1/{plural}/{name}", self.item)
        return app

    async def versions(self, _request: web.Request) -> web.Response:
        return web.json_response({"kind": "APIVersions", "versions": ["v1"]})

    async def groups(self, _request: web.Request) -> web.Response:
        return web.json_response({"kind": "APIGroupList", "groups": []})

    async def discovery(self, _request: web.Request) -> web.Response:
        resources = [
            {
                "name": plural,
                "kind": kind,
                "namespaced": namespaced,
                "verbs": ["create", "get", "list", "patch", "delete"],
            }
            for plural, (kind, namespaced) in KINDS.items()
        ]
        return web.json_response({"kind": "APIResourceList", "groupVersion": "v1", "resources": resources})

    def _key(self, request: web.Request) -> tuple[str, str, str] | web.Response:
        plural = request.match_info["plural"]
        if plural not in KINDS:
            return _status(404, "NotFound", f"the server could not find the requested resource ({plural})")
        namespace = request.match_info.get("ns", "") if KINDS[plural][1] else ""
        return plural, namespace, request.match_info.get("name", "")

    async def collection(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        key = self._key(request)
        if isinstance(key, web.Response):
            return key
        plural, namespace, _ = key
        kind = KINDS[plural][0]
        if request.method == "GET":
            selector = dict(
                p.split("=", 1) for p in request.query.get("labelSelector", "").split(",") if "=" in p
            )
            items = [
                obj
                for (p, ns, _n), obj in sorted(self.objects.items())
                if p == plural
                and (not namespace or ns == namespace)
                and all(obj["metadata"].get("labels", {}).get(k) == v for k, v in selector.items())
            ]
            return web.json_response(
                {"kind": f"{kind}List", "apiVersion": "v1", "metadata": {}, "items": items}
            )
        if request.method == "POST":
            obj = json.loads(await request.read())
            name = obj.get("metadata", {}).get("name", "")
            if (plural, namespace, name) in self.objects:
                return _status(409, "AlreadyExists", f'{plural} "{name}" already exists')
            if obj.get("data", {}).get("invalid") == "true":
                return _status(422, "Invalid", f'{kind} "{name}" is invalid: data.invalid: Forbidden')
            self.version += 1
            obj["metadata"].update(resourceVersion=str(self.version), uid=f"uid-{self.version}")
            if namespace:
                obj["metadata"]["namespace"] = namespace
            self.objects[(plural, namespace, name)] = obj
            return web.json_response(obj, status=201)
        return _status(405, "MethodNotAllowed", request.method)

    async def item(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        key = self._key(request)
        if isinstance(key, web.Response):
            return key
        obj = self.objects.get(key)
        if obj is None:
            return _status(404, "NotFound", f'{key[0]} "{key[2]}" not found')
        if request.method == "GET":
            return web.json_response(obj)
        if request.method == "PATCH":
            patched = _merge(obj, json.loads(await request.read()))
            self.version += 1
            patched["metadata"]["resourceVersion"] = str(self.version)
            self.objects[key] = patched
            if patched["metadata"].get("deletionTimestamp") and not patched["metadata"].get("finalizers"):
                del self.objects[key]
            return web.json_response(patched)
        if request.method == "DELETE":
            if obj["metadata"].get("finalizers"):
                obj["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
                return web.json_response(obj)
            del self.objects[key]
            return web.json_response(obj)
        return _status(405, "MethodNotAllowed", request.method)


@asynccontextmanager
async def serve(directory: Path) -> AsyncIterator[tuple[FakeAPIServer, Path]]:
    """Run the fake on a free port; yields it and a kubeconfig pointing at it."""
    fake = FakeAPIServer()
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    kubeconfig = directory / "fake-kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "fake", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
                "users": [{"name": "fake", "user": {"token": "t"}}],
                "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}],
                "current-context": "fake",
            }
        )
    )
    try:
        yield fake, kubeconfig
    finally:
        await runner.cleanup()
