"""CustomResourceDefinition acceptance: defaults, validation of the definition and its status conditions."""

from __future__ import annotations

from typing import Any

from pykro.apiserver.machinery.status import Cause
from pykro.dnsnames import dns1123_subdomain
from pykro.timestamps import now_rfc3339


def set_defaults(crd: dict[str, Any]) -> None:
    """What apiextensions/v1 `SetDefaults_CustomResourceDefinitionSpec` fills, so clients need not send it.

    `names.singular` (the kind, lowercased), `names.listKind` (`<Kind>List`), `conversion`
    (`{strategy: None}`) and a conversion webhook service's `port` (443). Given values are kept.
    """
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return  # validation reports it
    names = spec.get("names")
    if isinstance(names, dict) and isinstance(names.get("kind"), str) and names["kind"]:
        if not names.get("singular"):
            names["singular"] = names["kind"].lower()
        if not names.get("listKind"):
            names["listKind"] = names["kind"] + "List"
    if spec.get("conversion") is None:
        spec["conversion"] = {"strategy": "None"}
    conversion = spec["conversion"]
    if isinstance(conversion, dict):
        webhook = conversion.get("webhook")
        service = (webhook.get("clientConfig") or {}).get("service") if isinstance(webhook, dict) else None
        if isinstance(service, dict) and service.get("port") is None:
            service["port"] = 443


def _validate_conversion(conversion: Any) -> list[Cause]:
    if not isinstance(conversion, dict):
        return [Cause("spec.conversion", "Invalid value: must be an object", "FieldValueTypeInvalid")]
    strategy = conversion.get("strategy")
    if strategy not in ("None", "Webhook"):
        return [
            Cause(
                "spec.conversion.strategy",
                f'Unsupported value: "{strategy}": supported values: "None", "Webhook"',
                "FieldValueNotSupported",
            )
        ]
    webhook = conversion.get("webhook")
    if strategy == "None" and webhook is not None:
        return [
            Cause(
                "spec.conversion.webhook",
                "Forbidden: should not be set when strategy is not set to Webhook",
                "FieldValueForbidden",
            )
        ]
    if strategy == "Webhook":
        if not isinstance(webhook, dict):
            return [
                Cause(
                    "spec.conversion.webhook",
                    "Required value: required when strategy is set to Webhook",
                    "FieldValueRequired",
                )
            ]
        if not webhook.get("conversionReviewVersions"):
            return [
                Cause(
                    "spec.conversion.webhook.conversionReviewVersions",
                    "Required value: must contain at least one value",
                    "FieldValueRequired",
                )
            ]
    return []


def validate(crd: dict[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return [Cause("spec", "Required value", "FieldValueRequired")]
    group = spec.get("group")
    raw_names = spec.get("names")
    names: dict[str, Any] = raw_names if isinstance(raw_names, dict) else {}
    plural = names.get("plural")
    if not isinstance(group, str) or not group or "." not in group or dns1123_subdomain(group):
        causes.append(
            Cause("spec.group", f'Invalid value: "{group}": should be a domain with at least one dot')
        )
    if not isinstance(plural, str) or not plural or plural != plural.lower():
        causes.append(
            Cause("spec.names.plural", f'Invalid value: "{plural}": must be lowercase', "FieldValueInvalid")
        )
    if not isinstance(names.get("kind"), str) or not names.get("kind"):
        causes.append(Cause("spec.names.kind", "Required value", "FieldValueRequired"))
    name = crd.get("metadata", {}).get("name")
    if isinstance(plural, str) and isinstance(group, str) and name != f"{plural}.{group}":
        causes.append(
            Cause("metadata.name", f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group')
        )
    if "conversion" in spec:
        causes += _validate_conversion(spec["conversion"])
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(
            Cause(
                "spec.scope",
                f'Unsupported value: "{spec.get("scope")}": supported values: "Cluster", "Namespaced"',
                "FieldValueNotSupported",
            )
        )
    versions = spec.get("versions")
    if not isinstance(versions, list) or not versions:
        causes.append(
            Cause("spec.versions", "Invalid value: must have exactly one version marked as storage version")
        )
        return causes
    storage = [v for v in versions if isinstance(v, dict) and v.get("storage")]
    if len(storage) != 1:
        causes.append(
            Cause("spec.versions", "Invalid value: must have exactly one version marked as storage version")
        )
    for i, v in enumerate(versions):
        if not isinstance(v, dict) or not isinstance(v.get("name"), str):
            causes.append(Cause(f"spec.versions[{i}].name", "Required value", "FieldValueRequired"))
            continue
        holder = v.get("schema")
        schema = holder.get("openAPIV3Schema") if isinstance(holder, dict) else None
        if not isinstance(schema, dict):
            causes.append(
                Cause(
                    f"spec.versions[{i}].schema.openAPIV3Schema",
                    "Required value: schemas are required",
                    "FieldValueRequired",
                )
            )
        elif schema.get("type") not in ("object", None):
            causes.append(
                Cause(
                    f"spec.versions[{i}].schema.openAPIV3Schema.type",
                    'Unsupported value: must be "object" at the root',
                )
            )
    return causes


def _condition(type_: str, status: str, reason: str, message: str) -> dict[str, Any]:
    return {
        "type": type_,
        "status": status,
        "lastTransitionTime": now_rfc3339(),
        "reason": reason,
        "message": message,
    }


def accept(crd: dict[str, Any]) -> None:
    """Mark names accepted and the CRD established, as the real controllers do within milliseconds."""
    spec = crd["spec"]
    names = dict(spec["names"])
    names.setdefault("singular", names["kind"].lower())
    names.setdefault("listKind", names["kind"] + "List")
    spec["names"] = names
    for v in spec.get("versions", []):
        v.setdefault("served", True)
    raw_status = crd.get("status")
    status: dict[str, Any] = raw_status if isinstance(raw_status, dict) else {}
    old = {c.get("type"): c for c in status.get("conditions", []) if isinstance(c, dict)}
    conditions = []
    for c in (
        _condition("NamesAccepted", "True", "NoConflicts", "no conflicts found"),
        _condition("Established", "True", "InitialNamesAccepted", "the initial names have been accepted"),
    ):
        prev = old.get(c["type"])
        conditions.append(prev if prev and prev.get("status") == c["status"] else c)
    stored = list(status.get("storedVersions") or [])
    for v in spec.get("versions", []):
        if v.get("storage") and v["name"] not in stored:
            stored.append(v["name"])
    crd["status"] = {"conditions": conditions, "acceptedNames": names, "storedVersions": stored}


def set_terminating(crd: dict[str, Any]) -> None:
    status = crd.setdefault("status", {})
    conds = [c for c in status.get("conditions", []) if c.get("type") != "Terminating"]
    conds.append(
        _condition(
            "Terminating", "True", "InstanceDeletionInProgress", "CustomResource deletion is in progress"
        )
    )
    status["conditions"] = conds
