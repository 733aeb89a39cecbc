"""Hypothesis throws objects of every built-in kind at the server, with values of the wrong type here and
there, through create, update, JSON/merge/strategic merge patch and apply. Whatever arrives, the answer
is a result or a clean 4xx Status, and whatever was stored kubectl can still list and describe.

Bodies are generated from the kinds' own schemas (right-typed values most of the time, a wrong-typed
one now and then), so every field kubectl decodes gets exercised.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pykro.apiserver import EmbeddedAPIServer
from pykro.schema.builtin_kinds import kind_rows
from pykro.schema.registry import SchemaRegistry, materialize
from tests.apiserver.conftest import ThreadedServer, kubectl_namespace

NAMESPACE = "fuzz"
# 200 examples (~5 s) in CI and dev; the `explore` profile's 2,000 when asked for
EXAMPLES = settings(max_examples=max(200, settings().max_examples))
MAX_DEPTH = 6  # schema levels generated below the top-level fields
WRITE_VERBS = {"create", "get", "update", "patch"}
# Kinds that change what the server serves (CRDs, APIServices) or hold the fuzzed objects (Namespace).
SKIPPED = {"Namespace", "CustomResourceDefinition", "APIService"}

REGISTRY = SchemaRegistry()
KINDS = sorted(
    (row for row in kind_rows().values() if WRITE_VERBS <= set(row.verbs) and row.gvk.kind not in SKIPPED),
    key=lambda row: (row.gvk.group, row.gvk.kind),
)
KINDS = [row for row in KINDS if REGISTRY.find(row.gvk) is not None]

WRONG = st.sampled_from(
    ["3", "", "1Gi", "2024-01-01T00:00:00Z", "bm90IGJhc2U2NA==", "not base64!", 2**31, -(2**31) - 1,
     2**63, 1.5, 3.0, 1e29, True, False, None, [], {}, [1], {"a": 1}]
)  # fmt: skip
# No control characters: real kubectl cannot print them as YAML either (kubernetes/kubectl#774).
PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs"))
STRINGS = st.sampled_from(["a", "main", "x-1", "", "TCP", "Always", "app", "1"]) | st.text(
    PRINTABLE, max_size=4
)
KEYS = st.sampled_from(["a", "app", "b.c/d", "", "ü", "x" * 70])
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | STRINGS,
    lambda kids: st.lists(kids, max_size=2) | st.dictionaries(KEYS, kids, max_size=2),
    max_leaves=4,
)


def _right(schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    kind = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        return st.integers(0, 100) | st.sampled_from(["1", "25%", "100m", "1Gi", "http", "0.5"])
    if schema.get("enum"):
        return st.sampled_from(list(schema["enum"]))
    if kind == "integer":
        return st.integers(-2, 5) | st.just(2**31 - 1)
    if kind == "number":
        return st.floats(-10, 10, allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "byte":
            return st.sampled_from(["YWJj", ""])
        if fmt == "date-time":
            return st.just("2024-01-01T00:00:00Z")
        return STRINGS
    if depth >= MAX_DEPTH:
        return st.none()
    if kind == "array" and isinstance(schema.get("items"), dict):
        return st.lists(_value(schema["items"], depth + 1), max_size=2)
    if kind == "object" and schema.get("properties"):
        return _some_fields(schema["properties"], depth + 1)
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return st.dictionaries(KEYS, _value(schema["additionalProperties"], depth + 1), max_size=2)
    return ANY_JSON


def _some_fields(
    properties: dict[str, Any], depth: int, skip: tuple[str, ...] = ()
) -> st.SearchStrategy[Any]:
    """A few of the declared fields (all of a big struct's would make every body huge)."""
    names = sorted(n for n in properties if n not in skip)
    if not names:
        return st.just({})
    return st.lists(st.sampled_from(names), max_size=3, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries({n: _value(properties[n], depth) for n in chosen})
    )


def _value(schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    right = st.deferred(lambda: _right(schema, depth))
    return st.one_of(right, right, right, WRONG)  # mostly well-typed, so deeper fields are reached


_TOP = ("apiVersion", "kind", "metadata", "status")


def _fields(row: Any) -> st.SearchStrategy[dict[str, Any]]:
    found = REGISTRY.find(row.gvk)
    assert found is not None
    schema = materialize(found.schema, max_depth=MAX_DEPTH + 2)
    return _some_fields(schema.get("properties") or {}, 1, skip=_TOP)


def _api_version(row: Any) -> str:
    return f"{row.gvk.group}/{row.gvk.version}" if row.gvk.group else row.gvk.version


def _path(row: Any, name: str = "") -> str:
    base = f"/apis/{row.gvk.group}/{row.gvk.version}" if row.gvk.group else "/api/v1"
    scope = f"/namespaces/{NAMESPACE}" if row.namespaced else ""
    return f"{base}{scope}/{row.plural}" + (f"/{urllib.parse.quote(name, safe='')}" if name else "")


ODD_NAMES = st.sampled_from(["a..b", "FZ", "-x", "x" * 254, "ünï", "", "a/b", "%2e%2e"])
SECOND = ["update", "merge", "strategic", "json", "apply"]
CTYPES = {
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "json": "application/json-patch+json",
    "apply": "application/apply-patch+yaml",
}
JSON_PATHS = st.sampled_from(
    ["/spec/replicas", "/metadata/labels/a~1b", "/metadata/annotations", "/data/k", "/spec/-", "/spec/0",
     "/metadata/name", "/metadata/finalizers/-", "/status", "/~0x", "/spec/template/spec/containers/9", "",
     "/kind", "/metadata/managedFields/0/fieldsV1"]
)  # fmt: skip
JSON_OPS = st.lists(
    st.fixed_dictionaries(
        {"op": st.sampled_from(["add", "replace", "remove", "test", "move", "copy"]), "path": JSON_PATHS},
        optional={"value": ANY_JSON | WRONG, "from": JSON_PATHS},
    ),
    min_size=1,
    max_size=3,
)


@st.composite
def writes(draw: st.DrawFn) -> tuple[Any, dict[str, Any], str, Any]:
    """(kind row, object to create, second operation, its body): the second write goes to the created
    object (or, for apply, creates it when the first write was refused)."""
    row = draw(st.sampled_from(KINDS))
    name = draw(st.just("") | ODD_NAMES)  # "": a fresh valid name
    first = {"apiVersion": _api_version(row), "kind": row.gvk.kind, "metadata": {"name": name}}
    first.update(draw(_fields(row)))
    op = draw(st.sampled_from(SECOND))
    if op == "json":
        return row, first, op, draw(JSON_OPS)
    second = {"apiVersion": _api_version(row), "kind": row.gvk.kind, "metadata": {"name": name}}
    second.update(draw(_fields(row)))
    return row, first, op, second


class Client:
    def __init__(self, server: EmbeddedAPIServer) -> None:
        self.server = server
        self.ssl = ssl.create_default_context(cafile=str(server.ca_path))

    def call(
        self, method: str, path: str, body: Any = None, ctype: str = "application/json"
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.server.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.server.token}", "Content-Type": ctype},
        )
        try:
            with urllib.request.urlopen(req, context=self.ssl, timeout=20) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[EmbeddedAPIServer]:
    with ThreadedServer(workloads=False) as srv:
        yield srv


def _row(kind: str) -> Any:
    return next(row for row in KINDS if row.gvk.kind == kind)


def _found(kind: str, fields: dict[str, Any], op: str = "merge", second: Any = None) -> Any:
    """An explicit example: a failure Hypothesis found once (create `fields`, then `op`)."""
    row = _row(kind)
    first = {"apiVersion": _api_version(row), "kind": kind, "metadata": {"name": ""}, **fields}
    return example(write=(row, first, op, second if second is not None else {**first, "metadata": {}}))


def _second(client: Client, row: Any, name: str, op: str, body: Any) -> tuple[int, Any]:
    path = _path(row, name)
    if op == "update":
        status, current = client.call("GET", path)
        if status == 200:
            body = {**current, **body, "metadata": {**current["metadata"], "name": name}}
        return client.call("PUT", path, body)
    if isinstance(body, dict):
        body["metadata"]["name"] = name
    query = "?fieldManager=fuzz&force=true" if op == "apply" else ""
    return client.call("PATCH", path + query, body, CTYPES[op])


def _clean(status: int, resp: Any) -> None:
    assert status < 500, (status, resp)
    if status >= 400:
        assert resp["kind"] == "Status" and resp["message"], resp


def test_random_writes_never_break_the_server(fuzz_server: EmbeddedAPIServer) -> None:
    with kubectl_namespace(fuzz_server, NAMESPACE) as k:
        client = Client(fuzz_server)
        touched: set[str] = set()
        count = iter(range(10**6))

        @settings(EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        @given(write=writes())
        # kubectl describe failed on: a CSR whose request is no PEM certificate request (or none)
        @_found("CertificateSigningRequest", {"spec": {"request": "YWJj", "signerName": "a/b"}})
        @_found("CertificateSigningRequest", {"spec": {}})
        # ... on nil pointers the real server's defaulting fills (PriorityClass, EndpointSlice ports)
        @_found("PriorityClass", {"value": 1})
        @_found("EndpointSlice", {"addressType": "IPv4", "endpoints": [], "ports": [{}]})
        # ... on a selector with a key that is no label key
        @_found("ReplicationController", {"spec": {"selector": {"ü": ""}}})
        # a string replicas or an int32 overflow made the whole kind unreadable
        @_found(
            "Deployment",
            {"spec": {"replicas": "3"}},
            "json",
            [{"op": "add", "path": "/spec/replicas", "value": 2**31}],
        )
        def run(write: tuple[Any, dict[str, Any], str, Any]) -> None:
            row, op = write[0], write[2]
            first, second = json.loads(json.dumps([write[1], write[3]]))  # explicit examples are reused
            touched.add(f"{row.plural}.{row.gvk.group}" if row.gvk.group else row.plural)
            name = first["metadata"]["name"] or f"fz-{next(count)}"
            first["metadata"]["name"] = name
            status, resp = client.call("POST", _path(row), first)
            _clean(status, resp)
            status, resp = _second(client, row, name, op, second)
            _clean(status, resp)
            if status < 300:
                status, got = client.call("GET", _path(row, resp["metadata"]["name"]))
                assert status == 200, got

        run()
        for verb in (["get", "-o", "yaml"], ["describe"]):
            if k.run(verb[0], ",".join(sorted(touched)), "-A", *verb[1:], check=False).returncode:
                # one call per kind only when something failed, to name the kinds
                failed = {}
                for kind in sorted(touched):
                    proc = k.run(verb[0], kind, "-A", *verb[1:], check=False)
                    if proc.returncode:
                        failed[kind] = proc.stderr[:1500]
                assert not failed, (verb, failed)


def test_deep_nesting_is_refused_or_stored_cleanly(fuzz_server: EmbeddedAPIServer) -> None:
    client = Client(fuzz_server)
    deep: Any = "leaf"
    for _ in range(200):
        deep = {"a": deep}
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "deep"}}
    bodies = [
        {**cm, "data": {"k": deep}},
        {**cm, "unknown": deep},
        {**cm, "metadata": {"name": "deep", "labels": deep}},
    ]
    for body in bodies:
        status, resp = client.call("POST", "/api/v1/namespaces/default/configmaps", body)
        assert status < 500, resp
    client.call("DELETE", "/api/v1/namespaces/default/configmaps/deep")
