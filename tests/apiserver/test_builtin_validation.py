"""Validation of built-in kinds, worded as the real server words it."""

from __future__ import annotations

import copy
from typing import Any

from pykro.apiserver.admission.builtin import selector_matches, validate_builtin
from pykro.apiserver.admission.defaults import apply_defaults
from pykro.apiserver.machinery.status import invalid_message
from pykro.schema.gvk import GVK

DEPLOY = GVK("apps", "v1", "Deployment")


def deployment(**overrides: Any) -> dict[str, Any]:
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]},
            },
        },
    }
    obj["spec"].update(overrides)
    return apply_defaults(DEPLOY, obj)


def messages(gvk: GVK, obj: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    return [str(c) for c in validate_builtin(gvk, obj, old)]


def test_valid_deployment_has_no_causes() -> None:
    assert messages(DEPLOY, deployment()) == []


def test_selector_must_match_template_labels() -> None:
    obj = deployment(selector={"matchLabels": {"app": "other"}})
    causes = validate_builtin(DEPLOY, obj, None)
    assert [str(c) for c in causes] == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
        "`selector` does not match template `labels`"
    ]
    assert invalid_message("Deployment", "apps", "web", causes).startswith(
        'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value'
    )
    assert selector_matches(
        {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}, {"app": "web"}
    )
    assert not selector_matches(
        {"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, {"app": "web"}
    )


def test_containers() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"] = [
        {"image": "x"},
        {"name": "Bad_Name", "image": "x"},
        {"name": "a"},
        {"name": "a", "image": "y"},
    ]
    got = messages(DEPLOY, obj)
    assert "spec.template.spec.containers[0].name: Required value" in got
    assert any(
        g.startswith(
            'spec.template.spec.containers[1].name: Invalid value: "Bad_Name": a lowercase RFC 1123 label'
        )
        for g in got
    )
    assert "spec.template.spec.containers[2].image: Required value" in got
    assert 'spec.template.spec.containers[3].name: Duplicate value: "a"' in got
    obj["spec"]["template"]["spec"]["containers"] = []
    assert "spec.template.spec.containers: Required value" in messages(DEPLOY, obj)


def test_immutable_selector_on_update() -> None:
    old = deployment()
    new = deployment(selector={"matchLabels": {"app": "web", "tier": "x"}})
    new["spec"]["template"]["metadata"]["labels"]["tier"] = "x"
    assert messages(DEPLOY, new, old) == [
        'spec.selector: Invalid value: &v1.LabelSelector{MatchLabels:map[string]string{"app":"web", '
        '"tier":"x"}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
    ]
    sts_gvk = GVK("apps", "v1", "StatefulSet")
    sts = {"spec": {**copy.deepcopy(old["spec"]), "serviceName": "a"}}
    changed = copy.deepcopy(sts)
    changed["spec"]["serviceName"] = "b"
    assert messages(sts_gvk, changed, sts)[0].startswith("spec: Forbidden: updates to statefulset spec")
    changed = copy.deepcopy(sts)
    changed["spec"]["replicas"] = 5
    assert messages(sts_gvk, changed, sts) == []


def test_job_restart_policy() -> None:
    job = apply_defaults(
        GVK("batch", "v1", "Job"),
        {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}}},
    )
    assert messages(GVK("batch", "v1", "Job"), job) == [
        'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", '
        '"Never"'
    ]


def test_service_ports() -> None:
    svc = GVK("", "v1", "Service")
    got = messages(svc, {"spec": {"ports": [{"port": 70000, "name": "a"}, {"port": 80, "targetPort": 0}]}})
    assert got == [
        "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
        "spec.ports[1].name: Required value",
        "spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
    ]
    assert messages(svc, {"spec": {}}) == ["spec.ports: Required value"]
    assert messages(
        svc, {"spec": {"clusterIP": "10.0.0.2", "ports": [{"port": 1}]}}, {"spec": {"clusterIP": "10.0.0.1"}}
    ) == ['spec.clusterIPs[0]: Invalid value: []string{"10.0.0.2"}: may not change once set']


def test_ingress_path_type() -> None:
    ing = {
        "spec": {
            "rules": [
                {
                    "http": {
                        "paths": [
                            {"path": "/", "backend": {}},
                            {"path": "x", "pathType": "Prefix"},
                            {"path": "/", "pathType": "Weird"},
                        ]
                    }
                }
            ]
        }
    }
    got = messages(GVK("networking.k8s.io", "v1", "Ingress"), ing)
    assert got[0] == "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"
    assert got[1] == 'spec.rules[0].http.paths[1].path: Invalid value: "x": must be an absolute path'
    assert got[2].startswith('spec.rules[0].http.paths[2].pathType: Unsupported value: "Weird"')


def test_config_keys_and_immutable() -> None:
    cm = GVK("", "v1", "ConfigMap")
    got = messages(cm, {"data": {"ok.key": "1", "bad key": "2"}})
    assert len(got) == 1 and got[0].startswith('data[bad key]: Invalid value: "bad key": a valid config key')
    old = {"data": {"a": "1"}, "immutable": True}
    assert messages(cm, {"data": {"a": "2"}, "immutable": True}, old) == [
        "data: Forbidden: field is immutable when `immutable` is set"
    ]
    secret = GVK("", "v1", "Secret")
    assert messages(secret, {"data": {"x": "eA=="}, "stringData": {"y": "1"}}) == []


def test_metadata_names_and_labels() -> None:
    from pykro.apiserver.admission.builtin import validate_metadata

    svc = GVK("", "v1", "Service")
    assert (
        validate_metadata(DEPLOY, {"metadata": {"name": "web.v1", "labels": {"app.kubernetes.io/name": "x"}}})
        == []
    )
    got = [str(c) for c in validate_metadata(svc, {"metadata": {"name": "web.v1"}})]
    assert got[0].startswith('metadata.name: Invalid value: "web.v1": a DNS-1035 label')
    assert [str(c) for c in validate_metadata(DEPLOY, {"metadata": {}})] == [
        "metadata.name: Required value: name or generateName is required"
    ]
    got = [
        str(c)
        for c in validate_metadata(DEPLOY, {"metadata": {"name": "a", "labels": {"bad key": "my app"}}})
    ]
    assert got[0].startswith('metadata.labels: Invalid value: "bad key": name part must consist')
    assert got[1].startswith(
        'metadata.labels: Invalid value: "my app": a valid label must be an empty string'
    )
    long_value = "x" * 64
    got = [
        str(c) for c in validate_metadata(DEPLOY, {"metadata": {"name": "a", "labels": {"k": long_value}}})
    ]
    assert got == [f'metadata.labels: Invalid value: "{long_value}": must be no more than 63 characters']
    got = [
        str(c) for c in validate_metadata(DEPLOY, {"metadata": {"name": "a", "annotations": {"Bad_/x": "1"}}})
    ]
    assert len(got) == 1 and "prefix part a lowercase RFC 1123 subdomain" in got[0]
