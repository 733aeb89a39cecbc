"""Decoding of Kubernetes protobuf request bodies for the few kinds kubectl creates with typed clients.

kubectl's generator commands (`kubectl create namespace|configmap|secret|serviceaccount|deployment|service`,
`kubectl run`, `kubectl autoscale`, `kubectl auth can-i`) send
`application/vnd.kubernetes.protobuf`: the magic `k8s\\0` followed by a `runtime.Unknown` envelope
(1: typeMeta{1: apiVersion, 2: kind}, 2: raw message). Field numbers below are those of the
Kubernetes wire format for these types. Other kinds are answered with 415 and a hint to use JSON.
"""

from __future__ import annotations

import base64
import datetime
from typing import Any

from pykro.apiserver.machinery.status import ApiError, bad_request

PROTOBUF = "application/vnd.kubernetes.protobuf"
_MAGIC = b"k8s\x00"

# field number -> (json name, type); "*" prefix marks repeated fields
Spec = dict[int, tuple[str, str]]
_MESSAGES: dict[str, Spec] = {
    "TypeMeta": {1: ("apiVersion", "string"), 2: ("kind", "string")},
    "Unknown": {
        1: ("typeMeta", "TypeMeta"),
        2: ("raw", "bytes"),
        3: ("contentEncoding", "string"),
        4: ("contentType", "string"),
    },
    "Time": {1: ("seconds", "int"), 2: ("nanos", "int")},
    "OwnerReference": {
        1: ("kind", "string"),
        3: ("name", "string"),
        4: ("uid", "string"),
        5: ("apiVersion", "string"),
        6: ("controller", "bool"),
        7: ("blockOwnerDeletion", "bool"),
    },
    "ObjectMeta": {
        1: ("name", "string"),
        2: ("generateName", "string"),
        3: ("namespace", "string"),
        5: ("uid", "string"),
        6: ("resourceVersion", "string"),
        7: ("generation", "int"),
        8: ("creationTimestamp", "time"),
        9: ("deletionTimestamp", "time"),
        10: ("deletionGracePeriodSeconds", "int"),
        11: ("labels", "map:string"),
        12: ("annotations", "map:string"),
        13: ("ownerReferences", "*OwnerReference"),
        14: ("finalizers", "*string"),
    },
    "NamespaceSpec": {1: ("finalizers", "*string")},
    "Namespace": {1: ("metadata", "ObjectMeta"), 2: ("spec", "NamespaceSpec")},
    "ConfigMap": {
        1: ("metadata", "ObjectMeta"),
        2: ("data", "map:string"),
        3: ("binaryData", "map:bytes"),
        4: ("immutable", "bool"),
    },
    "Secret": {
        1: ("metadata", "ObjectMeta"),
        2: ("data", "map:bytes"),
        3: ("type", "string"),
        4: ("stringData", "map:string"),
        5: ("immutable", "bool"),
    },
    "ObjectReference": {
        1: ("kind", "string"),
        2: ("namespace", "string"),
        3: ("name", "string"),
        4: ("uid", "string"),
        5: ("apiVersion", "string"),
        6: ("resourceVersion", "string"),
        7: ("fieldPath", "string"),
    },
    "LocalObjectReference": {1: ("name", "string")},
    "ServiceAccount": {
        1: ("metadata", "ObjectMeta"),
        2: ("secrets", "*ObjectReference"),
        3: ("imagePullSecrets", "*LocalObjectReference"),
        4: ("automountServiceAccountToken", "bool"),
    },
    # workloads, as `kubectl run`, `kubectl create deployment` and `kubectl create service` fill them
    "LabelSelectorRequirement": {1: ("key", "string"), 2: ("operator", "string"), 3: ("values", "*string")},
    "LabelSelector": {1: ("matchLabels", "map:string"), 2: ("matchExpressions", "*LabelSelectorRequirement")},
    "ContainerPort": {
        1: ("name", "string"),
        2: ("hostPort", "int"),
        3: ("containerPort", "int"),
        4: ("protocol", "string"),
        5: ("hostIP", "string"),
    },
    "EnvVar": {1: ("name", "string"), 2: ("value", "string")},
    "ResourceRequirements": {1: ("limits", "map:quantity"), 2: ("requests", "map:quantity")},
    "VolumeMount": {
        1: ("name", "string"),
        2: ("readOnly", "bool"),
        3: ("mountPath", "string"),
        4: ("subPath", "string"),
    },
    "Container": {
        1: ("name", "string"),
        2: ("image", "string"),
        3: ("command", "*string"),
        4: ("args", "*string"),
        5: ("workingDir", "string"),
        6: ("ports", "*ContainerPort"),
        7: ("env", "*EnvVar"),
        8: ("resources", "ResourceRequirements"),
        9: ("volumeMounts", "*VolumeMount"),
        13: ("terminationMessagePath", "string"),
        14: ("imagePullPolicy", "string"),
        16: ("stdin", "bool"),
        17: ("stdinOnce", "bool"),
        18: ("tty", "bool"),
        20: ("terminationMessagePolicy", "string"),
    },
    "PodSpec": {
        2: ("containers", "*Container"),
        3: ("restartPolicy", "string"),
        4: ("terminationGracePeriodSeconds", "int"),
        5: ("activeDeadlineSeconds", "int"),
        6: ("dnsPolicy", "string"),
        7: ("nodeSelector", "map:string"),
        8: ("serviceAccountName", "string"),
        10: ("nodeName", "string"),
        15: ("imagePullSecrets", "*LocalObjectReference"),
        16: ("hostname", "string"),
        17: ("subdomain", "string"),
        19: ("schedulerName", "string"),
        20: ("initContainers", "*Container"),
        24: ("priorityClassName", "string"),
        30: ("enableServiceLinks", "bool"),
    },
    "Pod": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "RollingUpdateDeployment": {1: ("maxUnavailable", "intorstring"), 2: ("maxSurge", "intorstring")},
    "DeploymentStrategy": {1: ("type", "string"), 2: ("rollingUpdate", "RollingUpdateDeployment")},
    "DeploymentSpec": {
        1: ("replicas", "int"),
        2: ("selector", "LabelSelector"),
        3: ("template", "PodTemplateSpec"),
        4: ("strategy", "DeploymentStrategy"),
        5: ("minReadySeconds", "int"),
        6: ("revisionHistoryLimit", "int"),
        7: ("paused", "bool"),
        9: ("progressDeadlineSeconds", "int"),
    },
    "Deployment": {1: ("metadata", "ObjectMeta"), 2: ("spec", "DeploymentSpec")},
    "ServicePort": {
        1: ("name", "string"),
        2: ("protocol", "string"),
        3: ("port", "int"),
        4: ("targetPort", "intorstring"),
        5: ("nodePort", "int"),
    },
    "ServiceSpec": {
        1: ("ports", "*ServicePort"),
        2: ("selector", "map:string"),
        3: ("clusterIP", "string"),
        4: ("type", "string"),
        5: ("externalIPs", "*string"),
        7: ("sessionAffinity", "string"),
        11: ("externalName", "string"),
    },
    "Service": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ServiceSpec")},
    # autoscaling/v1, as `kubectl autoscale` fills it
    "CrossVersionObjectReference": {
        1: ("kind", "string"),
        2: ("name", "string"),
        3: ("apiVersion", "string"),
    },
    "HorizontalPodAutoscalerSpec": {
        1: ("scaleTargetRef", "CrossVersionObjectReference"),
        2: ("minReplicas", "int"),
        3: ("maxReplicas", "int"),
        4: ("targetCPUUtilizationPercentage", "int"),
    },
    "HorizontalPodAutoscaler": {1: ("metadata", "ObjectMeta"), 2: ("spec", "HorizontalPodAutoscalerSpec")},
    # autoscaling/v2 (what `kubectl autoscale` sends first); behavior is not decoded
    "MetricTarget": {
        1: ("type", "string"),
        2: ("value", "quantity"),
        3: ("averageValue", "quantity"),
        4: ("averageUtilization", "int"),
    },
    "MetricIdentifier": {1: ("name", "string"), 2: ("selector", "LabelSelector")},
    "ResourceMetricSource": {1: ("name", "string"), 2: ("target", "MetricTarget")},
    "ContainerResourceMetricSource": {
        1: ("name", "string"),
        2: ("target", "MetricTarget"),
        3: ("container", "string"),
    },
    "PodsMetricSource": {1: ("metric", "MetricIdentifier"), 2: ("target", "MetricTarget")},
    "ExternalMetricSource": {1: ("metric", "MetricIdentifier"), 2: ("target", "MetricTarget")},
    "ObjectMetricSource": {
        1: ("describedObject", "CrossVersionObjectReference"),
        2: ("target", "MetricTarget"),
        3: ("metric", "MetricIdentifier"),
    },
    "MetricSpec": {
        1: ("type", "string"),
        2: ("object", "ObjectMetricSource"),
        3: ("pods", "PodsMetricSource"),
        4: ("resource", "ResourceMetricSource"),
        5: ("external", "ExternalMetricSource"),
        7: ("containerResource", "ContainerResourceMetricSource"),
    },
    "HorizontalPodAutoscalerSpecV2": {
        1: ("scaleTargetRef", "CrossVersionObjectReference"),
        2: ("minReplicas", "int"),
        3: ("maxReplicas", "int"),
        4: ("metrics", "*MetricSpec"),
    },
    "HorizontalPodAutoscalerV2": {
        1: ("metadata", "ObjectMeta"),
        2: ("spec", "HorizontalPodAutoscalerSpecV2"),
    },
    "ResourceAttributes": {
        1: ("namespace", "string"),
        2: ("verb", "string"),
        3: ("group", "string"),
        4: ("version", "string"),
        5: ("resource", "string"),
        6: ("subresource", "string"),
        7: ("name", "string"),
    },
    "NonResourceAttributes": {1: ("path", "string"), 2: ("verb", "string")},
    "SelfSubjectAccessReviewSpec": {
        1: ("resourceAttributes", "ResourceAttributes"),
        2: ("nonResourceAttributes", "NonResourceAttributes"),
    },
    "SelfSubjectAccessReview": {1: ("metadata", "ObjectMeta"), 2: ("spec", "SelfSubjectAccessReviewSpec")},
    "SelfSubjectRulesReviewSpec": {1: ("namespace", "string")},
    "SelfSubjectRulesReview": {1: ("metadata", "ObjectMeta"), 2: ("spec", "SelfSubjectRulesReviewSpec")},
    "SelfSubjectReview": {1: ("metadata", "ObjectMeta")},
}
# (apiVersion, kind) -> message; a kind whose versions differ on the wire gets a message per version
_TOP_LEVEL: dict[tuple[str, str], str] = {
    **{
        (api_version, kind): kind
        for api_version, kind in (
            ("v1", "Namespace"),
            ("v1", "ConfigMap"),
            ("v1", "Secret"),
            ("v1", "ServiceAccount"),
            ("v1", "Pod"),
            ("v1", "Service"),
            ("apps/v1", "Deployment"),
            ("autoscaling/v1", "HorizontalPodAutoscaler"),
            ("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
            ("authorization.k8s.io/v1", "SelfSubjectRulesReview"),
            ("authentication.k8s.io/v1", "SelfSubjectReview"),
        )
    },
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "HorizontalPodAutoscalerV2",
}


class _Malformed(Exception):
    pass


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise _Malformed("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise _Malformed("varint too long")


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if pos + length > len(buf):
                raise _Malformed("truncated field")
            out.append((number, buf[pos : pos + length]))
            pos += length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise _Malformed(f"unsupported wire type {wire}")
    return out


def _scalar(kind: str, value: int | bytes) -> Any:
    if kind == "string":
        return value.decode() if isinstance(value, bytes) else str(value)
    if kind == "bytes":
        return base64.b64encode(value).decode() if isinstance(value, bytes) else ""
    if kind == "bool":
        return bool(value)
    if kind == "int":
        if not isinstance(value, int):
            raise _Malformed("expected an integer")
        return value - (1 << 64) if value >= 1 << 63 else value
    if kind == "quantity":  # resource.Quantity{1: string}
        if not isinstance(value, bytes):
            raise _Malformed("expected a quantity message")
        return _scalar("string", dict(_fields(value)).get(1, b""))
    if kind == "intorstring":  # intstr.IntOrString{1: type, 2: intVal, 3: strVal}
        if not isinstance(value, bytes):
            raise _Malformed("expected an int-or-string message")
        parts = dict(_fields(value))
        return _scalar("string", parts.get(3, b"")) if parts.get(1) == 1 else _scalar("int", parts.get(2, 0))
    if kind == "time":
        if not isinstance(value, bytes):
            raise _Malformed("expected a timestamp message")
        t = _message("Time", value)
        if not t:
            return None  # Go's zero time.Time marshals as an empty message; JSON has null
        stamp = datetime.datetime.fromtimestamp(t.get("seconds", 0), datetime.UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind.startswith("map:"):
        if not isinstance(value, bytes):
            raise _Malformed("expected a map entry")
        entry = dict(_fields(value))
        return _scalar("string", entry.get(1, b"")), _scalar(kind[4:], entry.get(2, b""))
    if not isinstance(value, bytes):
        raise _Malformed(f"expected a {kind} message")
    return _message(kind, value)


def _message(name: str, buf: bytes) -> dict[str, Any]:
    spec = _MESSAGES[name]
    out: dict[str, Any] = {}
    for number, value in _fields(buf):
        field = spec.get(number)
        if field is None:
            continue  # a field this server does not model (e.g. managedFields) is dropped
        key, kind = field
        if kind.startswith("*"):
            out.setdefault(key, []).append(_scalar(kind[1:], value))
        elif kind.startswith("map:"):
            k, v = _scalar(kind, value)
            out.setdefault(key, {})[k] = v
        else:
            decoded = _scalar(kind, value)
            if (
                decoded is None
                or decoded is False
                or decoded == ""
                or decoded == {}
                or (type(decoded) is int and decoded == 0)
            ):
                continue  # Go's omitempty: zero values are absent from the JSON form
            out[key] = decoded
    return out


def decode(body: bytes) -> dict[str, Any]:
    """The JSON form of a protobuf-encoded object; 415 for kinds this server cannot decode."""
    if not body.startswith(_MAGIC):
        raise bad_request("protobuf body lacks the Kubernetes 'k8s\\x00' prefix")
    try:
        envelope = _message("Unknown", body[len(_MAGIC) :])
        type_meta = envelope.get("typeMeta", {})
        api_version, kind = type_meta.get("apiVersion", ""), type_meta.get("kind", "")
        message = _TOP_LEVEL.get((api_version, kind))
        if message is None:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                "protobuf bodies are understood only for Namespace, ConfigMap, Secret, ServiceAccount, Pod, "
                "Service, "
                f"Deployment, HorizontalPodAutoscaler and self-subject reviews "
                f"(got {api_version}/{kind}); send application/json (e.g. kubectl apply -f)",
            )
        raw = base64.b64decode(envelope.get("raw", ""))
        obj = _message(message, raw)
    except (_Malformed, UnicodeDecodeError, ValueError) as exc:
        raise bad_request(f"the protobuf request body is malformed: {exc}") from None
    return {"apiVersion": api_version, "kind": kind, **obj}
