"""Server-side apply through kubectl: what kro relies on when a template stops producing a field
(the table of field-set cases is `test_apply_fieldsets.py`)."""

from __future__ import annotations

from typing import Any

from pykro.apiserver import EmbeddedAPIServer
from tests.apiserver.conftest import kubectl_namespace


def _deployment(containers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}},
        },
    }


def test_kubectl_apply_drops_containers_ports_and_env_a_template_stops_producing(
    shared_server: EmbeddedAPIServer,
) -> None:
    """What kro relies on: a field the manager stops applying leaves the child, a field another manager
    owns stays; containers merge by name and ports by containerPort+protocol."""
    main = {
        "name": "main",
        "image": "nginx",
        "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443, "name": "https"}],
        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
    }
    sidecar = {"name": "sidecar", "image": "busybox"}
    with kubectl_namespace(shared_server, "ssa-fieldsets") as kubectl:
        kubectl.apply(_deployment([main, sidecar]), "--server-side", "--field-manager=kro")
        kubectl.run("scale", "deployment", "web", "--replicas=3")
        slimmer = {**main, "ports": main["ports"][:1], "env": main["env"][1:]}
        kubectl.apply(_deployment([slimmer]), "--server-side", "--field-manager=kro")
        got = kubectl.get("deployment", "web", "--show-managed-fields")
        [container] = got["spec"]["template"]["spec"]["containers"]
        assert [p["containerPort"] for p in container["ports"]] == [80]
        assert container["env"] == [{"name": "B", "value": "2"}]
        assert got["spec"]["replicas"] == 3, "the scaler's field stays"
        kro = next(e for e in got["metadata"]["managedFields"] if e["manager"] == "kro")
        owned = kro["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]
        assert list(owned) == ['k:{"name":"main"}']
        assert list(owned['k:{"name":"main"}']["f:ports"]) == ['k:{"containerPort":80,"protocol":"TCP"}']
        clash = kubectl.apply(
            {**_deployment([slimmer]), "spec": {**_deployment([slimmer])["spec"], "replicas": 1}},
            "--server-side",
            "--field-manager=kro",
            check=False,
        )
        assert clash.returncode != 0 and "conflict with" in clash.stderr, clash.stderr
        assert ".spec.replicas" in clash.stderr, clash.stderr
