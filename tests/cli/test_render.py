"""`pykro render`, run as a process: rendered children in topological order, pending and excluded nodes,
forEach expansion, `--observed`, `-o json`, RGD selection by kind, stdin and errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.cli.cli_process import ROLLOUT, ROLLOUT_INSTANCE, ROLLOUT_RGD, run_cli
from tests.paths import KRO_E2E, KRO_EXAMPLES

WEBAPP_RGD, WEBAPP_INSTANCE = KRO_EXAMPLES / "webapp/rg.yaml", KRO_EXAMPLES / "webapp/instance.yaml"

FLEET_RGD = """
apiVersion: kro.run/v1alpha1
kind: ResourceGraphDefinition
metadata: {name: fleet}
spec:
  schema:
    apiVersion: v1alpha1
    kind: Fleet
    spec:
      regions: "[]string"
      monitoring: boolean | default=false
      divisor: integer | default=1
  resources:
  - id: configs
    forEach:
    - region: ${schema.spec.regions}
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: ${schema.metadata.name + '-' + region}
      data:
        region: ${region}
        share: ${string(100 / schema.spec.divisor)}
  - id: monitor
    includeWhen:
    - ${schema.spec.monitoring}
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: ${schema.metadata.name}-monitor
      data:
        count: ${string(size(configs))}
"""

TEAM_RGD = """
apiVersion: kro.run/v1alpha1
kind: ResourceGraphDefinition
metadata: {name: team}
spec:
  schema:
    apiVersion: v1alpha1
    kind: Team
    spec:
      team: string
  resources:
  - id: peers
    externalRef:
      apiVersion: v1
      kind: ConfigMap
      metadata:
        selector:
          matchLabels: {team: "${schema.spec.team}"}
          matchExpressions: [{key: tier, operator: In, values: [web, api]}]
  - id: summary
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.metadata.name}-summary"}
      data:
        names: ${peers.map(p, p.metadata.name).join(",")}
"""


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    assert isinstance(doc, dict)
    return doc


def _headers(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("# resource: ")]


def _objects(stdout: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(stdout) if doc]


def _json(*args: str, stdin: str | None = None) -> dict[str, Any]:
    result = run_cli("render", *args, "-o", "json", stdin=stdin)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert isinstance(out, dict)
    return out


def _nodes(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["id"]: node for node in out["nodes"]}


def _write(path: Path, *docs: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump_all(docs))
    return path


def _rollout_observed(tmp_path: Path, available: int) -> Path:
    """What the cluster returns for config-rollout's children: server-set resourceVersions, a status."""
    name = _load(ROLLOUT_INSTANCE)["metadata"]["name"]
    return _write(
        tmp_path / "observed.yaml",
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": f"{name}-credentials", "resourceVersion": "41"},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{name}-config", "resourceVersion": "42"},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "status": {"availableReplicas": available},
        },
    )


def test_config_rollout_renders_what_it_can_and_shows_what_waits() -> None:
    result = run_cli("render", str(ROLLOUT_RGD), str(ROLLOUT_INSTANCE))
    assert result.returncode == 0, result.stderr
    assert _headers(result.stdout) == [
        "# resource: secret (rendered)",
        "# resource: config (rendered)",
        "# resource: deployment (pending)",
    ]
    instance = _load(ROLLOUT_INSTANCE)
    secret, config = _objects(result.stdout)
    assert secret["kind"] == "Secret" and secret["stringData"]["password"] == instance["spec"]["password"]
    assert secret["metadata"]["namespace"] == instance["metadata"]["namespace"]
    assert secret["metadata"]["labels"]["kro.run/node-id"] == "secret"
    log_level_marker = _load(ROLLOUT_RGD)["spec"]["schema"]["spec"]["logLevel"]
    default_level = log_level_marker.split('default="')[1].split('"')[0]
    assert config["data"]["LOG_LEVEL"] == default_level  # the CRD default, applied as the server would
    pending = result.stdout.split("# resource: deployment (pending)\n")[1]
    assert pending.startswith("# pending: ") and "${secret.metadata.resourceVersion}" in pending


def test_config_rollout_with_observed_state_renders_everything(tmp_path: Path) -> None:
    observed = _rollout_observed(tmp_path, available=_load(ROLLOUT_INSTANCE)["spec"]["replicas"])
    result = run_cli("render", str(ROLLOUT_RGD), str(ROLLOUT_INSTANCE), "--observed", str(observed))
    assert result.returncode == 0, result.stderr
    assert [h.split()[-1] for h in _headers(result.stdout)] == ["(rendered)"] * 3
    deployment = _objects(result.stdout)[-1]
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {"example.com/secret-version": "41", "example.com/config-version": "42"}
    assert "status" not in deployment  # what is applied, not what was observed

    out = _json(str(ROLLOUT_RGD), str(ROLLOUT_INSTANCE), "--observed", str(observed))
    assert out["state"] == "ACTIVE"
    assert out["status"]["secretVersion"] == "41" and out["status"]["availableReplicas"] == 2
    assert all(n["state"] == "rendered" and n["ready"] is True for n in out["nodes"])


def test_observed_status_that_fails_ready_when_keeps_the_instance_in_progress(tmp_path: Path) -> None:
    out = _json(str(ROLLOUT_RGD), str(ROLLOUT_INSTANCE), "--observed", str(_rollout_observed(tmp_path, 1)))
    deployment = _nodes(out)["deployment"]
    assert out["state"] == "IN_PROGRESS"
    assert deployment["state"] == "rendered" and deployment["ready"] is False
    assert "readyWhen" in deployment["readyReason"]


def test_upstream_webapp_waits_for_the_deployment_then_renders_include_when_nodes(tmp_path: Path) -> None:
    result = run_cli("render", str(WEBAPP_RGD), str(WEBAPP_INSTANCE))
    assert result.returncode == 0, result.stderr
    assert _headers(result.stdout) == [
        "# resource: deployment (rendered)",
        "# resource: service (pending)",
        "# resource: ingress (pending)",
    ]
    assert "# includeWhen: ${schema.spec.service.enabled}" in result.stdout
    assert 'dependent node "deployment" not ready' in result.stdout

    name = _load(WEBAPP_INSTANCE)["spec"]["name"]
    observed = _write(
        tmp_path / "observed.yaml",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "status": {"availableReplicas": 1},
        },
    )
    nodes = _nodes(_json(str(WEBAPP_RGD), str(WEBAPP_INSTANCE), "--observed", str(observed)))
    assert [n["state"] for n in nodes.values()] == ["rendered"] * 3
    (service,) = nodes["service"]["objects"]
    assert service["metadata"]["name"] == name and service["spec"]["selector"] == {"app": name}
    assert nodes["ingress"]["includeWhen"] == ["${schema.spec.ingress.enabled}"]


def test_include_when_false_is_shown_as_excluded(tmp_path: Path) -> None:
    instance = _load(WEBAPP_INSTANCE)
    instance["spec"]["ingress"]["enabled"] = False
    observed = _write(
        tmp_path / "observed.yaml",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": instance["spec"]["name"]},
            "status": {"availableReplicas": 1},
        },
    )
    result = run_cli(
        "render", str(WEBAPP_RGD), "-", "--observed", str(observed), stdin=yaml.safe_dump(instance)
    )
    assert result.returncode == 0, result.stderr
    excluded = result.stdout.split("# resource: ingress (excluded)\n")[1]
    assert excluded.splitlines()[:2] == [
        "# includeWhen: ${schema.spec.ingress.enabled}",
        "# excluded: includeWhen is false",
    ]
    assert [o["kind"] for o in _objects(result.stdout)] == ["Deployment", "Service"]


def test_for_each_expands_one_object_per_item(tmp_path: Path) -> None:
    rgd = tmp_path / "fleet.yaml"
    rgd.write_text(FLEET_RGD)
    regions = ["eu", "us", "ap"]
    instance = {
        "apiVersion": "kro.run/v1alpha1",
        "kind": "Fleet",
        "metadata": {"name": "f", "namespace": "n"},
        "spec": {"regions": regions},
    }
    result = run_cli("render", str(rgd), "-", stdin=yaml.safe_dump(instance))
    assert result.returncode == 0, result.stderr
    assert "# forEach: region in ${schema.spec.regions} (3 items)" in result.stdout
    objects = _objects(result.stdout)
    assert [o["metadata"]["name"] for o in objects] == [f"f-{r}" for r in regions]
    assert [o["data"]["region"] for o in objects] == regions
    assert [o["metadata"]["labels"]["kro.run/collection-index"] for o in objects] == ["0", "1", "2"]
    assert "# resource: monitor (excluded)" in result.stdout

    nodes = _nodes(
        _json(
            str(rgd),
            "-",
            stdin=yaml.safe_dump({**instance, "spec": {**instance["spec"], "monitoring": True}}),
        )
    )
    assert nodes["configs"]["forEach"] == [{"name": "region", "expression": "${schema.spec.regions}"}]
    (monitor,) = nodes["monitor"]["objects"]
    assert monitor["data"]["count"] == str(len(regions))  # the collection is observed as rendered


def test_runtime_error_exits_1_with_the_resource_and_field(tmp_path: Path) -> None:
    rgd = tmp_path / "fleet.yaml"
    rgd.write_text(FLEET_RGD)
    instance = tmp_path / "instance.yaml"
    _write(
        instance,
        {
            "apiVersion": "kro.run/v1alpha1",
            "kind": "Fleet",
            "metadata": {"name": "f"},
            "spec": {"regions": ["eu"], "divisor": 0},
        },
    )
    result = run_cli("render", str(rgd), str(instance))
    assert result.returncode == 1
    assert "# resource: configs (error)" in result.stdout
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {instance}: document 1: resource 'configs': field data.share")
    assert "Traceback" not in result.stderr


def test_the_instance_kind_selects_the_rgd_among_several() -> None:
    result = run_cli("render", str(WEBAPP_RGD), str(ROLLOUT), str(ROLLOUT_INSTANCE))  # a directory among RGDs
    assert result.returncode == 0, result.stderr
    assert [o["kind"] for o in _objects(result.stdout)] == ["Secret", "ConfigMap"]

    unknown = run_cli("render", str(WEBAPP_RGD), str(ROLLOUT_INSTANCE))
    assert unknown.returncode == 1
    assert unknown.stderr.startswith(
        f"error: {ROLLOUT_INSTANCE}: document 1: no RGD given defines kro.run/v1alpha1 ConfigRollout"
    )


def test_an_invalid_instance_is_refused_as_the_api_server_would(tmp_path: Path) -> None:
    instance = _load(ROLLOUT_INSTANCE)
    instance["spec"]["replicas"] = 99
    path = _write(tmp_path / "bad.yaml", instance)
    result = run_cli("render", str(ROLLOUT_RGD), str(path))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {path}: document 1: spec.replicas: Invalid value: 99: spec.replicas in body should be less "
        "than or equal to 20"
    ]


def test_usage_errors() -> None:
    one = run_cli("render", str(ROLLOUT_RGD))
    assert one.returncode == 2 and "RGD_FILE... INSTANCE_FILE" in one.stderr
    missing = run_cli("render", str(ROLLOUT_RGD), "nosuch.yaml")
    assert (missing.returncode, missing.stderr) == (1, "error: nosuch.yaml: no such file or directory\n")


def test_upstream_external_reference_comes_from_observed() -> None:
    scenario = KRO_E2E / "check-external-references"
    rgd, instance, configmap = scenario / "rgd.yaml", scenario / "instance.yaml", scenario / "configmap.yaml"
    without = run_cli("render", str(rgd), str(instance))
    assert without.returncode == 0, without.stderr
    assert _headers(without.stdout) == ["# resource: input (pending)", "# resource: owned (pending)"]
    assert "not found (supply it with --observed)" in without.stdout

    nodes = _nodes(_json(str(rgd), str(instance), "--observed", str(configmap)))
    assert nodes["input"]["state"] == "observed"
    (owned,) = nodes["owned"]["objects"]
    assert owned["data"]["ECHO_VALUE"] == _load(configmap)["data"]["ECHO_VALUE"]


def test_external_collection_selects_observed_objects_by_labels(tmp_path: Path) -> None:
    rgd = tmp_path / "team.yaml"
    rgd.write_text(TEAM_RGD)
    labels = {
        "a": {"team": "red", "tier": "web"},
        "b": {"team": "red", "tier": "db"},
        "c": {"team": "blue", "tier": "web"},
        "d": {"team": "red", "tier": "api"},
    }
    observed = _write(
        tmp_path / "observed.yaml",
        *(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n, "labels": v}}
            for n, v in labels.items()
        ),
    )
    instance = {
        "apiVersion": "kro.run/v1alpha1",
        "kind": "Team",
        "metadata": {"name": "t"},
        "spec": {"team": "red"},
    }
    result = run_cli(
        "render", str(rgd), "-", "--observed", str(observed), "-o", "json", stdin=yaml.safe_dump(instance)
    )
    assert result.returncode == 0, result.stderr
    nodes = _nodes(json.loads(result.stdout))
    selected = [n for n, v in labels.items() if v["team"] == "red" and v["tier"] in ("web", "api")]
    assert [o["metadata"]["name"] for o in nodes["peers"]["objects"]] == selected
    (summary,) = nodes["summary"]["objects"]
    assert summary["data"]["names"] == ",".join(selected)
    unused = sorted(set(labels) - set(selected))
    assert result.stderr.splitlines() == [
        f"warning: --observed ConfigMap {n} matches no rendered resource" for n in unused
    ]


def test_the_rgd_of_the_instance_kind_not_compiling_is_the_error(tmp_path: Path) -> None:
    rgd = tmp_path / "rgd.yaml"
    rgd.write_text(ROLLOUT_RGD.read_text().replace("password: string |", "password: strin |"))
    result = run_cli("render", str(rgd), str(ROLLOUT_INSTANCE))
    assert result.returncode == 1 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {rgd}: configrollout.kro.run: ") and "unknown type: strin" in line
