"""Built-in defaults, checked against the shapes the shared e2e asserts expect from a real server."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from pykro.apiserver.admission.defaults import (
    allocate_cluster_ip,
    allocate_node_ports,
    apply_defaults,
    image_pull_policy,
)
from pykro.apiserver.admission.structural import default_and_prune
from pykro.schema.gvk import GVK
from pykro.schema.simpleschema import to_openapi
from pykro.testing.assertion import match
from tests.paths import KRO_E2E

E2E = KRO_E2E
EXPR = re.compile(r"\$\{([^}]*)\}")


def resolve(value: Any, scope: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {resolve(k, scope): resolve(v, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, scope) for v in value]
    if not isinstance(value, str):
        return value

    def lookup(expr: str) -> Any:
        node: Any = scope
        for part in expr.strip().split("."):
            if not isinstance(node, dict) or part not in node:
                pytest.skip(f"expression {expr!r} is not a plain field reference")
            node = node[part]
        return node

    whole = EXPR.fullmatch(value.strip())
    if whole:
        return lookup(whole.group(1))
    return EXPR.sub(lambda m: str(lookup(m.group(1))), value)


def cases() -> list[tuple[str, str, str]]:
    """(scenario, instance file, assert file) for every Deployment/Service assert with a matching instance."""
    out = []
    for assert_file in sorted(E2E.glob("*/*-assert.yaml")):
        doc = yaml.safe_load(assert_file.read_text())
        if not isinstance(doc, dict) or doc.get("kind") not in ("Deployment", "Service"):
            continue
        instance = "instance-update.yaml" if "update" in assert_file.name else "instance.yaml"
        if (assert_file.parent / instance).exists() and (assert_file.parent / "rgd.yaml").exists():
            out.append((assert_file.parent.name, instance, assert_file.name))
    return out


@pytest.mark.parametrize(("scenario", "instance_file", "assert_file"), cases())
def test_defaulted_templates_satisfy_e2e_asserts(scenario: str, instance_file: str, assert_file: str) -> None:
    folder = E2E / scenario
    rgd = yaml.safe_load((folder / "rgd.yaml").read_text())
    expected = yaml.safe_load((folder / assert_file).read_text())
    instance = yaml.safe_load((folder / instance_file).read_text())
    spec_schema = to_openapi(rgd["spec"]["schema"]["spec"])
    instance = default_and_prune(instance, {"type": "object", "properties": {"spec": spec_schema}})
    scope = {"schema": instance}
    templates = [
        r["template"]
        for r in rgd["spec"]["resources"]
        if r.get("template", {}).get("kind") == expected["kind"]
    ]
    assert templates, f"{scenario} has no {expected['kind']} template"
    obj = resolve(templates[0], scope)
    gvk = GVK.from_api_version(obj["apiVersion"], obj["kind"])
    defaulted = apply_defaults(gvk, obj)
    # labels and generation are kro's and the server's bookkeeping, not defaults
    expected["metadata"] = {k: v for k, v in expected["metadata"].items() if k == "name"}
    if expected["spec"].get("replicas") not in (None, obj["spec"].get("replicas", 1)):
        pytest.skip("replicas changed by an HPA in this scenario")
    assert match(expected, defaulted) == []  # chainsaw partial match


def test_e2e_cases_found() -> None:
    assert len(cases()) >= 4


def test_deployment_defaults_like_real_server() -> None:
    out = apply_defaults(
        GVK("apps", "v1", "Deployment"),
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "spec": {
                "template": {
                    "spec": {
                        "containers": [{"name": "a", "image": "nginx", "ports": [{"containerPort": 80}]}],
                        "volumes": [{"name": "c", "configMap": {"name": "x"}}, {"name": "e"}],
                    }
                }
            },
        },
    )
    spec = out["spec"]
    assert (
        spec["replicas"] == 1
        and spec["revisionHistoryLimit"] == 10
        and spec["progressDeadlineSeconds"] == 600
    )
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }
    pod = spec["template"]["spec"]
    assert pod["dnsPolicy"] == "ClusterFirst" and pod["restartPolicy"] == "Always"
    assert pod["schedulerName"] == "default-scheduler" and pod["terminationGracePeriodSeconds"] == 30
    assert pod["securityContext"] == {}
    container = pod["containers"][0]
    assert container["imagePullPolicy"] == "Always"
    assert container["ports"][0]["protocol"] == "TCP"
    assert pod["volumes"] == [
        {"name": "c", "configMap": {"name": "x", "defaultMode": 420}},
        {"name": "e", "emptyDir": {}},
    ]
    assert spec["template"]["metadata"] == {"creationTimestamp": None}
    recreate = apply_defaults(GVK("apps", "v1", "Deployment"), {"spec": {"strategy": {"type": "Recreate"}}})
    assert recreate["spec"]["strategy"] == {"type": "Recreate"}


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.25", "IfNotPresent"),
        ("localhost:5000/app", "Always"),
        ("localhost:5000/app:v1", "IfNotPresent"),
        ("nginx@sha256:abc", "IfNotPresent"),
    ],
)
def test_image_pull_policy(image: str, policy: str) -> None:
    assert image_pull_policy(image) == policy


def test_workload_and_batch_defaults() -> None:
    sts = apply_defaults(
        GVK("apps", "v1", "StatefulSet"), {"spec": {"volumeClaimTemplates": [{"spec": {}}]}}
    )["spec"]
    assert sts["podManagementPolicy"] == "OrderedReady"
    assert sts["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert sts["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    assert sts["volumeClaimTemplates"][0]["spec"]["volumeMode"] == "Filesystem"
    ds = apply_defaults(GVK("apps", "v1", "DaemonSet"), {"spec": {}})["spec"]
    assert ds["updateStrategy"]["rollingUpdate"] == {"maxUnavailable": 1, "maxSurge": 0}
    job = apply_defaults(
        GVK("batch", "v1", "Job"), {"spec": {"template": {"spec": {"restartPolicy": "Never"}}}}
    )
    assert {
        k: job["spec"][k]
        for k in (
            "completions",
            "parallelism",
            "backoffLimit",
            "completionMode",
            "suspend",
            "podReplacementPolicy",
        )
    } == {
        "completions": 1,
        "parallelism": 1,
        "backoffLimit": 6,
        "completionMode": "NonIndexed",
        "suspend": False,
        "podReplacementPolicy": "TerminatingOrFailed",
    }
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    parallel = apply_defaults(GVK("batch", "v1", "Job"), {"spec": {"parallelism": 3}})["spec"]
    assert "completions" not in parallel and parallel["parallelism"] == 3
    cron = apply_defaults(
        GVK("batch", "v1", "CronJob"),
        {
            "spec": {
                "jobTemplate": {
                    "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox:1"}]}}}
                }
            }
        },
    )["spec"]
    assert (
        cron["concurrencyPolicy"],
        cron["suspend"],
        cron["successfulJobsHistoryLimit"],
        cron["failedJobsHistoryLimit"],
    ) == ("Allow", False, 3, 1)
    assert (
        cron["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    )


def test_service_defaults_and_allocation() -> None:
    svc = apply_defaults(
        GVK("", "v1", "Service"), {"spec": {"selector": {"a": "b"}, "ports": [{"port": 80}]}}
    )
    spec = svc["spec"]
    assert (
        spec["type"],
        spec["sessionAffinity"],
        spec["internalTrafficPolicy"],
        spec["ipFamilyPolicy"],
        spec["ipFamilies"],
    ) == ("ClusterIP", "None", "Cluster", "SingleStack", ["IPv4"])
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    allocated = allocate_cluster_ip(svc, lambda family: "10.96.0.10" if family == "IPv4" else "")
    assert allocated["spec"]["clusterIP"] == "10.96.0.10" and allocated["spec"]["clusterIPs"] == [
        "10.96.0.10"
    ]
    headless = apply_defaults(
        GVK("", "v1", "Service"), {"spec": {"clusterIP": "None", "ports": [{"port": 1}]}}
    )
    assert allocate_cluster_ip(headless, lambda f: "x")["spec"]["clusterIPs"] == ["None"]
    node = apply_defaults(GVK("", "v1", "Service"), {"spec": {"type": "NodePort", "ports": [{"port": 80}]}})
    assert node["spec"]["externalTrafficPolicy"] == "Cluster"
    assert allocate_node_ports(node, lambda: 30080)["spec"]["ports"][0]["nodePort"] == 30080
    external = apply_defaults(
        GVK("", "v1", "Service"), {"spec": {"type": "ExternalName", "externalName": "a.b"}}
    )
    assert "internalTrafficPolicy" not in external["spec"]


def test_misc_kinds() -> None:
    assert apply_defaults(GVK("", "v1", "Secret"), {"data": {}})["type"] == "Opaque"
    assert (
        apply_defaults(GVK("", "v1", "PersistentVolumeClaim"), {"spec": {}})["spec"]["volumeMode"]
        == "Filesystem"
    )
    assert apply_defaults(GVK("", "v1", "ConfigMap"), {"data": {"a": "b"}}) == {"data": {"a": "b"}}
    pod = apply_defaults(
        GVK("", "v1", "Pod"),
        {"spec": {"containers": [{"name": "a", "image": "x:1"}], "restartPolicy": "OnFailure"}},
    )
    assert pod["spec"]["restartPolicy"] == "OnFailure" and pod["spec"]["enableServiceLinks"] is True
    odd = {"spec": "not-a-map"}
    assert apply_defaults(GVK("apps", "v1", "Deployment"), odd) == odd


def test_pod_admission_defaults() -> None:
    pod = apply_defaults(GVK("", "v1", "Pod"), {"spec": {"containers": [{"name": "a", "image": "x:1"}]}})[
        "spec"
    ]
    assert (pod["serviceAccountName"], pod["serviceAccount"], pod["priority"], pod["preemptionPolicy"]) == (
        "default",
        "default",
        0,
        "PreemptLowerPriority",
    )
    assert [t["key"] for t in pod["tolerations"]] == [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ]


def test_hpa_defaults() -> None:
    hpa = apply_defaults(GVK("autoscaling", "v2", "HorizontalPodAutoscaler"), {"spec": {"maxReplicas": 3}})[
        "spec"
    ]
    assert hpa["minReplicas"] == 1
    assert hpa["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 80}
    assert "behavior" not in hpa
    given = apply_defaults(
        GVK("autoscaling", "v2", "HorizontalPodAutoscaler"),
        {"spec": {"behavior": {"scaleDown": {"stabilizationWindowSeconds": 10}}}},
    )["spec"]["behavior"]
    assert (
        given["scaleDown"]["stabilizationWindowSeconds"] == 10 and given["scaleDown"]["selectPolicy"] == "Max"
    )
    assert given["scaleUp"]["policies"][0] == {"type": "Pods", "value": 4, "periodSeconds": 15}


def test_job_selector_generation() -> None:
    from pykro.apiserver.admission.defaults import generate_job_selector

    job = generate_job_selector({"metadata": {"name": "pi"}, "spec": {"template": {"spec": {}}}}, "u-1")
    assert job["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "u-1"}}
    labels = job["spec"]["template"]["metadata"]["labels"]
    assert labels["job-name"] == "pi" and labels["batch.kubernetes.io/controller-uid"] == "u-1"
    manual = {"metadata": {"name": "pi"}, "spec": {"manualSelector": True}}
    assert generate_job_selector(manual, "u") == manual
