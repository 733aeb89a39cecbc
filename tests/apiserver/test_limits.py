"""Limits and protocol edges as kube-apiserver has them: sizes, nesting depth, URL length, openapi v2."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from cryptography import x509

from pykro.api.crd import rgd_crd_manifest
from pykro.apiserver import EmbeddedAPIServer
from pykro.apiserver.endpoints.connections import ConnectionLimits
from pykro.errors import PykroError
from tests.apiserver.conftest import Api, KubectlIn, cm, kubectl_namespace

CMS = "/api/v1/namespaces/default/configmaps"


@pytest.fixture
def kubectl(shared_server: EmbeddedAPIServer, request: pytest.FixtureRequest) -> Iterator[KubectlIn]:
    with kubectl_namespace(shared_server, "limits-" + request.node.name.replace("_", "-")[5:30]) as k:
        yield k


def test_unknown_kind_reads_as_kubectls_mapping_error_not_an_openapi_download_failure(
    kubectl: KubectlIn,
) -> None:
    manifest = "apiVersion: v1\nkind: ConfigMapp\nmetadata: {name: typo}\n"
    proc = kubectl.run("apply", "-f", "-", stdin=manifest, check=False)
    assert proc.returncode != 0
    assert "failed to download openapi" not in proc.stderr
    assert 'no matches for kind "ConfigMapp" in version "v1"' in proc.stderr


def test_client_side_validation_names_an_unknown_field(kubectl: KubectlIn) -> None:
    manifest = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
        "spec:\n  replicas: 1\n  bogus: 1\n  selector: {matchLabels: {app: web}}\n"
        "  template:\n    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: c, image: nginx}]}\n"
    )
    proc = kubectl.run(
        "apply", "--validate=strict", "--dry-run=server", "-f", "-", stdin=manifest, check=False
    )
    assert proc.returncode != 0
    assert 'unknown field "spec.bogus"' in proc.stderr


def test_an_object_over_etcds_limit_is_refused_as_kube_apiserver_relays_it(
    kubectl: KubectlIn, tmp_path: Path
) -> None:
    # A kind with no size rule of its own (a ConfigMap this big is invalid first: test_config_size.py).
    import yaml

    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "huge"},
        "secrets": [{"name": f"s-{i:06d}-" + "x" * 200} for i in range(8000)],
    }
    (tmp_path / "sa.yaml").write_text(yaml.safe_dump(account))
    proc = kubectl.run("create", "-f", str(tmp_path / "sa.yaml"), check=False)
    assert proc.returncode != 0
    assert "etcdserver: request is too large" in proc.stderr
    assert kubectl.run("get", "serviceaccount", "huge", check=False).returncode != 0
    account["secrets"] = account["secrets"][:2000]  # with its managedFields about 1 MiB: it fits
    (tmp_path / "sa.yaml").write_text(yaml.safe_dump(account))
    kubectl.run("create", "-f", str(tmp_path / "sa.yaml"))


async def test_a_body_over_3_mib_is_413_with_kubes_message(api: Api) -> None:
    status, err = await api.post(CMS, cm("huge", {"k": "x" * (3 * 1024 * 1024)}))
    assert (status, err["reason"]) == (413, "RequestEntityTooLarge")
    assert err["message"] == "Request entity too large: limit is 3145728"


def _nested(depth: int) -> str:
    return '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep","labels":' + (
        "[" * depth + "]" * depth + "}}"
    )


@pytest.mark.parametrize("depth", [300, 100_000])
async def test_json_nested_too_deep_is_400_on_every_write_path(api: Api, depth: int) -> None:
    body = _nested(depth).encode()
    await api.post(CMS, cm("deep"))
    writes = [
        ("POST", CMS, "application/json"),
        ("PUT", f"{CMS}/deep", "application/json"),
        ("PATCH", f"{CMS}/deep", "application/merge-patch+json"),
        ("PATCH", f"{CMS}/deep", "application/strategic-merge-patch+json"),
        ("PATCH", f"{CMS}/deep?fieldManager=t", "application/apply-patch+yaml"),
    ]
    for method, path, content_type in writes:
        status, err = await api.request(method, path, raw=body, content_type=content_type)
        assert (status, err["kind"], err["reason"]) == (400, "Status", "BadRequest"), (method, content_type)
        assert "exceeded max depth" in err["message"]
    json_patch = ('[{"op":"add","path":"/data","value":' + "[" * depth + "]" * depth + "}]").encode()
    status, err = await api.request(
        "PATCH", f"{CMS}/deep", raw=json_patch, content_type="application/json-patch+json"
    )
    assert (status, err["reason"]) == (400, "BadRequest")


async def test_yaml_nested_too_deep_is_400(api: Api) -> None:
    levels = "".join(f"{'  ' * i}k:\n" for i in range(300)) + "  " * 300 + "k: v\n"
    body = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deepyaml\n  annotations:\n{levels}"
    status, err = await api.request(
        "PATCH",
        f"{CMS}/deepyaml?fieldManager=t",
        raw=body.encode(),
        content_type="application/apply-patch+yaml",
    )
    assert (status, err["reason"]) == (400, "BadRequest") and "exceeded max depth" in err["message"]


async def test_a_url_over_the_header_limit_gets_a_431_status(api: Api) -> None:
    status, err = await api.get(f"{CMS}?labelSelector={'a' * (1 << 20)}")
    assert status == 431
    assert (err["kind"], err["code"]) == ("Status", 431)
    status, _ = await api.get(f"{CMS}?labelSelector={'a' * 60}")  # a long one under the limit is served
    assert status == 200


async def test_the_watch_window_is_bounded_by_bytes() -> None:
    async with (
        EmbeddedAPIServer(workloads=False, watch_window_bytes=1024 * 1024) as server,
        aiohttp.ClientSession() as session,
    ):
        api = Api(server, session)
        _, first = await api.post(CMS, cm("blob", {"k": ""}))
        for i in range(12):  # 12 versions of 200 kB: more than the window's 1 MiB
            status, last = await api.put(f"{CMS}/blob", cm("blob", {"k": str(i) * 200_000}))
            assert status == 200
        expired = await api.watch(
            f"{CMS}?watch=1&resourceVersion={first['metadata']['resourceVersion']}", until=1
        )
        assert [(e["type"], e["object"]["code"], e["object"]["reason"]) for e in expired] == [
            ("ERROR", 410, "Expired")
        ]
        events = await api.watch(
            f"{CMS}?watch=1&resourceVersion={int(last['metadata']['resourceVersion']) - 1}", until=1
        )
        assert [e["type"] for e in events] == ["MODIFIED"]


async def test_a_connection_that_sends_nothing_after_tls_is_closed() -> None:
    limits = ConnectionLimits(read_header_timeout=0.5)
    async with EmbeddedAPIServer(workloads=False, connection_limits=limits) as server:
        host, port = server.url.removeprefix("https://").rsplit(":", 1)
        context = ssl.create_default_context(cafile=str(server.ca_path))
        reader, writer = await asyncio.open_connection(host, int(port), ssl=context)
        try:
            assert await asyncio.wait_for(reader.read(), timeout=30) == b""  # closed by the server
        finally:
            writer.close()


async def test_tls_san_names_appear_in_the_served_certificate() -> None:
    async with EmbeddedAPIServer(workloads=False, tls_sans=("api.example.test", "10.1.2.3")) as server:
        host, port = server.url.removeprefix("https://").rsplit(":", 1)
        pem = await asyncio.to_thread(ssl.get_server_certificate, (host, int(port)))
    names = x509.load_pem_x509_certificate(pem.encode()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert "api.example.test" in names.value.get_values_for_type(x509.DNSName)
    assert ipaddress.ip_address("10.1.2.3") in names.value.get_values_for_type(x509.IPAddress)


def test_a_bad_tls_san_is_a_flag_error() -> None:
    with pytest.raises(PykroError, match="--tls-san: 'not a name' is neither an IP address nor a DNS name"):
        EmbeddedAPIServer(tls_sans=("not a name",))


def test_an_rgd_and_its_instance_in_one_file_read_as_kubectls_mapping_error(kubectl: KubectlIn) -> None:
    kubectl.apply(rgd_crd_manifest())
    manifest = (
        "apiVersion: kro.run/v1alpha1\nkind: ResourceGraphDefinition\nmetadata: {name: limits-apps}\n"
        "spec:\n  schema: {apiVersion: v1alpha1, kind: LimitsApp, spec: {name: string}}\n"
        "  resources: []\n---\n"
        "apiVersion: kro.run/v1alpha1\nkind: LimitsApp\nmetadata: {name: one}\nspec: {name: x}\n"
    )
    proc = kubectl.run("apply", "-f", "-", stdin=manifest, check=False)
    assert proc.returncode != 0
    assert "failed to download openapi" not in proc.stderr
    assert 'resource mapping not found for name: "one"' in proc.stderr
    assert 'no matches for kind "LimitsApp" in version "kro.run/v1alpha1"' in proc.stderr
    assert "resourcegraphdefinition.kro.run/limits-apps created" in proc.stdout


async def test_openapi_v2_is_protobuf_when_asked_first_and_json_otherwise(api: Api) -> None:
    async def fetch(accept: str) -> tuple[str, bytes]:
        url = api.server.url + "/openapi/v2"
        async with api.session.get(url, headers=api.headers({"Accept": accept}), ssl=api.ssl) as resp:
            assert resp.status == 200
            return resp.headers["Content-Type"], await resp.read()

    proto = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
    content_type, body = await fetch(proto)
    assert content_type == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    assert body.startswith(b"\x0a\x032.0")  # field 1 (swagger), "2.0"
    assert b"io.k8s.api.apps.v1.Deployment" in body
    content_type, body = await fetch(f"application/json, {proto}")
    assert content_type.startswith("application/json") and json.loads(body)["swagger"] == "2.0"


def test_pykro_apiserver_tls_san_flag_names_the_served_certificate(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "pykro.cli.main", "apiserver", "--data-dir", str(tmp_path / "data")]
    command += ["--tls-san", "kro.example.test", "--tls-san", "192.0.2.10", "--simulate-workloads", "off"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("serving https://"), line
        host, port = line.split("https://", 1)[1].strip().rsplit(":", 1)
        pem = ssl.get_server_certificate((host, int(port)), timeout=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    names = x509.load_pem_x509_certificate(pem.encode()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert "kro.example.test" in names.value.get_values_for_type(x509.DNSName)
    assert ipaddress.ip_address("192.0.2.10") in names.value.get_values_for_type(x509.IPAddress)
