"""Strategic merge patch as kubectl sends it."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pykro.apiserver.machinery.patch import PatchError
from pykro.apiserver.machinery.strategicmerge import apply_strategic_merge_patch

STR: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
STR_MAP: dict[str, Any] = {"type": "object", "additionalProperties": STR}
CONTAINER: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": STR,
        "image": STR,
        "args": {"type": "array", "items": STR, "x-kubernetes-list-type": "atomic"},
        "ports": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"containerPort": INT, "protocol": {**STR, "default": "TCP"}, "name": STR},
            },
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["containerPort", "protocol"],
            "x-kubernetes-patch-merge-key": "containerPort",
            "x-kubernetes-patch-strategy": "merge",
        },
        "env": {
            "type": "array",
            "items": {"type": "object", "properties": {"name": STR, "value": STR}},
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "x-kubernetes-patch-merge-key": "name",
            "x-kubernetes-patch-strategy": "merge",
        },
    },
}
POD_SPEC: dict[str, Any] = {
    "type": "object",
    "properties": {
        "containers": {
            "type": "array",
            "items": CONTAINER,
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "x-kubernetes-patch-merge-key": "name",
            "x-kubernetes-patch-strategy": "merge",
        },
        "volumes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": STR,
                    "configMap": {"type": "object", "properties": {"name": STR}},
                    "emptyDir": {"type": "object", "properties": {"medium": STR}},
                },
            },
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "x-kubernetes-patch-merge-key": "name",
            "x-kubernetes-patch-strategy": "merge,retainKeys",
        },
        "restartPolicy": STR,
        "nodeSelector": {**STR_MAP, "x-kubernetes-map-type": "atomic"},
    },
}
META: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": STR,
        "namespace": STR,
        "labels": STR_MAP,
        "annotations": STR_MAP,
        "finalizers": {
            "type": "array",
            "items": STR,
            "x-kubernetes-list-type": "set",
            "x-kubernetes-patch-strategy": "merge",
        },
    },
}
DEPLOYMENT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "apiVersion": STR,
        "kind": STR,
        "metadata": META,
        "spec": {
            "type": "object",
            "properties": {
                "replicas": INT,
                "paused": {"type": "boolean"},
                "selector": {
                    "type": "object",
                    "x-kubernetes-map-type": "atomic",
                    "properties": {"matchLabels": STR_MAP},
                },
                "strategy": {
                    "type": "object",
                    "x-kubernetes-patch-strategy": "retainKeys",
                    "properties": {
                        "type": STR,
                        "rollingUpdate": {
                            "type": "object",
                            "properties": {
                                "maxSurge": {"x-kubernetes-int-or-string": True},
                                "maxUnavailable": {"x-kubernetes-int-or-string": True},
                            },
                        },
                    },
                },
                "template": {"type": "object", "properties": {"metadata": META, "spec": POD_SPEC}},
            },
        },
        "status": {"type": "object", "properties": {"replicas": INT}},
    },
}


def deployment(image: str = "nginx:1.25", replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "main", "image": image, "ports": [{"containerPort": 80}]},
                        {"name": "side", "image": "busybox"},
                    ]
                },
            },
        },
    }


def test_kubectl_client_side_apply_update() -> None:
    live = deployment()
    live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent"
    last = json.dumps(deployment(image="nginx:1.26", replicas=3))
    patch = {
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": last}},
        "spec": {
            "replicas": 3,
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "main"}, {"name": "side"}],
                    "containers": [{"image": "nginx:1.26", "name": "main"}],
                }
            },
        },
    }
    out = apply_strategic_merge_patch(live, patch, DEPLOYMENT)
    main, side = out["spec"]["template"]["spec"]["containers"]
    assert main == {
        "name": "main",
        "image": "nginx:1.26",
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"containerPort": 80}],
    }
    assert side["name"] == "side"
    assert out["spec"]["replicas"] == 3
    assert out["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] == last
    assert live["spec"]["replicas"] == 2


def test_delete_directive_and_null() -> None:
    live = deployment()
    patch = {
        "metadata": {"labels": None},
        "spec": {"template": {"spec": {"containers": [{"name": "side", "$patch": "delete"}]}}},
    }
    out = apply_strategic_merge_patch(live, patch, DEPLOYMENT)
    assert "labels" not in out["metadata"]
    assert [c["name"] for c in out["spec"]["template"]["spec"]["containers"]] == ["main"]


def test_replace_directives() -> None:
    live = deployment()
    out = apply_strategic_merge_patch(
        live,
        {
            "spec": {
                "template": {"spec": {"containers": [{"$patch": "replace"}, {"name": "only", "image": "x"}]}}
            }
        },
        DEPLOYMENT,
    )
    assert out["spec"]["template"]["spec"]["containers"] == [{"name": "only", "image": "x"}]
    out = apply_strategic_merge_patch(
        live, {"metadata": {"labels": {"$patch": "replace", "new": "1"}}}, DEPLOYMENT
    )
    assert out["metadata"]["labels"] == {"new": "1"}
    out = apply_strategic_merge_patch(live, {"metadata": {"labels": {"$patch": "delete"}}}, DEPLOYMENT)
    assert out["metadata"]["labels"] == {}


def test_list_without_strategy_is_replaced_and_atomic_map_replaced() -> None:
    live = deployment()
    live["spec"]["template"]["spec"]["containers"][0]["args"] = ["a", "b"]
    out = apply_strategic_merge_patch(
        live, {"spec": {"template": {"spec": {"containers": [{"name": "main", "args": ["c"]}]}}}}, DEPLOYMENT
    )
    assert out["spec"]["template"]["spec"]["containers"][0]["args"] == ["c"]


def test_primitive_set_merge_and_delete_from_primitive_list() -> None:
    live = deployment()
    live["metadata"]["finalizers"] = ["a", "b"]
    out = apply_strategic_merge_patch(live, {"metadata": {"finalizers": ["b", "c"]}}, DEPLOYMENT)
    assert out["metadata"]["finalizers"] == ["a", "b", "c"]
    out = apply_strategic_merge_patch(
        live, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, DEPLOYMENT
    )
    assert out["metadata"]["finalizers"] == ["b"]


def test_retain_keys_strategy() -> None:
    live = deployment()
    live["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    out = apply_strategic_merge_patch(live, patch, DEPLOYMENT)
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    live["spec"]["template"]["spec"]["volumes"] = [{"name": "v", "emptyDir": {}}]
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "volumes": [
                        {"name": "v", "$retainKeys": ["configMap", "name"], "configMap": {"name": "cm"}}
                    ]
                }
            }
        }
    }
    out = apply_strategic_merge_patch(live, patch, DEPLOYMENT)
    assert out["spec"]["template"]["spec"]["volumes"] == [{"name": "v", "configMap": {"name": "cm"}}]


def test_set_element_order_reorders() -> None:
    live = deployment()
    patch = {
        "spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "side"}, {"name": "main"}]}}}
    }
    out = apply_strategic_merge_patch(live, patch, DEPLOYMENT)
    assert [c["name"] for c in out["spec"]["template"]["spec"]["containers"]] == ["side", "main"]


def test_errors() -> None:
    with pytest.raises(PatchError, match="merge key"):
        apply_strategic_merge_patch(
            deployment(), {"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}, DEPLOYMENT
        )
    with pytest.raises(PatchError, match="Unknown patch type"):
        apply_strategic_merge_patch(deployment(), {"spec": {"$patch": "explode"}}, DEPLOYMENT)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["main", "side", "x", "$patch"])),
    lambda c: st.one_of(
        st.lists(c, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "image",
                    "$patch",
                    "$retainKeys",
                    "spec",
                    "template",
                    "containers",
                    "replicas",
                    "$setElementOrder/containers",
                    "$deleteFromPrimitiveList/finalizers",
                    "metadata",
                    "finalizers",
                ]
            ),
            c,
            max_size=4,
        ),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(patch=json_values)
def test_random_patches_end_cleanly(patch: Any) -> None:
    live = deployment()
    before = copy.deepcopy(live)
    try:
        out = apply_strategic_merge_patch(live, patch, DEPLOYMENT)
    except PatchError as err:
        assert str(err)
    else:
        assert isinstance(out, dict)
    assert live == before
