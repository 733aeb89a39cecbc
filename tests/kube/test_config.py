"""Loading kubeconfig files and in-cluster configuration."""

from __future__ import annotations

import base64
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from pykro.kube import KubeClient
from pykro.kube.auth import Credentials
from pykro.kube.config import in_cluster_config, load_kubeconfig
from pykro.kube.errors import ConfigError


def write_kubeconfig(path: Path, **extra_users: Mapping[str, object]) -> Path:
    users = [{"name": "alice", "user": {"token": "alice-token"}}]
    users += [{"name": name, "user": user} for name, user in extra_users.items()]
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "dev",
        "clusters": [
            {
                "name": "dev-cluster",
                "cluster": {"server": "https://dev.example:6443", "insecure-skip-tls-verify": True},
            },
            {
                "name": "prod-cluster",
                "cluster": {"server": "https://prod.example:6443", "insecure-skip-tls-verify": True},
            },
        ],
        "contexts": [
            {"name": "dev", "context": {"cluster": "dev-cluster", "user": "alice", "namespace": "team-a"}},
            {"name": "prod", "context": {"cluster": "prod-cluster", "user": "alice"}},
            *({"name": name, "context": {"cluster": "dev-cluster", "user": name}} for name in extra_users),
        ],
        "users": users,
    }
    path.write_text(yaml.safe_dump(doc))
    return path


def test_current_context_is_the_default(tmp_path: Path) -> None:
    cfg = load_kubeconfig(write_kubeconfig(tmp_path / "config"))
    assert cfg.server == "https://dev.example:6443"
    assert cfg.namespace == "team-a"
    assert cfg.context_name == "dev"


def test_context_selection_and_default_namespace(tmp_path: Path) -> None:
    cfg = load_kubeconfig(write_kubeconfig(tmp_path / "config"), context="prod")
    assert cfg.server == "https://prod.example:6443"
    assert cfg.namespace == "default"


def test_kubeconfig_env_variable_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "cfg")))
    assert load_kubeconfig().context_name == "dev"


def test_unknown_context_is_a_config_error_naming_it(tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "config")
    with pytest.raises(ConfigError) as info:
        load_kubeconfig(path, context="staging")
    assert "staging" in str(info.value) and str(path) in info.value.lines()[0]


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_kubeconfig(tmp_path / "nope")


def test_malformed_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.write_text("clusters: 3\ncontexts: [1]\n")
    with pytest.raises(ConfigError, match="cannot load kubeconfig"):
        load_kubeconfig(bad)


async def test_token_user_sends_a_bearer_token(tmp_path: Path) -> None:
    cfg = load_kubeconfig(write_kubeconfig(tmp_path / "config"))
    assert await Credentials(cfg.connection).header() == "Bearer alice-token"


async def test_exec_plugin_token_is_used_and_renewed_after_a_401(tmp_path: Path) -> None:
    script = tmp_path / "cred.py"
    runs = tmp_path / "runs"
    script.write_text(
        "import json, pathlib\n"
        f"runs = pathlib.Path({str(runs)!r})\n"
        "n = len(runs.read_text()) if runs.exists() else 0\n"
        "runs.write_text('x' * (n + 1))\n"
        "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1beta1',"
        " 'kind': 'ExecCredential', 'status': {'token': f'from-exec-{n}'}}))\n"
    )
    exec_user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": sys.executable,
            "args": [str(script)],
        }
    }
    cfg = load_kubeconfig(write_kubeconfig(tmp_path / "config", bob=exec_user), context="bob")
    credentials = Credentials(cfg.connection)
    assert await credentials.header() == "Bearer from-exec-0"
    assert await credentials.header() == "Bearer from-exec-0", "cached: the plugin runs once"
    assert await credentials.refresh()
    assert await credentials.header() == "Bearer from-exec-1"


async def test_a_failing_exec_plugin_is_a_config_error_naming_the_context(tmp_path: Path) -> None:
    exec_user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": sys.executable,
            "args": ["-c", "raise SystemExit('no credentials for you')"],
        }
    }
    cfg = load_kubeconfig(write_kubeconfig(tmp_path / "config", bob=exec_user), context="bob")
    with pytest.raises(ConfigError, match="'bob'.*no credentials for you"):
        await Credentials(cfg.connection).header()


def test_bad_client_certificate_is_a_config_error(tmp_path: Path) -> None:
    garbage = base64.b64encode(b"not a certificate").decode()
    user = {"client-certificate-data": garbage, "client-key-data": garbage}
    cfg = load_kubeconfig(write_kubeconfig(tmp_path / "config", carol=user), context="carol")
    with pytest.raises(ConfigError, match="carol"):
        KubeClient(cfg)


def test_in_cluster_reads_the_service_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "token").write_text("sa-token")
    (tmp_path / "namespace").write_text("kro-system")
    (tmp_path / "ca.crt").write_text("")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    cfg = in_cluster_config(tmp_path)
    assert cfg.server == "https://10.96.0.1:443"
    assert cfg.namespace == "kro-system"


def test_in_cluster_outside_a_cluster_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ConfigError, match="not running in a cluster"):
        in_cluster_config(tmp_path)
