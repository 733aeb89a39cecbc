"""Sizes and depth, limited as a real cluster limits them, each answered with a Status (never a 500),
and nothing stored that should not be."""

from __future__ import annotations

import base64
import json
import ssl
from typing import Any

import aiohttp
import pytest

from pykro.apiserver import EmbeddedAPIServer
from tests.apiserver.conftest import Api, KubectlIn, ThreadedServer, cm

CMS = "/api/v1/namespaces/default/configmaps"


async def test_a_configmap_over_one_mebibyte_is_invalid_as_kube_validates_it(api: Api) -> None:
    status, err = await api.post(CMS, cm("big", {"blob": "x" * (1024 * 1024 + 1)}))
    assert status == 422
    assert err["message"] == 'ConfigMap "big" is invalid: []: Too long: must have at most 1048576 bytes'
    assert err["details"]["causes"] == [
        {"reason": "FieldValueTooLong", "message": "Too long: must have at most 1048576 bytes", "field": "[]"}
    ]
    assert (await api.get(f"{CMS}/big"))[0] == 404
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "big"},
        "data": {"blob": base64.b64encode(b"x" * (1024 * 1024 + 1)).decode()},
    }
    status, err = await api.post("/api/v1/namespaces/default/secrets", secret)
    assert status == 422
    assert err["message"] == 'Secret "big" is invalid: data: Too long: must have at most 1048576 bytes'
    # Exactly at the limit is fine: keys count too.
    status, _ = await api.post(CMS, cm("edge", {"k": "x" * (1024 * 1024 - 1)}))
    assert status == 201


async def test_an_object_too_large_to_store_gets_etcds_refusal_as_kube_relays_it(api: Api) -> None:
    # A kind with no size rule of its own: only storage limits it (etcd's 1.5 MiB).
    big = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "huge"},
        "secrets": [{"name": f"s-{i:06d}-" + "x" * 200} for i in range(8000)],
    }
    status, err = await api.post("/api/v1/namespaces/default/serviceaccounts", big)
    assert status == 413, err
    assert err["kind"] == "Status" and err["reason"] == "RequestEntityTooLarge"
    assert err["message"] == "Request entity too large: etcdserver: request is too large"
    assert (await api.get("/api/v1/namespaces/default/serviceaccounts/huge"))[0] == 404


async def test_a_body_over_three_mebibytes_is_413_in_kubes_words(api: Api) -> None:
    status, err = await api.post(CMS, cm("huge", {"blob": "x" * (3 * 1024 * 1024)}))
    assert status == 413
    assert err["message"] == "Request entity too large: limit is 3145728"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"[" * 100_000 + b"]" * 100_000),
        ("application/json", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
        ("application/apply-patch+yaml", b"[" * 100_000 + b"]" * 100_000),
        ("application/merge-patch+json", b'{"metadata":' + b'{"a":' * 5_000 + b"1" + b"}" * 5_001),
    ],
)
async def test_json_nested_too_deep_is_400_and_the_server_keeps_serving(
    api: Api, content_type: str, body: bytes
) -> None:
    await api.post(CMS, cm("target"))
    method = "POST" if content_type == "application/json" else "PATCH"
    path = CMS if method == "POST" else f"{CMS}/target?fieldManager=t"
    status, err = await api.request(method, path, raw=body, content_type=content_type)
    assert status == 400, err
    assert err["kind"] == "Status" and "exceeded max depth" in err["message"]
    assert (await api.get(f"{CMS}/target"))[0] == 200


async def test_a_url_over_the_header_limit_gets_a_status(api: Api) -> None:
    status, err = await api.get(f"{CMS}?labelSelector=a%3D{'b' * (1024 * 1024 + 10)}")
    assert status == 431
    assert err["kind"] == "Status" and err["code"] == 431
    assert "longer than the 1048576 byte limit" in err["message"]


async def test_the_retained_event_window_is_bounded_by_bytes(server: EmbeddedAPIServer, api: Api) -> None:
    value = "x" * (900 * 1024)
    await api.post(CMS, cm("rotating", {"v": value + "0"}))
    first_rv = int((await api.get(f"{CMS}/rotating"))[1]["metadata"]["resourceVersion"])
    for i in range(1, 90):  # about 80 MB of updates
        status, _ = await api.patch(f"{CMS}/rotating", {"data": {"v": value + str(i)}})
        assert status == 200
    assert server.store.log.retained_bytes <= 64 * 1024 * 1024 + 1024 * 1024
    # What fell out of the window can no longer be resumed from: 410 Gone, as kube says it.
    async with aiohttp.ClientSession() as session:
        context = ssl.create_default_context(cafile=str(server.ca_path))
        url = f"{server.url}{CMS}?watch=1&resourceVersion={first_rv}"
        async with session.get(url, headers=api.headers(), ssl=context) as resp:
            line = await resp.content.readline()
    event: dict[str, Any] = json.loads(line)
    assert event["type"] == "ERROR" and event["object"]["code"] == 410


def test_kubectl_reports_the_size_limit(tmp_path: Any) -> None:
    blob = tmp_path / "blob.txt"
    blob.write_text("x" * (2 * 1024 * 1024))
    with ThreadedServer(workloads=False) as server:
        k = KubectlIn(server, "default")
        done = k.run("create", "configmap", "big", f"--from-file={blob}", check=False)
        assert done.returncode == 1
        assert done.stderr == (
            'error: failed to create configmap: ConfigMap "big" is invalid: []: Too long: must have at most '
            "1048576 bytes\n"
        )
        assert k.run("get", "configmap", "big", check=False).returncode == 1
