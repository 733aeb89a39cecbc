"""Reading an instance's tree from a cluster, for `pykro tree` (see `pykro.cli.tree`).

The instance's RGD is read from the cluster and compiled as the controller compiles it; the instance
is then rendered offline (`pykro.cli.render_plan`, what `pykro render --observed` does) with the
cluster's objects standing for what is observed: the children labelled with the instance's uid and the
external references. So each resource's state (excluded by includeWhen, pending on an expression,
readyWhen false, error) is what the controller itself decides. Children that are kro instances
themselves are expanded the same way.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

from pykro.api.conventions import INSTANCE_ID_LABEL, meta
from pykro.cli.render_plan import ObservedObjects, RenderResult, render_instance
from pykro.cli.tree_model import TreeNode, instance_node, resource_nodes
from pykro.controller.revisions.compiler import GraphCompiler
from pykro.controller.rgd.crds import CRD, owner_of
from pykro.errors import PykroError
from pykro.graph.model import CompiledGraph
from pykro.kube import APIResource, ConnectionFailed, KubeClient, KubeError, NotFound
from pykro.schema.gvk import GVK

RGD = GVK("kro.run", "v1alpha1", "ResourceGraphDefinition")
_MAX_DEPTH = 8  # nested instances expanded; deeper ones are listed without their children
_DEBOUNCE_SECONDS = 0.2  # --watch: a burst of events (one reconcile) is one redraw


class RecordingObserved(ObservedObjects):
    """Remembers the lookups that found nothing: (kind, name, namespace), name "" for a selection."""

    def __init__(self, objects: list[dict[str, Any]]) -> None:
        super().__init__(objects)
        self.asked: list[tuple[str, str, str]] = []

    def find(self, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
        found = super().find(kind, name, namespace)
        if found is None:
            self.asked.append((kind, name, namespace))
        return found

    def select(
        self, kind: str, namespace: str, matches: Callable[[Mapping[str, str] | None], bool]
    ) -> list[dict[str, Any]]:
        self.asked.append((kind, "", namespace))
        return super().select(kind, namespace, matches)


class TreeReader:
    """Reads one instance tree from the cluster; remembers which kinds it read, for `--watch`."""

    def __init__(self, client: KubeClient) -> None:
        self.client = client
        self.compiler = GraphCompiler(client)
        self._graphs: dict[tuple[str, str], CompiledGraph] = {}  # (RGD name, resourceVersion) -> graph
        self.kinds_read: set[GVK] = set()  # instances' and external references' kinds
        self.child_kinds: dict[GVK, set[str]] = {}  # children's kinds -> the instance uids listed

    async def resolve_kind(self, kind: str) -> APIResource:
        """KIND as kubectl takes it: kind, plural, singular or short name, optionally `.group`."""
        await self.client.mapper.refresh()
        hits = self.client.mapper.find(kind)
        if not hits:
            raise PykroError(f'the server doesn\'t have a resource type "{kind}"')
        return hits[0]

    async def rgd_name(self, resource: APIResource) -> str | None:
        """The RGD owning `resource`'s CRD; None if it is not a kro instance kind."""
        if not resource.gvk.group:
            return None
        try:
            crd = await self.client.get(CRD, f"{resource.plural}.{resource.gvk.group}")
        except NotFound:
            return None
        return owner_of(crd) or None

    async def graph(self, rgd_name: str) -> CompiledGraph:
        try:
            rgd = await self.client.get(RGD, rgd_name)
        except NotFound:
            raise PykroError(f'ResourceGraphDefinition "{rgd_name}" not found') from None
        key = (rgd_name, str(meta(rgd).get("resourceVersion") or ""))
        if key not in self._graphs:
            try:
                self._graphs[key] = await self.compiler.compile(self.compiler.parse(rgd))
            except PykroError as err:
                raise PykroError(f"ResourceGraphDefinition {rgd_name!r} does not compile: {err}") from None
        return self._graphs[key]

    async def instance_tree(
        self, resource: APIResource, name: str, namespace: str, depth: int = 0
    ) -> TreeNode:
        self.kinds_read.add(resource.gvk)
        try:
            instance = await self.client.get(resource.gvk, name, namespace=namespace or None)
        except NotFound:
            where = f' in namespace "{namespace}"' if resource.namespaced else ""
            raise PykroError(f'{resource.gvk.kind} "{name}" not found{where}') from None
        rgd_name = await self.rgd_name(resource)
        if rgd_name is None:
            raise PykroError(
                f"{resource.gvk.kind} is not a kro instance kind: "
                "its CustomResourceDefinition is not owned by a ResourceGraphDefinition"
            )
        root = instance_node(instance)
        graph = await self.graph(rgd_name)
        children = await self._children(graph, str(meta(instance).get("uid") or ""))
        result = await self._render(graph, instance, children)
        root.children = resource_nodes(result, children)
        for node in root.children:
            if node.name and depth < _MAX_DEPTH:
                await self._expand(node, depth)
        return root

    async def _expand(self, node: TreeNode, depth: int) -> None:
        """A child that is itself a kro instance gets its own resources below it."""
        try:
            resource = await self.client.resource(GVK.from_api_version(node.api_version, node.kind))
            if await self.rgd_name(resource) is None:
                return
            node.children = (
                await self.instance_tree(resource, node.name, node.namespace, depth + 1)
            ).children
        except PykroError as err:  # shown on the child: the parent's tree is still worth printing
            node.message = node.message or str(err)

    async def _children(self, graph: CompiledGraph, uid: str) -> list[dict[str, Any]]:
        """Every object labelled as a child of the instance `uid`, of the kinds its graph creates."""

        found: list[dict[str, Any]] = []
        for gvk in sorted({n.gvk for n in graph.nodes.values() if not n.type.is_external}, key=str):
            self.child_kinds.setdefault(gvk, set()).add(uid)
            try:
                found += (await self.client.list_all(gvk, label_selector=f"{INSTANCE_ID_LABEL}={uid}")).items
            except NotFound:  # the kind is not served (yet): nothing of it exists
                continue
        return found

    async def _render(
        self, graph: CompiledGraph, instance: Mapping[str, Any], children: list[dict[str, Any]]
    ) -> RenderResult:
        """Render with the cluster as `--observed`; external references are fetched as the render asks
        for them (one may name another), until it asks for nothing new."""

        externals = {n.gvk.kind: n.gvk for n in graph.nodes.values() if n.type.is_external}
        self.kinds_read.update(externals.values())
        observed = list(children)
        asked: set[tuple[str, str, str]] = set()
        while True:
            recording = RecordingObserved(observed)
            result = render_instance(graph, instance, recording, missing_hint="")
            wanted = [a for a in recording.asked if a[0] in externals and a not in asked]
            if not wanted:
                return result
            for kind, name, namespace in wanted:
                asked.add((kind, name, namespace))
                gvk = externals[kind]
                try:
                    if name:
                        observed.append(await self.client.get(gvk, name, namespace=namespace or None))
                    else:  # a collection: every object of the kind in the namespace
                        observed += (await self.client.list_all(gvk, namespace=namespace or None)).items
                except NotFound:
                    continue


# -- printing once, or on every change -------------------------------------------------------------

Emit = Callable[[str], None]


async def read_tree(reader: TreeReader, kind: str, name: str, namespace: str | None) -> TreeNode:
    """The tree of instance KIND/NAME; `namespace` None: the kubeconfig context's."""
    reader.kinds_read.clear()
    reader.child_kinds.clear()
    try:
        resource = await reader.resolve_kind(kind)
    except ConnectionFailed as err:
        raise PykroError(f"cannot reach the cluster at {reader.client.config.server}: {err}") from None
    where = (namespace or reader.client.namespace) if resource.namespaced else ""
    return await reader.instance_tree(resource, name, where)


def watch_selectors(reader: TreeReader) -> dict[GVK, str]:
    """What to watch for the last tree read: each kind, with a label selector when only children
    of known instances matter ("" watches every object of the kind)."""
    keys = {gvk: "" for gvk in reader.kinds_read}
    for gvk, uids in reader.child_kinds.items():
        if gvk not in keys:
            keys[gvk] = f"{INSTANCE_ID_LABEL} in ({','.join(sorted(uids))})"
    return keys


async def _watch_kind(client: KubeClient, gvk: GVK, selector: str, changed: asyncio.Event) -> None:
    """Set `changed` on every event of `gvk`; the stream is reopened when the server ends it."""
    while True:
        try:
            async for _ in client.watch(gvk, label_selector=selector or None, metadata_only=True):
                changed.set()
        except NotFound:  # the kind went away; the next read of the tree says so
            return
        except KubeError:
            await asyncio.sleep(1.0)  # a dropped connection: reopen, without hammering the server
        changed.set()  # anything may have changed while the stream was closed


class Watches:
    """One watch per (kind, selector), started and stopped as the tree's kinds change."""

    def __init__(self, client: KubeClient) -> None:
        self.client = client
        self.changed = asyncio.Event()
        self._tasks: dict[tuple[GVK, str], asyncio.Task[None]] = {}

    def follow(self, selectors: Mapping[GVK, str]) -> None:
        wanted = set(selectors.items())
        for key in set(self._tasks) - wanted:
            self._tasks.pop(key).cancel()
        for gvk, selector in wanted - set(self._tasks):
            self._tasks[(gvk, selector)] = asyncio.create_task(
                _watch_kind(self.client, gvk, selector, self.changed)
            )

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()


async def watch_tree(
    reader: TreeReader,
    args: tuple[str, str, str | None],
    emit: Emit,
    format_tree: Callable[[TreeNode], str],
    stop: asyncio.Event,
) -> None:
    """Print the tree, then again whenever a watched object changes it, until `stop` is set. Errors
    after the first tree (the instance deleted, say) are printed and watching goes on."""
    watches = Watches(reader.client)
    shown = ""  # the last tree printed, as JSON: ages alone changing is no reason to redraw
    stopping = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set():
            watches.changed.clear()
            try:
                root = await read_tree(reader, *args)
                state, text = json.dumps(root.to_json()), format_tree(root)
            except PykroError as err:
                if not shown:
                    raise
                state = text = "".join(f"error: {line}\n" for line in err.lines())
            if state != shown:
                emit(text)
                shown = state
            watches.follow(watch_selectors(reader))
            changing = asyncio.create_task(watches.changed.wait())
            await asyncio.wait({changing, stopping}, return_when=asyncio.FIRST_COMPLETED)
            changing.cancel()
            await asyncio.sleep(_DEBOUNCE_SECONDS)  # one redraw for a burst of events
    finally:
        stopping.cancel()
        await watches.close()
