"""Property tests over HTTPS: the server stores exactly the objects whose metadata is valid."""

from __future__ import annotations

import json
import re
import ssl
import urllib.error
import urllib.request
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykro.apiserver import EmbeddedAPIServer

SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def _call(server: EmbeddedAPIServer, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    ctx = ssl.create_default_context(cafile=str(server.ca_path))
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        server.url + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


names = st.one_of(
    st.from_regex(SUBDOMAIN, fullmatch=True).filter(lambda s: len(s) <= 253),
    st.text(alphabet="abcXYZ019-._/ ", min_size=0, max_size=20),
)
values = st.text(alphabet="abAB09-_.!", max_size=10)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names, value=values)
def test_created_iff_valid(shared_server: EmbeddedAPIServer, name: str, value: str) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": {"k": value}}}
    valid = bool(SUBDOMAIN.match(name)) and len(name) <= 253 and bool(LABEL_VALUE.match(value))
    status, resp = _call(shared_server, "POST", "/api/v1/namespaces/kube-public/configmaps", body)
    if not valid:
        assert status == 422 and resp["kind"] == "Status" and resp["reason"] == "Invalid"
        return
    assert status in (201, 409), resp
    status, got = _call(shared_server, "GET", f"/api/v1/namespaces/kube-public/configmaps/{name}")
    assert status == 200 and got["metadata"]["labels"] == {"k": value}
    _call(shared_server, "DELETE", f"/api/v1/namespaces/kube-public/configmaps/{name}")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    doc=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids, max_size=3),
        max_leaves=8,
    )
)
def test_arbitrary_json_never_500(shared_server: EmbeddedAPIServer, doc: Any) -> None:
    status, resp = _call(shared_server, "POST", "/api/v1/namespaces/kube-public/configmaps", doc)
    assert status < 500 and resp.get("kind") in ("Status", "ConfigMap")
    if status == 201:
        _call(
            shared_server, "DELETE", f"/api/v1/namespaces/kube-public/configmaps/{resp['metadata']['name']}"
        )
