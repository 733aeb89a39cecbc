"""The pure parts of pykro's rollout extensions: the policy annotations, the pod template kro last
applied, the causes of a rollout, and the debounce windows."""

from __future__ import annotations

import json
from typing import Any, cast

from pykro.controller.instance.rollouts.causes import causes
from pykro.controller.instance.rollouts.gate import RolloutGate, rollout_complete
from pykro.controller.instance.rollouts.template import template_changes, template_path, with_applied_template
from pykro.controller.rolloutpolicy import OFF, RolloutPolicy, for_object, parse_policy
from pykro.kube import KubeClient

MANAGER = "kro.run/applyset"


def test_the_policy_comes_from_annotations_and_bad_values_are_named_and_ignored() -> None:
    policy, problems = parse_policy(
        {
            "pykro.dev/rollout-record": "true",
            "pykro.dev/rollout-debounce": "1m30s",
            "pykro.dev/rollout-max-concurrent": "10",
            "unrelated": "x",
        }
    )
    assert policy == RolloutPolicy(record=True, debounce=90.0, max_concurrent=10)
    assert problems == []
    policy, problems = parse_policy(
        {"pykro.dev/rollout-debounce": "soon", "pykro.dev/rollout-max-concurrent": "-1"}
    )
    assert policy == OFF and not policy.active
    assert problems == [
        "pykro.dev/rollout-debounce: want a duration such as 5s or 2m (at most 3600s), got 'soon'",
        "pykro.dev/rollout-max-concurrent: want a whole number, got '-1'",
    ]
    override = {"metadata": {"annotations": {"pykro.dev/rollout-debounce": "0"}}}
    assert for_object(RolloutPolicy(record=True, debounce=5.0), override) == RolloutPolicy(record=True)


def deployment(image: str, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "demo", "namespace": "default"},
        "spec": {
            "replicas": 2,
            "template": {
                "metadata": {"annotations": annotations or {"v": "1"}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
        },
    }


def live_of(desired: dict[str, Any]) -> dict[str, Any]:
    """As the server returns an applied object: defaults added, and kro's field ownership."""
    live = json.loads(json.dumps(desired))
    container = live["spec"]["template"]["spec"]["containers"][0]
    container["terminationMessagePath"] = "/dev/termination-log"  # a server default
    owned = {
        "f:spec": {
            "f:replicas": {},
            "f:template": {
                "f:metadata": {"f:annotations": {"f:v": {}}},
                "f:spec": {"f:containers": {'k:{"name":"app"}': {".": {}, "f:image": {}, "f:name": {}}}},
            },
        }
    }
    live["metadata"]["managedFields"] = [
        {"manager": MANAGER, "operation": "Apply", "fieldsType": "FieldsV1", "fieldsV1": owned}
    ]
    return live


def test_a_held_change_applies_everything_but_the_template_kro_last_applied() -> None:
    live = live_of(deployment("nginx:1"))
    desired = deployment("nginx:2")
    desired["spec"]["replicas"] = 5
    path = template_path(desired)
    assert path == ("spec", "template")
    assert template_changes(live, desired, MANAGER, path)
    assert not template_changes(live, deployment("nginx:1"), MANAGER, path)  # defaults do not count
    held = with_applied_template(live, desired, MANAGER, path)
    assert held["spec"]["replicas"] == 5
    assert held["spec"]["template"] == deployment("nginx:1")["spec"]["template"]  # no server defaults
    assert template_path({"kind": "ConfigMap", "data": {}}) is None
    cron = {"spec": {"jobTemplate": {"spec": {"template": {"spec": {}}}}}}
    assert template_path(cron) == ("spec", "jobTemplate", "spec", "template")


def test_causes_name_each_changed_input() -> None:
    before = {
        "graph": "g1",
        "reads": {"Secret default/s": "35", "ConfigMap default/c": "7"},
        "spec": {"a": "1"},
    }
    now = {"graph": "g1", "reads": {"Secret default/s": "36", "ConfigMap default/c": "7"}, "spec": {"a": "2"}}
    assert causes(before, now, "App default/demo", "apps") == [
        "Secret default/s resourceVersion 35 → 36",
        "App default/demo spec.a changed",
    ]
    assert causes(before, {**before, "graph": "g2"}, "App default/demo", "apps") == [
        "ResourceGraphDefinition apps changed"
    ]
    assert causes(None, now, "App default/demo", "apps") == [
        "inputs not recorded before (first rollout pykro records)"
    ]


def test_a_rollout_is_complete_as_kubectl_rollout_status_judges_it() -> None:
    base = {"kind": "Deployment", "metadata": {"generation": 3}, "spec": {"replicas": 2}}
    done = {"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}
    assert rollout_complete({**base, "status": done})
    assert not rollout_complete({**base, "status": {**done, "observedGeneration": 2}})
    assert not rollout_complete({**base, "status": {**done, "replicas": 3}})  # old pods still there
    assert not rollout_complete({**base, "status": {**done, "availableReplicas": 1}})


def test_templates_whose_annotations_are_one_expression_have_no_rollout_settings() -> None:
    from pykro.controller.rolloutpolicy import rollout_annotations

    assert for_object(OFF, {"metadata": {"annotations": "${schema.spec.annotations}"}}) == OFF
    assert rollout_annotations({"metadata": {"annotations": None}}) == {}


def test_a_deleted_instance_leaves_no_debounce_window_behind() -> None:
    now = [100.0]
    gate = RolloutGate(cast(KubeClient, None), clock=lambda: now[0])  # debounce never asks the cluster
    mine, other = ("uid-1", "web", "default/web"), ("uid-2", "web", "default/web-2")
    assert gate.debounce(mine, 5.0) == 5.0 and gate.debounce(other, 5.0) == 5.0
    now[0] += 2.0
    assert gate.debounce(mine, 5.0) == 3.0, "the window counts from the burst's first change"
    gate.forget_instance("uid-1")
    assert gate.debounce(mine, 5.0) == 5.0, "forgotten: a new window"
    assert gate.debounce(other, 5.0) == 3.0, "other instances keep theirs"
