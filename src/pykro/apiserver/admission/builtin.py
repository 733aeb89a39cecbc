"""Validation the real API server applies to obviously invalid built-in objects.

Not a full port of pkg/apis/*/validation: it covers the mistakes templates actually make (selectors that
do not match template labels, nameless or duplicate containers, port ranges, Ingress pathType, config
keys, immutable fields on update), worded as the real server words them. Run it on defaulted objects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pykro.apiserver.admission.celcost import crd_rule_costs
from pykro.apiserver.admission.certificates import csr_causes
from pykro.apiserver.admission.crddefaults import default_causes
from pykro.apiserver.admission.messages import go_value
from pykro.apiserver.machinery.names import NameCheck, map_causes
from pykro.apiserver.machinery.status import Cause
from pykro.dnsnames import dns1035_label, dns1123_label, dns1123_subdomain
from pykro.schema.gvk import GVK

_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_CONFIG_KEY_MSG = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
    "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)
_WORKLOADS = {("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "StatefulSet"), ("apps", "DaemonSet")}
_STS_MUTABLE = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)


def validate_builtin(gvk: GVK, obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[Cause]:
    """Causes for `obj` (and for the change from `old` on update); empty when nothing is wrong."""
    causes: list[Cause] = []
    spec = obj.get("spec")
    spec = spec if isinstance(spec, Mapping) else {}
    old_spec = old.get("spec") if old is not None else None
    old_spec = old_spec if isinstance(old_spec, Mapping) else None
    key = (gvk.group, gvk.kind)
    if key in _WORKLOADS:
        _workload(gvk, spec, old_spec, causes)
    elif key == ("", "Pod"):
        _pod_spec(spec, "spec", causes)
    elif key == ("batch", "Job"):
        _job(spec, old_spec, "spec", causes)
    elif key == ("batch", "CronJob"):
        job_spec = (spec.get("jobTemplate") or {}).get("spec")
        if not isinstance(job_spec, Mapping):
            causes.append(Cause("spec.jobTemplate.spec", "Required value", "FieldValueRequired"))
        else:
            _job(job_spec, None, "spec.jobTemplate.spec", causes)
    elif key == ("apiextensions.k8s.io", "CustomResourceDefinition"):
        # rule costs are estimated only for schemas that are otherwise valid, as kube-apiserver does
        causes += default_causes(obj) or crd_rule_costs(obj, old)
    elif key == ("", "Service"):
        _service(spec, old_spec, causes)
    elif key == ("networking.k8s.io", "Ingress"):
        _ingress(spec, causes)
    elif key in (("", "ConfigMap"), ("", "Secret")):
        _config(obj, old, causes)
        _config_size(gvk.kind, obj, causes)
    elif key == ("", "ReplicationController"):
        selector = spec.get("selector")
        if isinstance(selector, dict):
            causes += map_causes(selector, "spec.selector")
        _template_labels(spec, causes)
    elif key == ("certificates.k8s.io", "CertificateSigningRequest"):
        causes += csr_causes(spec)
    return causes


# ---------------------------------------------------------------- Go formatting


def _go_string_map(labels: Mapping[str, Any]) -> str:
    inner = ", ".join(f"{json.dumps(str(k))}:{json.dumps(str(v))}" for k, v in sorted(labels.items()))
    return "map[string]string{" + inner + "}"


def _go_selector(selector: Mapping[str, Any]) -> str:
    labels = selector.get("matchLabels")
    shown_labels = _go_string_map(labels) if isinstance(labels, Mapping) else "map[string]string(nil)"
    exprs = selector.get("matchExpressions")
    shown_exprs = "[]v1.LabelSelectorRequirement(nil)"
    if isinstance(exprs, list) and exprs:
        shown_exprs = (
            "[]v1.LabelSelectorRequirement{"
            + ", ".join(
                "v1.LabelSelectorRequirement{Key:"
                + json.dumps(str(e.get("key", "")))
                + ", Operator:"
                + json.dumps(str(e.get("operator", "")))
                + ", Values:[]string{"
                + ", ".join(json.dumps(str(v)) for v in e.get("values") or ())
                + "}}"
                for e in exprs
                if isinstance(e, Mapping)
            )
            + "}"
        )
    return f"&v1.LabelSelector{{MatchLabels:{shown_labels}, MatchExpressions:{shown_exprs}}}"


# ---------------------------------------------------------------- selectors


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """Label-selector semantics: matchLabels ⊆ labels and every matchExpression holds."""
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or ():
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def _template_labels(spec: Mapping[str, Any], causes: list[Cause]) -> None:
    """A pod template's labels are labels (controllers select pods by them)."""
    template = spec.get("template")
    labels = (template.get("metadata") or {}).get("labels") if isinstance(template, Mapping) else None
    if isinstance(labels, dict):
        causes += map_causes(labels, "spec.template.metadata.labels")


def _workload(
    gvk: GVK, spec: Mapping[str, Any], old_spec: Mapping[str, Any] | None, causes: list[Cause]
) -> None:
    replicas = spec.get("replicas")
    if isinstance(replicas, int) and replicas < 0:
        causes.append(
            Cause(
                "spec.replicas",
                f"Invalid value: {replicas}: must be greater than or equal to 0",
                "FieldValueInvalid",
            )
        )
    selector = spec.get("selector")
    template = spec.get("template")
    match_labels = selector.get("matchLabels") if isinstance(selector, Mapping) else None
    if isinstance(match_labels, dict):
        causes += map_causes(match_labels, "spec.selector.matchLabels")
    _template_labels(spec, causes)
    if not isinstance(selector, Mapping):
        causes.append(Cause("spec.selector", "Required value", "FieldValueRequired"))
    elif not selector.get("matchLabels") and not selector.get("matchExpressions"):
        causes.append(
            Cause(
                "spec.selector",
                f"Invalid value: {_go_selector(selector)}: empty selector is invalid for deployment",
                "FieldValueInvalid",
            )
        )
    if not isinstance(template, Mapping):
        causes.append(Cause("spec.template", "Required value", "FieldValueRequired"))
        return
    labels = (template.get("metadata") or {}).get("labels") or {}
    if isinstance(selector, Mapping) and (selector.get("matchLabels") or selector.get("matchExpressions")):
        if not selector_matches(selector, labels):
            causes.append(
                Cause(
                    "spec.template.metadata.labels",
                    f"Invalid value: {_go_string_map(labels)}: `selector` does not match template `labels`",
                    "FieldValueInvalid",
                )
            )
    pod_spec = template.get("spec")
    if isinstance(pod_spec, Mapping):
        _pod_spec(pod_spec, "spec.template.spec", causes)
        if pod_spec.get("restartPolicy") not in (None, "Always"):
            causes.append(
                Cause(
                    "spec.template.spec.restartPolicy",
                    f"Unsupported value: {go_value(pod_spec.get('restartPolicy'))}: "
                    'supported values: "Always"',
                    "FieldValueNotSupported",
                )
            )
    else:
        causes.append(Cause("spec.template.spec.containers", "Required value", "FieldValueRequired"))
    if old_spec is None:
        return
    if gvk.kind == "StatefulSet":
        if {k: v for k, v in spec.items() if k not in _STS_MUTABLE} != {
            k: v for k, v in old_spec.items() if k not in _STS_MUTABLE
        }:
            causes.append(
                Cause(
                    "spec",
                    "Forbidden: updates to statefulset spec for fields other than 'replicas', "
                    "'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' "
                    "and 'minReadySeconds' are forbidden",
                    "FieldValueForbidden",
                )
            )
    elif isinstance(selector, Mapping) and old_spec.get("selector") != selector:
        causes.append(
            Cause(
                "spec.selector",
                f"Invalid value: {_go_selector(selector)}: field is immutable",
                "FieldValueInvalid",
            )
        )


def _pod_spec(spec: Mapping[str, Any], path: str, causes: list[Cause]) -> None:
    containers = spec.get("containers")
    if not isinstance(containers, list) or not containers:
        causes.append(Cause(f"{path}.containers", "Required value", "FieldValueRequired"))
        containers = []
    seen: set[str] = set()
    for key, items in (("initContainers", spec.get("initContainers") or []), ("containers", containers)):
        for i, container in enumerate(items if isinstance(items, list) else []):
            where = f"{path}.{key}[{i}]"
            if not isinstance(container, Mapping):
                continue
            name = container.get("name")
            if not name:
                causes.append(Cause(f"{where}.name", "Required value", "FieldValueRequired"))
            elif not isinstance(name, str) or dns1123_label(name):
                problem = dns1123_label(name) if isinstance(name, str) else dns1123_label("")
                causes.append(
                    Cause(f"{where}.name", f"Invalid value: {go_value(name)}: {problem}", "FieldValueInvalid")
                )
            elif name in seen:
                causes.append(
                    Cause(f"{where}.name", f"Duplicate value: {go_value(name)}", "FieldValueDuplicate")
                )
            else:
                seen.add(name)
            if not container.get("image"):
                causes.append(Cause(f"{where}.image", "Required value", "FieldValueRequired"))
            for j, port in enumerate(container.get("ports") or ()):
                number = port.get("containerPort") if isinstance(port, Mapping) else None
                if not isinstance(number, int) or not 1 <= number <= 65535:
                    causes.append(
                        Cause(
                            f"{where}.ports[{j}].containerPort",
                            f"Invalid value: {go_value(number)}: must be between 1 and 65535, inclusive",
                            "FieldValueInvalid",
                        )
                    )


def _job(spec: Mapping[str, Any], old_spec: Mapping[str, Any] | None, path: str, causes: list[Cause]) -> None:
    template = spec.get("template")
    pod_spec = template.get("spec") if isinstance(template, Mapping) else None
    if not isinstance(pod_spec, Mapping):
        causes.append(Cause(f"{path}.template.spec.containers", "Required value", "FieldValueRequired"))
        return
    _pod_spec(pod_spec, f"{path}.template.spec", causes)
    policy = pod_spec.get("restartPolicy")
    if policy is None:
        causes.append(
            Cause(
                f"{path}.template.spec.restartPolicy",
                'Required value: valid values: "OnFailure", "Never"',
                "FieldValueRequired",
            )
        )
    elif policy not in ("OnFailure", "Never"):
        causes.append(
            Cause(
                f"{path}.template.spec.restartPolicy",
                f'Unsupported value: {go_value(policy)}: supported values: "OnFailure", "Never"',
                "FieldValueNotSupported",
            )
        )
    if old_spec is not None and old_spec.get("template") != template:
        causes.append(
            Cause(f"{path}.template", 'Invalid value: "object": field is immutable', "FieldValueInvalid")
        )


def _service(spec: Mapping[str, Any], old_spec: Mapping[str, Any] | None, causes: list[Cause]) -> None:
    kind = spec.get("type", "ClusterIP")
    ports = spec.get("ports") or []
    if kind not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        causes.append(
            Cause(
                "spec.type",
                f"Unsupported value: {go_value(kind)}: supported "
                'values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
                "FieldValueNotSupported",
            )
        )
    if not ports and kind != "ExternalName" and spec.get("clusterIP") != "None":
        causes.append(Cause("spec.ports", "Required value", "FieldValueRequired"))
    if kind == "ExternalName" and not spec.get("externalName"):
        causes.append(Cause("spec.externalName", "Required value", "FieldValueRequired"))
    names: set[str] = set()
    for i, port in enumerate(ports if isinstance(ports, list) else []):
        if not isinstance(port, Mapping):
            continue
        where = f"spec.ports[{i}]"
        name = port.get("name")
        if len(ports) > 1 and not name:
            causes.append(Cause(f"{where}.name", "Required value", "FieldValueRequired"))
        elif name in names:
            causes.append(Cause(f"{where}.name", f"Duplicate value: {go_value(name)}", "FieldValueDuplicate"))
        elif isinstance(name, str):
            names.add(name)
        number = port.get("port")
        if not isinstance(number, int) or not 1 <= number <= 65535:
            causes.append(
                Cause(
                    f"{where}.port",
                    f"Invalid value: {go_value(number)}: must be between 1 and 65535, inclusive",
                    "FieldValueInvalid",
                )
            )
        target = port.get("targetPort")
        if isinstance(target, int) and not 1 <= target <= 65535:
            causes.append(
                Cause(
                    f"{where}.targetPort",
                    f"Invalid value: {target}: must be between 1 and 65535, inclusive",
                    "FieldValueInvalid",
                )
            )
        protocol = port.get("protocol", "TCP")
        if protocol not in ("TCP", "UDP", "SCTP"):
            causes.append(
                Cause(
                    f"{where}.protocol",
                    f'Unsupported value: {go_value(protocol)}: supported values: "SCTP", "TCP", "UDP"',
                    "FieldValueNotSupported",
                )
            )
    if (
        old_spec is not None
        and old_spec.get("clusterIP")
        and spec.get("clusterIP") not in (None, old_spec.get("clusterIP"))
    ):
        causes.append(
            Cause(
                "spec.clusterIPs[0]",
                f"Invalid value: []string{{{json.dumps(str(spec.get('clusterIP')))}}}: "
                "may not change once set",
                "FieldValueInvalid",
            )
        )


def _ingress(spec: Mapping[str, Any], causes: list[Cause]) -> None:
    for i, rule in enumerate(spec.get("rules") or ()):
        http = rule.get("http") if isinstance(rule, Mapping) else None
        for j, path in enumerate((http or {}).get("paths") or ()):
            where = f"spec.rules[{i}].http.paths[{j}]"
            if not isinstance(path, Mapping):
                continue
            kind = path.get("pathType")
            if not kind:
                causes.append(
                    Cause(
                        f"{where}.pathType",
                        "Required value: pathType must be specified",
                        "FieldValueRequired",
                    )
                )
            elif kind not in ("Exact", "Prefix", "ImplementationSpecific"):
                causes.append(
                    Cause(
                        f"{where}.pathType",
                        f'Unsupported value: {go_value(kind)}: supported values: "Exact", '
                        '"ImplementationSpecific", "Prefix"',
                        "FieldValueNotSupported",
                    )
                )
            elif kind in ("Exact", "Prefix") and not str(path.get("path", "")).startswith("/"):
                causes.append(
                    Cause(
                        f"{where}.path",
                        f"Invalid value: {go_value(path.get('path', ''))}: must be an absolute path",
                        "FieldValueInvalid",
                    )
                )


def _config(obj: Mapping[str, Any], old: Mapping[str, Any] | None, causes: list[Cause]) -> None:
    seen: set[str] = set()
    for section in ("data", "binaryData", "stringData"):
        values = obj.get(section)
        if not isinstance(values, Mapping):
            continue
        for key in values:
            where = f"{section}[{key}]"
            if not isinstance(key, str) or len(key) > 253 or not _CONFIG_KEY.match(key) or key in (".", ".."):
                causes.append(
                    Cause(where, f"Invalid value: {go_value(key)}: {_CONFIG_KEY_MSG}", "FieldValueInvalid")
                )
            elif key in seen and section == "binaryData":
                causes.append(
                    Cause(
                        where,
                        f"Invalid value: {go_value(key)}: duplicate of key present in data",
                        "FieldValueInvalid",
                    )
                )
            seen.add(str(key))
    if old is not None and old.get("immutable") is True:
        for section in ("data", "binaryData"):
            if obj.get(section) != old.get(section):
                causes.append(
                    Cause(
                        section,
                        "Forbidden: field is immutable when `immutable` is set",
                        "FieldValueForbidden",
                    )
                )
        if obj.get("immutable") is not True:
            causes.append(
                Cause(
                    "immutable",
                    "Forbidden: field is immutable when `immutable` is set",
                    "FieldValueForbidden",
                )
            )


MAX_CONFIG_SIZE = 1024 * 1024  # corevalidation.MaxSecretSize, for ConfigMaps too


def _decoded_length(text: str) -> int:
    """Bytes a base64 string stands for (the stored form of Secret data and ConfigMap binaryData)."""
    return len(text) * 3 // 4 - text[-2:].count("=")


def _config_size(kind: str, obj: Mapping[str, Any], causes: list[Cause]) -> None:
    """Keys plus values at most 1 MiB, as kube-apiserver's ValidateConfigMap / ValidateSecret."""
    total = 0
    for section in ("data", "binaryData"):
        values = obj.get(section)
        if not isinstance(values, Mapping):
            continue
        encoded = kind == "Secret" or section == "binaryData"
        for key, value in values.items():
            text = value if isinstance(value, str) else ""
            total += len(str(key)) + (_decoded_length(text) if encoded else len(text.encode()))
    if total > MAX_CONFIG_SIZE:
        where = "data" if kind == "Secret" else "[]"  # Go prints the root path (NewPath("")) as []
        causes.append(
            Cause(where, f"Too long: must have at most {MAX_CONFIG_SIZE} bytes", "FieldValueTooLong")
        )


# ---------------------------------------------------------------- object metadata (any kind, CRs included)

_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
# Kinds whose names are DNS labels rather than subdomains (the rules are shared with `names`).
_NAME_RULES: dict[tuple[str, str], NameCheck] = {
    ("", "Service"): dns1035_label,
    ("", "Namespace"): dns1123_label,
}


def validate_metadata(gvk: GVK, obj: Mapping[str, Any]) -> list[Cause]:
    """Name, label and annotation-key checks every kind gets (ObjectMeta validation)."""
    causes: list[Cause] = []
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    name = meta.get("name")
    check = _NAME_RULES.get((gvk.group, gvk.kind), dns1123_subdomain)
    if not name:
        if not meta.get("generateName"):
            causes.append(
                Cause(
                    "metadata.name", "Required value: name or generateName is required", "FieldValueRequired"
                )
            )
    else:
        problem = check(name) if isinstance(name, str) else check("")
        if problem:
            causes.append(
                Cause("metadata.name", f"Invalid value: {go_value(name)}: {problem}", "FieldValueInvalid")
            )
    labels = meta.get("labels")
    for key, value in labels.items() if isinstance(labels, Mapping) else ():
        causes.extend(_qualified_name(str(key), "metadata.labels"))
        text = value if isinstance(value, str) else ""
        if not isinstance(value, str) or not _LABEL_VALUE.match(text):
            causes.append(
                Cause(
                    "metadata.labels",
                    f"Invalid value: {go_value(value)}: {_LABEL_VALUE_MSG}",
                    "FieldValueInvalid",
                )
            )
        elif len(text) > 63:
            causes.append(
                Cause(
                    "metadata.labels",
                    f"Invalid value: {go_value(text)}: must be no more than 63 characters",
                    "FieldValueInvalid",
                )
            )
    annotations = meta.get("annotations")
    for key in annotations if isinstance(annotations, Mapping) else ():
        causes.extend(_qualified_name(str(key).lower(), "metadata.annotations"))
    return causes


def _qualified_name(key: str, where: str) -> list[Cause]:
    prefix, slash, name = key.rpartition("/")
    causes = []
    if not _NAME_PART.match(name) or len(name) > 63:
        detail = (
            _NAME_PART_MSG
            if _NAME_PART.match(name) is None
            else "name part must be no more than 63 characters"
        )
        causes.append(Cause(where, f"Invalid value: {go_value(key)}: {detail}", "FieldValueInvalid"))
    problem = dns1123_subdomain(prefix) if slash else None
    if problem:
        causes.append(
            Cause(where, f"Invalid value: {go_value(key)}: prefix part {problem}", "FieldValueInvalid")
        )
    return causes
