"""Random bodies through the patch and apply endpoints over HTTPS, plus the named bad inputs.

Whatever arrives, the answer is a result or a clean 4xx Status, and a refused write leaves the stored
object exactly as it was.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykro.apiserver import EmbeddedAPIServer
from tests.apiserver.conftest import Api, cm

KEYS = [
    "name",
    "image",
    "replicas",
    "containers",
    "template",
    "spec",
    "metadata",
    "labels",
    "selector",
    "matchLabels",
    "ports",
    "containerPort",
    "app",
    "op",
    "path",
    "value",
    "$patch",
    "x",
]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 3), st.sampled_from(["a", "main", "", "/spec/replicas"])
)
values = st.recursive(
    scalars,
    lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(st.sampled_from(KEYS), c, max_size=4)),
    max_leaves=12,
)
json_ops = st.lists(
    st.fixed_dictionaries(
        {
            "op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "bogus"]),
            "path": st.sampled_from(
                [
                    "/spec/replicas",
                    "/metadata/labels/x",
                    "/spec/template/spec/containers/0/image",
                    "/spec/template/spec/containers/-",
                    "/nope/deeper",
                    "",
                    "bad",
                ]
            ),
        },
        optional={"value": values, "from": st.sampled_from(["/spec/replicas", "/metadata/labels"])},
    ),
    max_size=3,
)
PATCH_TYPES = {
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "json": "application/json-patch+json",
    "apply": "application/apply-patch+yaml",
}
DEPLOY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "fz", "labels": {"app": "fz"}},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "fz"}},
        "template": {
            "metadata": {"labels": {"app": "fz"}},
            "spec": {"containers": [{"name": "main", "image": "nginx"}]},
        },
    },
}
PATH = "/apis/apps/v1/namespaces/kube-public/deployments/fz"


def _call(
    server: EmbeddedAPIServer, method: str, path: str, body: Any = None, ctype: str = "application/json"
) -> tuple[int, Any]:
    ctx = ssl.create_default_context(cafile=str(server.ca_path))
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        server.url + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {server.token}", "Content-Type": ctype},
    )
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.parametrize("kind", list(PATCH_TYPES))
def test_random_patches_answer_cleanly(quiet_server: EmbeddedAPIServer, kind: str) -> None:
    status, _ = _call(quiet_server, "GET", PATH)
    if status == 404:
        assert _call(quiet_server, "POST", PATH.rsplit("/", 1)[0], DEPLOY)[0] == 201
    strategy = (
        json_ops
        if kind == "json"
        else (st.builds(lambda spec: {**DEPLOY, "spec": spec}, values) if kind == "apply" else values)
    )

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=strategy, force=st.booleans())
    def run(body: Any, force: bool) -> None:
        _, before = _call(quiet_server, "GET", PATH)
        query = f"?fieldManager=fuzz{'&force=true' if force else ''}"
        status, resp = _call(quiet_server, "PATCH", PATH + query, body, PATCH_TYPES[kind])
        assert status < 500, resp
        assert resp["kind"] == ("Deployment" if status < 300 else "Status"), resp
        _, after = _call(quiet_server, "GET", PATH)
        if status >= 400:
            assert resp["message"] and after == before, "a refused patch changes nothing"
        else:
            assert after == resp

    run()


async def test_named_bad_inputs_leave_object_unchanged(api: Api) -> None:
    path = "/api/v1/namespaces/default/configmaps/keep"
    _, before = await api.post("/api/v1/namespaces/default/configmaps", cm("keep", {"a": "1"}))
    apply = "application/apply-patch+yaml"
    cases: list[tuple[str, Any, str, int]] = [
        (
            "apply other kind",
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "keep"}},
            apply,
            400,
        ),
        (
            "apply other name",
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other"}},
            apply,
            400,
        ),
        (
            "apply other group",
            {"apiVersion": "apps/v1", "kind": "ConfigMap", "metadata": {"name": "keep"}},
            apply,
            400,
        ),
        (
            "apply undeclared",
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep"}, "bogus": 1},
            apply,
            422,
        ),
        (
            "conflicting apply",
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep"}, "data": {"a": "2"}},
            apply,
            409,
        ),
        ("invalid object", {"data": {"bad key!": "x"}}, "application/merge-patch+json", 422),
        ("json patch not a list", {"op": "add"}, "application/json-patch+json", 400),
        # "²" passes str.isdigit() but is no array index: once a 500 with a Python ValueError.
        (
            "json patch index ²",
            [{"op": "replace", "path": "/metadata/managedFields/²", "value": {}}],
            "application/json-patch+json",
            422,
        ),
        (
            "json patch from ²",
            [{"op": "copy", "from": "/metadata/managedFields/²", "path": "/data/b"}],
            "application/json-patch+json",
            422,
        ),
    ]
    for what, body, ctype, code in cases:
        status, err = await api.patch(f"{path}?fieldManager=other", body, content_type=ctype)
        assert (status, err["kind"]) == (code, "Status"), (what, err)
        assert err["message"], what
    for raw, ctype in ((b"{not json", "application/merge-patch+json"), (b"a: [", apply)):
        status, err = await api.request("PATCH", f"{path}?fieldManager=other", raw=raw, content_type=ctype)
        assert status == 400 and err["reason"] == "BadRequest", err
    _, after = await api.get(path)
    assert after == before
