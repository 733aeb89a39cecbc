"""Small RGDs compiled with the real graph builder, shared by runtime and controller tests."""

from __future__ import annotations

import functools
from typing import Any

import yaml

from pykro.api.frozen import thaw
from pykro.api.rgd import parse_rgd
from pykro.graph.builder import build_graph
from pykro.graph.model import CompiledGraph
from pykro.schema.registry import SchemaRegistry

WEBAPP = """
apiVersion: kro.run/v1alpha1
kind: ResourceGraphDefinition
metadata: {name: webapp, uid: 11111111-2222-3333-4444-555555555555}
spec:
  schema:
    apiVersion: v1alpha1
    kind: WebApp
    spec:
      token: string | default="t0"
      replicas: integer | default=1
      withConfig: boolean | default=true
      divisor: integer | default=1
    status:
      available: ${deployment.status.availableReplicas}
      secretVersion: ${secret.metadata.resourceVersion}
      configName: ${config.metadata.name}
  resources:
  - id: secret
    template:
      apiVersion: v1
      kind: Secret
      metadata: {name: "${schema.metadata.name}-secret"}
      stringData: {token: "${schema.spec.token}"}
  - id: config
    includeWhen: ["${schema.spec.withConfig}"]
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: "${schema.metadata.name}-config"
        labels: {team: blue}
      data:
        replicas: "${string(schema.spec.replicas)}"
        ratio: "${string(100 / schema.spec.divisor)}"
  - id: deployment
    template:
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: "${schema.metadata.name}"}
      spec:
        replicas: ${schema.spec.replicas}
        selector: {matchLabels: {app: "${schema.metadata.name}"}}
        template:
          metadata:
            labels: {app: "${schema.metadata.name}"}
            annotations: {secret-version: "${secret.metadata.resourceVersion}"}
          spec:
            containers: [{name: app, image: nginx}]
"""

GATED = """
apiVersion: kro.run/v1alpha1
kind: ResourceGraphDefinition
metadata: {name: gated, uid: 99999999-2222-3333-4444-555555555555}
spec:
  schema:
    apiVersion: v1alpha1
    kind: Gated
    spec:
      ready: string | default="no"
      enabled: boolean | default=true
  resources:
  - id: first
    readyWhen: ["${first.data.ready == 'yes'}"]
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.metadata.name}-first"}
      data: {ready: "${schema.spec.ready}"}
  - id: second
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.metadata.name}-second"}
      data: {from: "${first.metadata.name}"}
  - id: optional
    includeWhen: ["${schema.spec.enabled}"]
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.metadata.name}-optional"}
      data: {a: "${schema.metadata.name}"}
  - id: child
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${optional.metadata.name}-child"}
      data: {a: b}
"""


def rgd_doc(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(text)
    return doc


@functools.cache
def _registry() -> SchemaRegistry:
    return SchemaRegistry()


def compile_rgd(text: str, *, after: tuple[CompiledGraph, ...] = ()) -> CompiledGraph:
    """Compile `text`; `after`: graphs whose instance kinds it uses as resources (chained RGDs)."""
    registry = _registry()
    if after:
        registry = SchemaRegistry()
        for graph in after:
            registry.add_crd(thaw(graph.crd))
    return build_graph(parse_rgd(rgd_doc(text)), registry)


def instance(
    graph: CompiledGraph, name: str = "demo", namespace: str = "default", **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": graph.instance_gvk.api_version,
        "kind": graph.instance_gvk.kind,
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}", "generation": 1},
        "spec": spec,
    }


FLEET = """
apiVersion: kro.run/v1alpha1
kind: ResourceGraphDefinition
metadata: {name: fleet}
spec:
  schema:
    apiVersion: v1alpha1
    kind: Fleet
    spec:
      regions: "[]string"
      tiers: "[]string"
    status:
      count: ${size(workers)}
  resources:
  - id: workers
    forEach:
    - region: ${schema.spec.regions}
    - tier: ${schema.spec.tiers}
    readyWhen: ["${each.data.ready == 'yes'}"]
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.metadata.name}-${region}-${tier}"}
      data: {region: "${region}", tier: "${tier}", ready: "yes", owner: "${schema.metadata.name}"}
  - id: summary
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.metadata.name}-summary"}
      data: {names: "${workers.map(w, w.metadata.name).join(',')}"}
"""

TEAMS = """
apiVersion: kro.run/v1alpha1
kind: ResourceGraphDefinition
metadata: {name: teams}
spec:
  schema:
    apiVersion: v1alpha1
    kind: TeamView
    spec:
      team: string
  resources:
  - id: teamConfigs
    externalRef:
      apiVersion: v1
      kind: ConfigMap
      metadata:
        namespace: default
        selector:
          matchExpressions: [{key: team, operator: In, values: ["${schema.spec.team}"]}]
  - id: view
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.metadata.name}-view"}
      data: {teams: "${teamConfigs.map(c, c.metadata.name).join(',')}"}
"""
