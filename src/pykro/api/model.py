"""Typed, immutable RGD model (§1.1). Built only by `pykro.api.rgd.parse_rgd`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pykro.api.frozen import FrozenDict, thaw

_EMPTY: FrozenDict[str, Any] = FrozenDict()


@dataclass(frozen=True)
class ExternalRef:
    """A read-only reference: by `name` (scalar) or by label `selector` (collection)."""

    api_version: str
    kind: str
    name: str | None = None
    namespace: str | None = None
    selector: FrozenDict[str, Any] | None = None

    @property
    def is_collection(self) -> bool:
        return self.selector is not None

    def to_object(self) -> dict[str, Any]:
        """The object form the graph builder parses: `{apiVersion, kind, metadata: {...}}`."""
        metadata: dict[str, Any] = {}
        if self.name is not None:
            metadata["name"] = self.name
        if self.namespace is not None:
            metadata["namespace"] = self.namespace
        if self.selector is not None:
            metadata["selector"] = thaw(self.selector)
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": metadata}


@dataclass(frozen=True)
class ForEachDimension:
    """One `forEach` entry: iterator `name` bound to each element of `expression`."""

    name: str
    expression: str


@dataclass(frozen=True)
class Resource:
    id: str
    template: FrozenDict[str, Any] | None = None
    external_ref: ExternalRef | None = None
    ready_when: tuple[str, ...] = ()
    include_when: tuple[str, ...] = ()
    for_each: tuple[ForEachDimension, ...] = ()


@dataclass(frozen=True)
class SchemaSpec:
    kind: str
    api_version: str  # the version only, e.g. "v1alpha1"
    group: str = "kro.run"
    scope: str = "Namespaced"
    spec: FrozenDict[str, Any] = field(default_factory=lambda: _EMPTY)
    types: FrozenDict[str, Any] = field(default_factory=lambda: _EMPTY)
    status: FrozenDict[str, Any] = field(default_factory=lambda: _EMPTY)
    additional_printer_columns: tuple[FrozenDict[str, Any], ...] = ()
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    crd_labels: FrozenDict[str, str] = field(default_factory=lambda: FrozenDict())
    crd_annotations: FrozenDict[str, str] = field(default_factory=lambda: FrozenDict())

    @property
    def namespaced(self) -> bool:
        return self.scope == "Namespaced"

    @property
    def instance_api_version(self) -> str:
        """The `apiVersion` of instances, e.g. "kro.run/v1alpha1"."""
        return f"{self.group}/{self.api_version}"


@dataclass(frozen=True)
class RGDSpec:
    schema: SchemaSpec
    resources: tuple[Resource, ...] = ()


@dataclass(frozen=True)
class ResourceGraphDefinition:
    name: str
    uid: str
    generation: int
    labels: FrozenDict[str, str]
    annotations: FrozenDict[str, str]
    spec: RGDSpec

    def resource(self, resource_id: str) -> Resource | None:
        return next((r for r in self.spec.resources if r.id == resource_id), None)
