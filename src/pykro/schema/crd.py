"""Instance CRD synthesis (§2.8): the CustomResourceDefinition an RGD's `schema` defines."""

from __future__ import annotations

import copy
from typing import Any

from pykro import __version__
from pykro.api.conventions import KRO_VERSION_LABEL, OWNED_LABEL, RGD_ID_LABEL, RGD_NAME_LABEL
from pykro.api.frozen import thaw
from pykro.api.model import ResourceGraphDefinition, SchemaSpec
from pykro.schema.plural import plural_of
from pykro.schema.simpleschema import to_openapi

DEFAULT_PRINTER_COLUMNS: tuple[dict[str, Any], ...] = (
    {
        "name": "State",
        "type": "string",
        "jsonPath": ".status.state",
        "description": "The state of a ResourceGraphDefinition instance",
    },
    {
        "name": "Ready",
        "type": "string",
        "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
        "description": "Whether a ResourceGraphDefinition instance is ready",
    },
    {
        "name": "Age",
        "type": "date",
        "jsonPath": ".metadata.creationTimestamp",
        "description": "Age of the resource",
    },
)

_CONDITION_FIELDS = {
    "type": "string",
    "status": "string",
    "reason": "string",
    "message": "string",
    "lastTransitionTime": "string",
    "observedGeneration": "integer",
}
DEFAULT_STATUS_PROPERTIES: dict[str, Any] = {
    "state": {"type": "string"},
    "conditions": {
        "type": "array",
        "items": {"type": "object", "properties": {k: {"type": v} for k, v in _CONDITION_FIELDS.items()}},
    },
}


def crd_name(schema: SchemaSpec) -> str:
    return f"{plural_of(schema.kind)}.{schema.group}"


# No fieldPath: kube-apiserver only accepts paths to fields the schema declares, and it declares no
# metadata fields, so the message names the field itself.
INSTANCE_NAME_RULE = {
    "rule": "!has(self.metadata) || !has(self.metadata.name) || size(self.metadata.name) <= 63",
    "message": "metadata.name must be no more than 63 characters: kro puts the instance name in the "
    "kro.run/instance-name label of every resource it creates",
}


def status_schema_with_defaults(status_schema: dict[str, Any] | None) -> dict[str, Any]:
    """The instance status schema: the inferred one (if any) plus `state` and `conditions` unless present."""
    status: dict[str, Any] = copy.deepcopy(status_schema) if status_schema else {"type": "object"}
    status.setdefault("type", "object")
    properties: dict[str, Any] = status.setdefault("properties", {})
    for name, schema in DEFAULT_STATUS_PROPERTIES.items():
        properties.setdefault(name, copy.deepcopy(schema))
    return status


def instance_crd(
    schema: SchemaSpec,
    *,
    spec_schema: dict[str, Any],
    status_schema: dict[str, Any] | None,
    rgd_name: str = "",
    rgd_uid: str = "",
) -> dict[str, Any]:
    """The CustomResourceDefinition manifest for the instances of an RGD."""
    kind = schema.kind
    names: dict[str, Any] = {
        "kind": kind,
        "listKind": f"{kind}List",
        "plural": plural_of(kind),
        "singular": kind.lower(),
    }
    if schema.short_names:
        names["shortNames"] = list(schema.short_names)
    if schema.categories:
        names["categories"] = list(schema.categories)
    columns = [thaw(c) for c in schema.additional_printer_columns] or copy.deepcopy(
        list(DEFAULT_PRINTER_COLUMNS)
    )
    open_api = {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": copy.deepcopy(spec_schema),
            "status": status_schema_with_defaults(status_schema),
        },
        # Beyond upstream: every child carries the instance name in a label (at most 63 characters),
        # so a longer name could never work; refuse it at admission instead of failing every child.
        "x-kubernetes-validations": [dict(INSTANCE_NAME_RULE)],
    }
    # kro's ownership labels win over same-named user labels: the RGD controller relies on them.
    labels: dict[str, str] = dict(schema.crd_labels)
    labels[OWNED_LABEL] = "true"
    labels[KRO_VERSION_LABEL] = __version__
    if rgd_uid:
        labels[RGD_ID_LABEL] = rgd_uid
    if rgd_name:
        labels[RGD_NAME_LABEL] = rgd_name
    metadata: dict[str, Any] = {"name": crd_name(schema), "labels": labels}
    if schema.crd_annotations:
        metadata["annotations"] = dict(schema.crd_annotations)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": metadata,
        "spec": {
            "group": schema.group,
            "names": names,
            "scope": schema.scope,
            "versions": [
                {
                    "name": schema.api_version,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": open_api},
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": columns,
                }
            ],
        },
    }


def rgd_instance_crd(
    rgd: ResourceGraphDefinition, *, status_schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Build the spec schema from the RGD's SimpleSchema and synthesize its instance CRD.

    Raises `SimpleSchemaError` (problems carry `spec.schema.spec...`/`spec.schema.types...` paths).
    """
    spec_schema = to_openapi(rgd.spec.schema.spec, rgd.spec.schema.types)
    return instance_crd(
        rgd.spec.schema,
        spec_schema=spec_schema,
        status_schema=status_schema,
        rgd_name=rgd.name,
        rgd_uid=rgd.uid,
    )
