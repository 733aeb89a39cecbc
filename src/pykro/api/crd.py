"""The `resourcegraphdefinitions.kro.run` CRD manifest (§1.1).

Patterns, enums and CEL admission rules come from `pykro.api.constants`, the same values the
local parser enforces, so `kubectl apply` and `pykro validate` agree.
"""

from __future__ import annotations

from typing import Any

from pykro.api import constants as c


def _string(**extra: Any) -> dict[str, Any]:
    return {"type": "string", **extra}


def _immutable(what: str) -> list[dict[str, str]]:
    return [{"rule": c.IMMUTABLE_RULE, "message": f"{what} is immutable"}]


def _free_form(description: str) -> dict[str, Any]:
    return {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "description": description}


def _name_list(description: str) -> dict[str, Any]:
    return {
        "type": "array",
        "description": description,
        "maxItems": c.NAME_LIST_MAX_ITEMS,
        "items": _string(maxLength=c.NAME_LIST_ITEM_MAX_LENGTH, pattern=c.NAME_LIST_PATTERN),
        "x-kubernetes-list-type": "set",
    }


def _condition() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "status"],
        "properties": {
            "type": _string(),
            "status": _string(enum=["True", "False", "Unknown"]),
            "lastTransitionTime": _string(format="date-time"),
            "reason": _string(),
            "message": _string(),
            "observedGeneration": {"type": "integer", "format": "int64"},
        },
    }


def _schema_section() -> dict[str, Any]:
    string_map = {"type": "object", "additionalProperties": _string()}
    return {
        "type": "object",
        "required": ["kind", "apiVersion"],
        "properties": {
            "kind": _string(pattern=c.KIND_PATTERN, **{"x-kubernetes-validations": _immutable("kind")}),
            "apiVersion": _string(
                pattern=c.SCHEMA_API_VERSION_PATTERN, **{"x-kubernetes-validations": _immutable("apiVersion")}
            ),
            "group": _string(
                default=c.DEFAULT_GROUP,
                pattern=c.GROUP_PATTERN,
                maxLength=c.GROUP_MAX_LENGTH,
                **{"x-kubernetes-validations": _immutable("group")},
            ),
            "scope": _string(
                enum=list(c.SCOPES),
                default=c.DEFAULT_SCOPE,
                **{"x-kubernetes-validations": _immutable("scope")},
            ),
            "spec": _free_form("SimpleSchema of the instance spec"),
            "types": _free_form("custom SimpleSchema types"),
            "status": _free_form("CEL projections of the instance status"),
            "additionalPrinterColumns": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "type", "jsonPath"],
                    "properties": {
                        "name": _string(),
                        "type": _string(),
                        "jsonPath": _string(),
                        "description": _string(),
                        "format": _string(),
                        "priority": {"type": "integer", "format": "int32"},
                    },
                },
            },
            "shortNames": _name_list("short names of the generated CRD"),
            "categories": _name_list("categories of the generated CRD"),
            "metadata": {
                "type": "object",
                "properties": {"labels": string_map, "annotations": dict(string_map)},
            },
        },
    }


def _resource() -> dict[str, Any]:
    label_selector = {
        "type": "object",
        "properties": {
            "matchLabels": {"type": "object", "additionalProperties": _string()},
            "matchExpressions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "operator"],
                    "properties": {
                        "key": _string(),
                        "operator": _string(),
                        "values": {"type": "array", "items": _string()},
                    },
                },
            },
        },
        "x-kubernetes-map-type": "atomic",
    }
    return {
        "type": "object",
        "required": ["id"],
        "x-kubernetes-validations": [{"rule": c.ONE_OF_TEMPLATE_RULE, "message": c.ONE_OF_TEMPLATE_MESSAGE}],
        "properties": {
            "id": _string(pattern=c.RESOURCE_ID_PATTERN),
            "template": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "externalRef": {
                "type": "object",
                "required": ["apiVersion", "kind", "metadata"],
                "properties": {
                    "apiVersion": _string(),
                    "kind": _string(),
                    "metadata": {
                        "type": "object",
                        "x-kubernetes-validations": [
                            {"rule": c.ONE_OF_NAME_RULE, "message": c.ONE_OF_NAME_MESSAGE}
                        ],
                        "properties": {
                            "name": _string(minLength=1),
                            "namespace": _string(),
                            "selector": label_selector,
                        },
                    },
                },
            },
            "readyWhen": {"type": "array", "items": _string()},
            "includeWhen": {"type": "array", "items": _string()},
            "forEach": {
                "type": "array",
                "items": {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": 1,
                    "additionalProperties": _string(),
                },
            },
        },
    }


def _status() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "state": _string(enum=["Active", "Inactive"]),
            "conditions": {"type": "array", "items": _condition()},
            "topologicalOrder": {"type": "array", "items": _string()},
            "resources": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        "id": _string(),
                        "dependencies": {
                            "type": "array",
                            "items": {"type": "object", "required": ["id"], "properties": {"id": _string()}},
                        },
                    },
                },
            },
            "lastIssuedRevision": {"type": "integer", "format": "int64"},
        },
    }


PRINTER_COLUMNS: tuple[dict[str, Any], ...] = (
    {"name": "APIVERSION", "type": "string", "jsonPath": ".spec.schema.apiVersion"},
    {"name": "KIND", "type": "string", "jsonPath": ".spec.schema.kind"},
    {"name": "STATE", "type": "string", "jsonPath": ".status.state"},
    {"name": "READY", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
    {"name": "TOPOLOGICALORDER", "type": "string", "jsonPath": ".status.topologicalOrder", "priority": 1},
    {"name": "AGE", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
)


def rgd_crd_manifest() -> dict[str, Any]:
    """The CustomResourceDefinition of ResourceGraphDefinition (a fresh dict each call)."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{c.PLURAL}.{c.GROUP}"},
        "spec": {
            "group": c.GROUP,
            "names": {
                "kind": c.KIND,
                "listKind": f"{c.KIND}List",
                "plural": c.PLURAL,
                "singular": c.SINGULAR,
                "shortNames": [c.SHORT_NAME],
            },
            "scope": "Cluster",
            "versions": [
                {
                    "name": c.VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [dict(col) for col in PRINTER_COLUMNS],
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": _string(),
                                "kind": _string(),
                                "metadata": {"type": "object"},
                                "spec": {
                                    "type": "object",
                                    "required": ["schema"],
                                    "properties": {
                                        "schema": _schema_section(),
                                        # Unbounded and without a uniqueness rule, as upstream: a
                                        # pairwise rule is quadratic (refused by the CEL cost budget);
                                        # the graph builder reports duplicate ids.
                                        "resources": {"type": "array", "items": _resource()},
                                    },
                                },
                                "status": _status(),
                            },
                        }
                    },
                }
            ],
        },
    }


# GraphRevision (§1.2): immutable snapshots of an RGD spec, issued by the RGD controller.
GR_GROUP = "internal.kro.run"
GR_VERSION = "v1alpha1"
GR_KIND = "GraphRevision"
GR_PLURAL = "graphrevisions"

GR_PRINTER_COLUMNS: tuple[dict[str, Any], ...] = (
    {"name": "RGD", "type": "string", "jsonPath": ".spec.snapshot.name", "priority": 1},
    {"name": "REVISION", "type": "integer", "jsonPath": ".spec.revision"},
    {
        "name": "HASH",
        "type": "string",
        "jsonPath": ".metadata.labels['kro.run/graph-revision-hash']",
        "priority": 1,
    },
    {"name": "READY", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
    {"name": "AGE", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
)


def _graph_revision_status() -> dict[str, Any]:
    status = _status()
    return {
        "type": "object",
        "properties": {
            key: status["properties"][key] for key in ("conditions", "topologicalOrder", "resources")
        },
    }


def graph_revision_crd_manifest() -> dict[str, Any]:
    """The CustomResourceDefinition of GraphRevision (a fresh dict each call)."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{GR_PLURAL}.{GR_GROUP}"},
        "spec": {
            "group": GR_GROUP,
            "names": {
                "kind": GR_KIND,
                "listKind": f"{GR_KIND}List",
                "plural": GR_PLURAL,
                "singular": GR_KIND.lower(),
                "shortNames": ["gr"],
            },
            "scope": "Cluster",
            "versions": [
                {
                    "name": GR_VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [dict(col) for col in GR_PRINTER_COLUMNS],
                    # Lets the RGD controller list one RGD's revisions with a field selector.
                    "selectableFields": [{"jsonPath": ".spec.snapshot.name"}],
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": _string(),
                                "kind": _string(),
                                "metadata": {"type": "object"},
                                "spec": {
                                    "type": "object",
                                    "required": ["revision", "snapshot"],
                                    "x-kubernetes-validations": _immutable("spec"),
                                    "properties": {
                                        "revision": {"type": "integer", "format": "int64", "minimum": 1},
                                        "snapshot": {
                                            "type": "object",
                                            "required": ["name", "spec"],
                                            "properties": {
                                                "name": _string(minLength=1),
                                                "generation": {"type": "integer", "format": "int64"},
                                                "spec": _free_form("the full ResourceGraphDefinition spec"),
                                            },
                                        },
                                    },
                                },
                                "status": _graph_revision_status(),
                            },
                        }
                    },
                }
            ],
        },
    }
