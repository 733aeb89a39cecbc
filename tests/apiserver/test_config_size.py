"""ConfigMaps and Secrets hold at most 1 MiB of keys and values, as kube-apiserver validates them."""

from __future__ import annotations

import base64
from typing import Any

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
