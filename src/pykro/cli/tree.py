"""`pykro tree KIND/NAME [-n NS] [--watch] [-o wide|json]`: an instance's resources, against any cluster.

Reads the instance, its ResourceGraphDefinition and the objects labelled with the instance's uid;
compiles the RGD as `pykro validate` does (kinds from the cluster's CRDs) and resolves it against
the live objects with the controller's runtime (`render_plan`), so each resource's state (ready,
waiting and on what, excluded by includeWhen, pending on which expression, error) is the one the
controller computes. Child instances of other RGDs expand in place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from pykro.api.conventions import INSTANCE_ID_LABEL, NODE_ID_LABEL, OWNED_LABEL, RGD_NAME_LABEL, meta
from pykro.cli.compile_files import compile_documents
from pykro.cli.render_plan import ObservedObjects, render_instance
from pykro.cli.tree_view import ERROR, Row, instance_rows, render_json, render_text
from pykro.errors import Problem, PykroError
from pykro.kube import KubeClient, NotFound
from pykro.schema.gvk import GVK

RGD = GVK("kro.run", "v1alpha1", "ResourceGraphDefinition")
CRD = GVK("apiextensions.k8s.io", "v1", "CustomResourceDefinition")
MAX_DEPTH = 5  # nested instances expand this deep
Obj = dict[str, Any]


class _ClusterObjects(ObservedObjects):
    """The live objects, and a note of every external reference looked up and not among them, so
    the caller can fetch those and resolve again."""

    def __init__(self, objects: list[Obj]) -> None:
        super().__init__(objects)
        self.missing: set[tuple[str, str, str]] = set()
        self.selected: set[tuple[str, str]] = set()

    def find(self, kind: str, name: str, namespace: str) -> Obj | None:
        found = super().find(kind, name, namespace)
        if found is None:
            self.missing.add((kind, name, namespace))
        return found

    def select(self, kind: str, namespace: str, matches: Any) -> list[Obj]:
        self.selected.add((kind, namespace))
        return super().select(kind, namespace, matches)


class TreeReader:
    def __init__(self, client: KubeClient) -> None:
        self.client = client
        self._crds: list[Obj] | None = None
        self.kinds: set[GVK] = set()  # every kind shown: what --watch watches

    async def crds(self) -> list[Obj]:
        if self._crds is None:
            self._crds = (await self.client.list_all(CRD)).items
        return self._crds

    async def resolve(self, kind: str) -> tuple[GVK, bool]:
        """KIND as kubectl takes it (kind, plural, singular or short name, optionally `.group`)."""
        found = self.client.mapper.find(kind)
        if not found:
            await self.client.mapper.refresh()
            found = self.client.mapper.find(kind)
        if not found:
            raise PykroError(f'the server doesn\'t have a resource type "{kind}"')
        return found[0].gvk, found[0].namespaced

    async def read(self, kind: str, name: str, namespace: str) -> Row:
        gvk, namespaced = await self.resolve(kind)
        try:
            instance = await self.client.get(gvk, name, namespace=namespace if namespaced else None)
        except NotFound:
            where = f' in namespace "{namespace}"' if namespaced else ""
            raise PykroError(f'{gvk.kind} "{name}" not found{where}') from None
        if not (meta(instance).get("labels") or {}).get(RGD_NAME_LABEL):
            raise PykroError(
                f"{gvk.kind}/{name} is not an instance of a ResourceGraphDefinition "
                f"(no {RGD_NAME_LABEL} label)"
            )
        self.kinds.add(gvk)
        return await self._instance(instance, gvk, 0)

    async def _instance(self, instance: Obj, gvk: GVK, depth: int) -> Row:
        rgd_name = str((meta(instance).get("labels") or {}).get(RGD_NAME_LABEL) or "")
        try:
            rgd = await self.client.get(RGD, rgd_name)
        except NotFound:
            return _error_row(instance, f"its ResourceGraphDefinition {rgd_name} does not exist")
        documents: list[tuple[str, Any]] = [("cluster", c) for c in await self.crds()]
        documents.append((f"ResourceGraphDefinition {rgd_name}", rgd))
        entry = next(
            (e for e in compile_documents(documents) if e.graph is not None and e.graph.instance_gvk == gvk),
            None,
        )
        if entry is None or entry.graph is None:
            return _error_row(instance, f"ResourceGraphDefinition {rgd_name} does not compile for {gvk.kind}")
        graph = entry.graph
        uid = str(meta(instance).get("uid") or "")
        live: dict[str, list[Obj]] = {}
        children: list[Obj] = []
        for node_gvk in {n.gvk for n in graph.nodes.values() if not n.is_external}:
            self.kinds.add(node_gvk)
            listed = await self.client.list_all(node_gvk, label_selector=f"{INSTANCE_ID_LABEL}={uid}")
            for obj in listed.items:
                children.append(obj)
                live.setdefault(str((meta(obj).get("labels") or {}).get(NODE_ID_LABEL) or ""), []).append(obj)
        observed = _ClusterObjects(children)
        result = render_instance(graph, instance, observed)
        for _ in range(3):  # external references: fetch what was looked up, resolve again
            fetched = await self._externals(graph, observed)
            if not fetched:
                break
            observed = _ClusterObjects(children + fetched)
            result = render_instance(graph, instance, observed)
        nested: dict[str, Row] = {}
        if depth < MAX_DEPTH:
            owned = await self._instance_kinds()
            for obj in children:
                child_gvk = GVK.from_api_version(str(obj.get("apiVersion") or ""), str(obj.get("kind") or ""))
                if child_gvk in owned:
                    nested[str(meta(obj).get("uid") or "")] = await self._instance(obj, child_gvk, depth + 1)
        return instance_rows(graph, instance, result, live, nested)

    async def _externals(self, graph: Any, observed: _ClusterObjects) -> list[Obj]:
        by_kind = {n.gvk.kind: n.gvk for n in graph.nodes.values() if n.is_external}
        fetched: list[Obj] = []
        for kind, name, namespace in observed.missing:
            gvk = by_kind.get(kind)
            if gvk is None:
                continue
            self.kinds.add(gvk)
            try:
                fetched.append(await self.client.get(gvk, name, namespace=namespace or None))
            except NotFound:
                continue
        for kind, namespace in observed.selected:
            gvk = by_kind.get(kind)
            if gvk is not None:
                self.kinds.add(gvk)
                fetched += (await self.client.list_all(gvk, namespace=namespace or None)).items
        return fetched

    async def _instance_kinds(self) -> set[GVK]:
        """Kinds served by kro-owned CRDs: objects of these kinds are instances themselves."""
        out: set[GVK] = set()
        for crd in await self.crds():
            if (meta(crd).get("labels") or {}).get(OWNED_LABEL) != "true":
                continue
            spec = crd.get("spec") or {}
            for version in spec.get("versions") or ():
                out.add(
                    GVK(str(spec.get("group") or ""), str(version.get("name")), str(spec["names"]["kind"]))
                )
        return out


def _error_row(instance: Mapping[str, Any], message: str) -> Row:
    m = meta(instance)
    return Row(
        str(instance.get("kind")),
        str(instance.get("apiVersion")),
        str(m.get("name")),
        str(m.get("namespace") or ""),
        ERROR,
        message,
    )


def _format(row: Row, output: str) -> str:
    return render_json(row) if output == "json" else render_text(row, wide=output == "wide")


async def _show(config: Any, target: str, namespace: str, output: str, watch: bool) -> None:
    kind, sep, name = target.partition("/")
    if not sep or not kind or not name:
        raise PykroError(f"{target!r}: want KIND/NAME, e.g. configrollout/demo")
    async with KubeClient(config) as client:
        reader = TreeReader(client)
        tree = await reader.read(kind, name, namespace)
        click.echo(_format(tree, output))
        if watch:
            from pykro.cli.run import until_signalled

            await until_signalled(
                lambda stop: _redraw(client, reader, tree, (kind, name, namespace), output, stop)
            )


async def _redraw(
    client: KubeClient,
    reader: TreeReader,
    tree: Row,
    target: tuple[str, str, str],
    output: str,
    stop: asyncio.Event,
) -> None:
    """Print the tree again whenever what it shows changes (not merely its ages), until `stop`."""
    shown = render_json(tree)
    changed = asyncio.Event()
    watchers = [asyncio.create_task(_watch(client, gvk, changed)) for gvk in sorted(reader.kinds, key=str)]
    try:
        while not stop.is_set():
            waiter = asyncio.create_task(changed.wait())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
            if stop.is_set():
                break
            await asyncio.sleep(0.2)  # a burst of events makes one redraw
            changed.clear()
            fresh = await TreeReader(client).read(*target)
            if render_json(fresh) != shown:
                shown = render_json(fresh)
                click.echo("")
                click.echo(_format(fresh, output))
    finally:
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)


async def _watch(client: KubeClient, gvk: GVK, changed: asyncio.Event) -> None:
    """Set `changed` on every event of `gvk` (kro's objects only, when the kind is not an instance kind)."""
    while True:
        try:
            listed = await client.list(gvk, limit=1)
            async for _ in client.watch(gvk, resource_version=listed.resource_version, timeout_seconds=300):
                changed.set()
        except asyncio.CancelledError:
            raise
        except Exception:  # the watch ended or failed: start again shortly
            await asyncio.sleep(1.0)


@click.command("tree")
@click.argument("target", metavar="KIND/NAME")
@click.option("-n", "--namespace", default=None, help="The instance's namespace (default: the context's).")
@click.option(
    "-o",
    "--output",
    type=click.Choice(["text", "wide", "json"]),
    default="text",
    show_default=True,
    help="wide: more columns and whole messages; json: the tree as one JSON document.",
)
@click.option("-w", "--watch", is_flag=True, help="Print the tree again whenever it changes, until Ctrl-C.")
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).",
)
@click.option("--context", default=None, help="Kubeconfig context (default: its current-context).")
def command(
    target: str, namespace: str | None, output: str, watch: bool, kubeconfig: Path | None, context: str | None
) -> None:
    """Show an instance's resources as a tree in dependency order, with each one's state."""
    from pykro.cli.run import client_config

    if kubeconfig is not None and not kubeconfig.is_file():
        raise PykroError(
            "--kubeconfig: file not found", (Problem("--kubeconfig", "file not found", str(kubeconfig)),)
        )
    config = client_config(kubeconfig, context, 50.0, 100)
    asyncio.run(_show(config, target, namespace or config.namespace, output, watch))
