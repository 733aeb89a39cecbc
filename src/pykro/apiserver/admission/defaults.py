"""Defaults the real API server fills in for the built-in kinds users template most.

Values follow the Kubernetes 1.32 `SetDefaults_*` functions (k8s.io/kubernetes/pkg/apis/*/v1/defaults.go)
plus what registry strategies add on create (Service IP families, Namespace finalizer). Allocation
that needs server state (cluster IPs, node ports) is a separate hook taking an allocator callable.
Defaulting never overwrites a value the user set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pykro.apiserver.registry.strategies import label_namespace_name
from pykro.jsontypes import copy_json
from pykro.schema.gvk import GVK

Obj = dict[str, Any]
_NO_SPEC = frozenset({"Secret", "Namespace", "PodTemplate", "PriorityClass", "EndpointSlice"})


def apply_defaults(gvk: GVK, obj: Mapping[str, Any]) -> Obj:
    """A defaulted copy of `obj`; kinds without known defaults come back unchanged."""
    result = copy_json(dict(obj))
    set_defaults(gvk, result)
    return result


def set_defaults(gvk: GVK, obj: Obj) -> None:
    """`apply_defaults` changing `obj` itself (for a caller that owns it)."""
    handler = _HANDLERS.get((gvk.group, gvk.kind))
    if handler is None:
        return
    if gvk.kind not in _NO_SPEC:
        if obj.get("spec") is None:
            obj["spec"] = {}
        if not isinstance(obj["spec"], dict):
            return  # validation reports the bad type; defaulting has nothing to hold on to
    handler(obj)


# ---------------------------------------------------------------- pods


def image_pull_policy(image: str) -> str:
    """`Always` for `:latest` or an untagged image, else `IfNotPresent` (digests count as tagged)."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "Always"
    return "Always" if last.rsplit(":", 1)[1] == "latest" else "IfNotPresent"


def _setdefault(obj: Obj, key: str, value: Any) -> None:
    if obj.get(key) is None:
        obj[key] = copy_json(value)


def _probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    for key, value in (
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ):
        _setdefault(probe, key, value)
    http = probe.get("httpGet")
    if isinstance(http, dict):
        _setdefault(http, "path", "/")
        _setdefault(http, "scheme", "HTTP")
    grpc = probe.get("grpc")
    if isinstance(grpc, dict):
        _setdefault(grpc, "service", "")


def _container(container: Any, host_network: bool) -> None:
    if not isinstance(container, dict):
        return
    image = container.get("image")
    if isinstance(image, str) and not container.get("imagePullPolicy"):
        container["imagePullPolicy"] = image_pull_policy(image)
    _setdefault(container, "terminationMessagePath", "/dev/termination-log")
    _setdefault(container, "terminationMessagePolicy", "File")
    _setdefault(container, "resources", {})
    for port in container.get("ports") or ():
        if isinstance(port, dict):
            _setdefault(port, "protocol", "TCP")
            if host_network and "containerPort" in port:
                _setdefault(port, "hostPort", port["containerPort"])
    for env in container.get("env") or ():
        ref = env.get("valueFrom", {}).get("fieldRef") if isinstance(env, dict) else None
        if isinstance(ref, dict):
            _setdefault(ref, "apiVersion", "v1")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(container.get(probe))


_SOURCES = (
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
)


def _volume(volume: Any) -> None:
    if not isinstance(volume, dict):
        return
    if not any(k in volume for k in _SOURCES):
        volume["emptyDir"] = {}
    for source in ("configMap", "secret", "downwardAPI", "projected"):
        if isinstance(volume.get(source), dict):
            _setdefault(volume[source], "defaultMode", 420)
    if isinstance(volume.get("hostPath"), dict):
        _setdefault(volume["hostPath"], "type", "")


def default_pod_spec(spec: Obj) -> None:
    """SetDefaults_PodSpec and the container/volume defaults it implies, in place."""
    _setdefault(spec, "dnsPolicy", "ClusterFirst")
    _setdefault(spec, "restartPolicy", "Always")
    _setdefault(spec, "terminationGracePeriodSeconds", 30)
    _setdefault(spec, "securityContext", {})
    _setdefault(spec, "schedulerName", "default-scheduler")
    host_network = bool(spec.get("hostNetwork"))
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or ():
            _container(container, host_network)
    for volume in spec.get("volumes") or ():
        _volume(volume)


def default_pod_template(template: Any) -> None:
    if not isinstance(template, dict):
        return
    meta = template.setdefault("metadata", {})
    if isinstance(meta, dict):
        meta.setdefault("creationTimestamp", None)  # the zero time the 1.32 server serializes as null
    spec = template.setdefault("spec", {})
    if isinstance(spec, dict):
        default_pod_spec(spec)


_NOT_READY_TOLERATIONS = (
    {
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
    {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
)


def _pod(obj: Obj) -> None:
    """Pod defaults plus what the default admission plugins add to every pod."""
    spec = obj["spec"]
    default_pod_spec(spec)
    _setdefault(spec, "enableServiceLinks", True)
    _setdefault(spec, "serviceAccountName", "default")
    _setdefault(spec, "serviceAccount", spec["serviceAccountName"])
    _setdefault(spec, "priority", 0)
    _setdefault(spec, "preemptionPolicy", "PreemptLowerPriority")
    tolerations = spec.setdefault("tolerations", [])
    if isinstance(tolerations, list):
        present = {t.get("key") for t in tolerations if isinstance(t, dict)}
        tolerations.extend(copy_json(t) for t in _NOT_READY_TOLERATIONS if t["key"] not in present)


# ---------------------------------------------------------------- workloads


def _rolling_update(spec: Obj, key: str, **defaults: Any) -> None:
    """`spec.<key>` defaults to RollingUpdate, whose parameters get `defaults`."""
    strategy = spec.setdefault(key, {})
    if isinstance(strategy, dict):
        _setdefault(strategy, "type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            if isinstance(rolling, dict):
                for name, value in defaults.items():
                    _setdefault(rolling, name, value)


def _deployment(obj: Obj) -> None:
    spec = obj["spec"]
    _setdefault(spec, "replicas", 1)
    _rolling_update(spec, "strategy", maxUnavailable="25%", maxSurge="25%")
    _setdefault(spec, "revisionHistoryLimit", 10)
    _setdefault(spec, "progressDeadlineSeconds", 600)
    default_pod_template(spec.get("template"))


def _replicaset(obj: Obj) -> None:
    _setdefault(obj["spec"], "replicas", 1)
    default_pod_template(obj["spec"].get("template"))


def _statefulset(obj: Obj) -> None:
    spec = obj["spec"]
    _setdefault(spec, "replicas", 1)
    _setdefault(spec, "podManagementPolicy", "OrderedReady")
    _rolling_update(spec, "updateStrategy", partition=0)
    _setdefault(spec, "revisionHistoryLimit", 10)
    retention = spec.setdefault("persistentVolumeClaimRetentionPolicy", {})
    if isinstance(retention, dict):
        _setdefault(retention, "whenDeleted", "Retain")
        _setdefault(retention, "whenScaled", "Retain")
    for claim in spec.get("volumeClaimTemplates") or ():
        if isinstance(claim, dict):
            _setdefault(claim, "apiVersion", "v1")
            _setdefault(claim, "kind", "PersistentVolumeClaim")
            _pvc_spec(claim.setdefault("spec", {}))
    default_pod_template(spec.get("template"))


def _daemonset(obj: Obj) -> None:
    spec = obj["spec"]
    _rolling_update(spec, "updateStrategy", maxUnavailable=1, maxSurge=0)
    _setdefault(spec, "revisionHistoryLimit", 10)
    default_pod_template(spec.get("template"))


def _job_spec(spec: Obj) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    _setdefault(spec, "parallelism", 1)
    _setdefault(spec, "backoffLimit", 2147483647 if spec.get("backoffLimitPerIndex") is not None else 6)
    _setdefault(spec, "completionMode", "NonIndexed")
    _setdefault(spec, "suspend", False)
    _setdefault(
        spec,
        "podReplacementPolicy",
        "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed",
    )
    default_pod_template(spec.get("template"))


def _job(obj: Obj) -> None:
    _job_spec(obj["spec"])


def _cronjob(obj: Obj) -> None:
    spec = obj["spec"]
    _setdefault(spec, "concurrencyPolicy", "Allow")
    _setdefault(spec, "suspend", False)
    _setdefault(spec, "successfulJobsHistoryLimit", 3)
    _setdefault(spec, "failedJobsHistoryLimit", 1)
    job_template = spec.get("jobTemplate")
    if isinstance(job_template, dict) and isinstance(job_template.get("spec"), dict):
        job_template.setdefault("metadata", {}).setdefault("creationTimestamp", None)
        default_pod_template(job_template["spec"].get("template"))


# ---------------------------------------------------------------- core / networking


def _service(obj: Obj) -> None:
    spec = obj["spec"]
    _setdefault(spec, "type", "ClusterIP")
    kind = spec["type"]
    _setdefault(spec, "sessionAffinity", "None")
    for port in spec.get("ports") or ():
        if isinstance(port, dict):
            _setdefault(port, "protocol", "TCP")
            if port.get("targetPort") in (None, 0, "") and "port" in port:
                port["targetPort"] = port["port"]
    if kind == "ExternalName":
        return
    _setdefault(spec, "internalTrafficPolicy", "Cluster")
    if kind in ("NodePort", "LoadBalancer"):
        _setdefault(spec, "externalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        _setdefault(spec, "allocateLoadBalancerNodePorts", True)
    if spec.get("clusterIP") != "None" or spec.get("selector"):
        _setdefault(spec, "ipFamilyPolicy", "SingleStack")
        _setdefault(spec, "ipFamilies", ["IPv4"])


def allocate_cluster_ip(obj: Mapping[str, Any], allocator: Callable[[str], str]) -> Obj:
    """A copy of a defaulted Service with `clusterIP(s)` filled by `allocator(family)` ("IPv4").

    Headless (`clusterIP: None`) and ExternalName services, and ones that already have an IP, are
    returned unchanged. The allocator raises to refuse (e.g. range full); that propagates.
    """
    result = copy_json(dict(obj))
    spec = result.get("spec")
    if not isinstance(spec, dict) or spec.get("type") == "ExternalName":
        return result
    if spec.get("clusterIP") == "None":
        spec.setdefault("clusterIPs", ["None"])
        return result
    if not spec.get("clusterIP"):
        families = spec.get("ipFamilies") or ["IPv4"]
        spec["clusterIP"] = allocator(str(families[0]))
    spec.setdefault("clusterIPs", [spec["clusterIP"]])
    return result


def allocate_node_ports(obj: Mapping[str, Any], allocator: Callable[[], int]) -> Obj:
    """A copy of a NodePort/LoadBalancer Service with missing `nodePort`s filled by `allocator()`."""
    result = copy_json(dict(obj))
    spec = result.get("spec")
    if not isinstance(spec, dict) or spec.get("type") not in ("NodePort", "LoadBalancer"):
        return result
    if spec.get("type") == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is False:
        return result
    for port in spec.get("ports") or ():
        if isinstance(port, dict) and not port.get("nodePort"):
            port["nodePort"] = allocator()
    return result


def _pvc_spec(spec: Any) -> None:
    if isinstance(spec, dict):
        _setdefault(spec, "volumeMode", "Filesystem")


def _pvc(obj: Obj) -> None:
    _pvc_spec(obj["spec"])


def _secret(obj: Obj) -> None:
    _setdefault(obj, "type", "Opaque")


def _namespace(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        _setdefault(spec, "finalizers", ["kubernetes"])
    label_namespace_name(obj)


_SCALE_UP = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15},
    ],
}
_SCALE_DOWN = {
    "stabilizationWindowSeconds": 300,
    "selectPolicy": "Max",
    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
}


def _hpa(obj: Obj) -> None:
    spec = obj["spec"]
    _setdefault(spec, "minReplicas", 1)
    if obj.get("apiVersion") == "autoscaling/v1":
        return  # v1 has no metrics list; its CPU target defaults (80%) only in conversion
    if not spec.get("metrics"):
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
            }
        ]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):  # only a behavior the user gave is completed
        for key, rules in (("scaleUp", _SCALE_UP), ("scaleDown", _SCALE_DOWN)):
            current = behavior.setdefault(key, {})
            if isinstance(current, dict):
                for name, value in rules.items():
                    _setdefault(current, name, value)


def generate_job_selector(obj: Mapping[str, Any], uid: str) -> Obj:
    """A copy of a Job with the selector and template labels the Job strategy adds on create.

    Skipped when `spec.manualSelector` is true; the labels need the object's uid, hence a separate hook.
    """
    result = copy_json(dict(obj))
    spec = result.get("spec")
    if not isinstance(spec, dict) or spec.get("manualSelector") is True:
        return result
    name = str((result.get("metadata") or {}).get("name", ""))
    if spec.get("selector") is None:
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    template = spec.setdefault("template", {})
    if isinstance(template, dict):
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        for key, value in (
            ("batch.kubernetes.io/controller-uid", uid),
            ("batch.kubernetes.io/job-name", name),
            ("controller-uid", uid),
            ("job-name", name),
        ):
            labels.setdefault(key, value)
    return result


def _pod_template(obj: Obj) -> None:
    default_pod_template(obj.get("template"))


def _priority_class(obj: Obj) -> None:
    _setdefault(obj, "preemptionPolicy", "PreemptLowerPriority")


def _endpoint_slice(obj: Obj) -> None:
    for port in obj.get("ports") or ():
        if isinstance(port, dict):  # kubectl describe dereferences both
            _setdefault(port, "name", "")
            _setdefault(port, "protocol", "TCP")


_HANDLERS: dict[tuple[str, str], Callable[[Obj], None]] = {
    ("", "Pod"): _pod,
    ("", "PodTemplate"): _pod_template,
    ("", "ReplicationController"): _replicaset,
    ("apps", "Deployment"): _deployment,
    ("apps", "ReplicaSet"): _replicaset,
    ("apps", "StatefulSet"): _statefulset,
    ("apps", "DaemonSet"): _daemonset,
    ("batch", "Job"): _job,
    ("batch", "CronJob"): _cronjob,
    ("", "Service"): _service,
    ("", "PersistentVolumeClaim"): _pvc,
    ("", "Secret"): _secret,
    ("", "Namespace"): _namespace,
    ("autoscaling", "HorizontalPodAutoscaler"): _hpa,
    ("scheduling.k8s.io", "PriorityClass"): _priority_class,
    ("discovery.k8s.io", "EndpointSlice"): _endpoint_slice,
}
