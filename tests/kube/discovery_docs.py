"""Discovery documents in the exact shape a Kubernetes 1.32 API server returns (trimmed to a few kinds)."""

from __future__ import annotations

from typing import Any

CORE_VERSIONS: dict[str, Any] = {
    "kind": "APIVersions",
    "versions": ["v1"],
    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "172.18.0.2:6443"}],
}

GROUPS: dict[str, Any] = {
    "kind": "APIGroupList",
    "apiVersion": "v1",
    "groups": [
        {
            "name": "apps",
            "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
            "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
        },
        {
            "name": "metrics.k8s.io",
            "versions": [{"groupVersion": "metrics.k8s.io/v1beta1", "version": "v1beta1"}],
            "preferredVersion": {"groupVersion": "metrics.k8s.io/v1beta1", "version": "v1beta1"},
        },
        {
            "name": "kro.run",
            "versions": [{"groupVersion": "kro.run/v1alpha1", "version": "v1alpha1"}],
            "preferredVersion": {"groupVersion": "kro.run/v1alpha1", "version": "v1alpha1"},
        },
    ],
}

CORE_V1: dict[str, Any] = {
    "kind": "APIResourceList",
    "groupVersion": "v1",
    "resources": [
        {
            "name": "configmaps",
            "singularName": "configmap",
            "namespaced": True,
            "kind": "ConfigMap",
            "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            "shortNames": ["cm"],
            "storageVersionHash": "qFsyl6wFWjQ=",
        },
        {
            "name": "namespaces",
            "singularName": "namespace",
            "namespaced": False,
            "kind": "Namespace",
            "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
            "shortNames": ["ns"],
            "storageVersionHash": "Q3oi5N2YM8M=",
        },
        {
            "name": "namespaces/finalize",
            "singularName": "",
            "namespaced": False,
            "kind": "Namespace",
            "verbs": ["update"],
        },
        {
            "name": "namespaces/status",
            "singularName": "",
            "namespaced": False,
            "kind": "Namespace",
            "verbs": ["get", "patch", "update"],
        },
        {
            "name": "pods",
            "singularName": "pod",
            "namespaced": True,
            "kind": "Pod",
            "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            "shortNames": ["po"],
            "categories": ["all"],
            "storageVersionHash": "xPOwRZ+Yhw8=",
        },
        {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]},
        {
            "name": "pods/status",
            "singularName": "",
            "namespaced": True,
            "kind": "Pod",
            "verbs": ["get", "patch", "update"],
        },
    ],
}

APPS_V1: dict[str, Any] = {
    "kind": "APIResourceList",
    "apiVersion": "v1",
    "groupVersion": "apps/v1",
    "resources": [
        {
            "name": "deployments",
            "singularName": "deployment",
            "namespaced": True,
            "kind": "Deployment",
            "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            "shortNames": ["deploy"],
            "categories": ["all"],
            "storageVersionHash": "8aSe+NMegvE=",
        },
        {
            "name": "deployments/scale",
            "singularName": "",
            "namespaced": True,
            "group": "autoscaling",
            "version": "v1",
            "kind": "Scale",
            "verbs": ["get", "patch", "update"],
        },
        {
            "name": "deployments/status",
            "singularName": "",
            "namespaced": True,
            "kind": "Deployment",
            "verbs": ["get", "patch", "update"],
        },
    ],
}

KRO_V1ALPHA1: dict[str, Any] = {
    "kind": "APIResourceList",
    "apiVersion": "v1",
    "groupVersion": "kro.run/v1alpha1",
    "resources": [
        {
            "name": "resourcegraphdefinitions",
            "singularName": "resourcegraphdefinition",
            "namespaced": False,
            "kind": "ResourceGraphDefinition",
            "verbs": ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
            "shortNames": ["rgd"],
            "categories": ["kro"],
            "storageVersionHash": "aX0IfM0Ulbc=",
        },
        {
            "name": "resourcegraphdefinitions/status",
            "singularName": "",
            "namespaced": False,
            "kind": "ResourceGraphDefinition",
            "verbs": ["get", "patch", "update"],
        },
    ],
}

WEBAPP_V1: dict[str, Any] = {
    "kind": "APIResourceList",
    "apiVersion": "v1",
    "groupVersion": "kro.run/v1",
    "resources": [
        {
            "name": "webapps",
            "singularName": "webapp",
            "namespaced": True,
            "kind": "WebApp",
            "verbs": ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
        },
        {
            "name": "webapps/status",
            "singularName": "",
            "namespaced": True,
            "kind": "WebApp",
            "verbs": ["get", "patch", "update"],
        },
    ],
}

SERVICE_UNAVAILABLE: dict[str, Any] = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "the server is currently unable to handle the request",
    "reason": "ServiceUnavailable",
    "details": {"causes": [{"reason": "UnexpectedServerResponse", "message": "service unavailable"}]},
    "code": 503,
}
