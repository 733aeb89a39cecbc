"""Parse and compile an RGD object, typing its resources against the cluster's schemas.

The schema registry knows the built-in kinds of one Kubernetes release; a `ClusterSchemaSource`
adds every kind the cluster serves (third-party CRDs, and the instance kinds of other RGDs,
which is what lets RGDs compose). Before each compile the source loads the kinds the RGD names,
re-fetching only group-versions whose OpenAPI document changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pykro.api.model import ResourceGraphDefinition
from pykro.api.rgd import parse_rgd
from pykro.errors import PykroError
from pykro.graph import build_graph
from pykro.graph.model import CompiledGraph
from pykro.kube.client import KubeClient
from pykro.kube.openapi import ClusterSchemaSource
from pykro.schema.gvk import GVK
from pykro.schema.registry import SchemaRegistry


def referenced_kinds(rgd: ResourceGraphDefinition) -> Iterator[GVK]:
    """The kinds an RGD's resources name literally (templated apiVersion/kind are left to the builder)."""
    for resource in rgd.spec.resources:
        api_version: object = None
        kind: object = None
        if resource.external_ref is not None:
            api_version, kind = resource.external_ref.api_version, resource.external_ref.kind
        elif resource.template is not None:
            api_version, kind = resource.template.get("apiVersion"), resource.template.get("kind")
        if isinstance(api_version, str) and isinstance(kind, str) and "${" not in api_version + kind:
            yield GVK.from_api_version(api_version, kind)


def error_message(err: Exception) -> str:
    """The compile error as written into the `GraphAccepted` condition: every problem, one per clause."""
    return "; ".join(err.lines()) if isinstance(err, PykroError) else str(err)


class GraphCompiler:
    """Compiles RGDs against one cluster. Use from one task at a time (the RGD controller's worker)."""

    def __init__(
        self, client: KubeClient, *, kubernetes_version: str | None = None, enable_omit: bool = False
    ) -> None:
        self.enable_omit = enable_omit  # the CELOmitFunction feature gate
        self.registry = SchemaRegistry(kubernetes_version)
        self.source = ClusterSchemaSource(
            client, kubernetes_version=kubernetes_version
        )  # same fallback release
        self.registry.add_source(self.source)

    def parse(self, obj: Mapping[str, Any]) -> ResourceGraphDefinition:
        return parse_rgd(
            obj, source=f"resourcegraphdefinitions/{(obj.get('metadata') or {}).get('name', '')}"
        )

    async def compile(self, rgd: ResourceGraphDefinition) -> CompiledGraph:
        """Load the schemas `rgd` needs from the cluster, then build its graph (raises `PykroError`)."""
        await self.source.load(referenced_kinds(rgd))
        return build_graph(rgd, self.registry, enable_omit=self.enable_omit)
