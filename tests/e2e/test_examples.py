"""Every upstream kro example (../shared/kro/examples) on pykro: its RGDs turn Active, its sample
instance reaches ACTIVE and settles, and what it created is what the RGD describes.

One case per example folder (a folder's RGDs may compose each other: saas-multi-tenant's Tenant
creates a TenantEnvironment and a TenantApplication). One embedded API server (with simulated
workloads) and one controller serve the whole module. Each case deletes its instances (checking that
everything they created goes with them) and then its RGDs and their CRDs, because two examples define
the same RGD and kind (`somethings.kro.run` / `Something`).

What is checked, generically from the example files:
- every RGD is `Active` with its root `Ready` condition True;
- every instance of the folder's kinds (the samples and the ones they create) is `ACTIVE` with `Ready`
  True, and then goes quiet: nothing it owns is written for a few requeue intervals (except the examples
  in NEVER_SETTLES, which must keep being rewritten: the reason is recorded there);
- each node of the RGD's `topologicalOrder` has exactly one object labelled `kro.run/node-id=<id>`,
  of the template's kind, carrying every literal value of the template (none if includeWhen is false for
  it or for something it depends on), and the RGD's `status.resources` lists the dependencies its
  expressions name;
- turning each includeWhen flag off prunes what it guards, and turning it on brings it back;
- status fields that are a plain reference (`${deployment.status.availableReplicas}`) equal the child's
  value, or are absent while the child has none;
- SimpleSchema `default=` values are on the instance wherever the sample left the field out;
- `kubectl get` shows the RGD's additionalPrinterColumns with the instance's values;
- deleting the samples removes every instance and everything they created.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml

from pykro.apiserver import EmbeddedAPIServer
from pykro.controller.manager import ManagerOptions, start_controller
from pykro.kube import KubeClient, NotFound, load_kubeconfig
from pykro.schema.gvk import GVK
from tests.controller.rgd.helpers import wait_for
from tests.paths import KRO_EXAMPLES

RGD = GVK("kro.run", "v1alpha1", "ResourceGraphDefinition")
NAMESPACE = GVK("", "v1", "Namespace")
NODE_ID = "kro.run/node-id"
INSTANCE_ID = "kro.run/instance-id"
REQUEUE = 0.5  # the controller's requeue interval in this module
Doc = dict[str, Any]

pytestmark = pytest.mark.skipif(
    not KRO_EXAMPLES.is_dir(), reason=f"upstream kro examples not found at {KRO_EXAMPLES}"
)

# Examples that cannot reach ACTIVE on pykro, by folder, with the missing feature (none at present).
XFAIL: dict[str, str] = {}
# Examples that reach ACTIVE but whose children are rewritten forever, on any cluster, by folder.
NEVER_SETTLES: dict[str, str] = {
    "core-dns": "the Deployment's annotations come from a SimpleSchema default whose JSON value for "
    "deployment.kubernetes.io/revision is '\"1\"' (quotes included); the Deployment controller "
    "owns that annotation and sets it to '1', and every reconcile force-applies '\"1\"' back",
}


@dataclass(frozen=True)
class Example:
    """One example folder: its RGDs (in file order) and the sample instances of their kinds."""

    folder: Path
    rgds: tuple[Doc, ...]
    instances: tuple[Doc, ...]

    @property
    def name(self) -> str:
        return self.folder.relative_to(KRO_EXAMPLES).as_posix()


def yaml_docs(path: Path) -> list[Doc]:
    return [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]


def discover() -> list[Example]:
    """Every folder under KRO_EXAMPLES holding an RGD file, with all its RGDs and instances."""
    if not KRO_EXAMPLES.is_dir():
        return []
    folders = sorted(
        {
            f.parent
            for f in KRO_EXAMPLES.rglob("*.yaml")
            if any(d.get("kind") == "ResourceGraphDefinition" for d in yaml_docs(f))
        }
    )
    out = []
    for folder in folders:
        docs = [d for f in sorted(folder.glob("*.yaml")) for d in yaml_docs(f)]
        rgds = tuple(d for d in docs if d.get("kind") == "ResourceGraphDefinition")
        kinds = {r["spec"]["schema"]["kind"] for r in rgds}
        out.append(Example(folder, rgds, tuple(d for d in docs if d.get("kind") in kinds)))
    return out


def params() -> list[Any]:
    return [
        pytest.param(
            ex,
            id=ex.name,
            marks=[pytest.mark.xfail(strict=True, reason=XFAIL[ex.name])] if ex.name in XFAIL else [],
        )
        for ex in discover()
    ]


@dataclass
class Cluster:
    client: KubeClient
    kubeconfig: Path

    async def kubectl(self, *args: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            "kubectl",
            *args,
            env={**os.environ, "KUBECONFIG": str(self.kubeconfig)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        assert proc.returncode == 0, f"kubectl {' '.join(args)}: {out.decode()}"
        return out.decode()

    async def get(self, gvk: GVK, name: str, namespace: str | None = None) -> Doc:
        return await self.client.get(gvk, name, namespace=namespace)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster() -> AsyncIterator[Cluster]:
    options = ManagerOptions(requeue_interval=REQUEUE, allow_crd_deletion=True, workers=8)
    async with EmbeddedAPIServer(workloads=True) as server:
        async with start_controller(server.kubeconfig_path, options):
            async with KubeClient(load_kubeconfig(server.kubeconfig_path)) as client:
                yield Cluster(client, Path(server.kubeconfig_path))


# --- small helpers over plain objects ---------------------------------------------------------------

_MISSING = object()
SIMPLE_REF = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*|\[\d+\])*")


def status(obj: Doc) -> Doc:
    return dict(obj.get("status") or {})


def gvk_of(obj: Doc) -> GVK:
    return GVK.from_api_version(obj["apiVersion"], obj["kind"])


def instance_gvk(rgd: Doc) -> GVK:
    schema = rgd["spec"]["schema"]
    return GVK(schema.get("group") or "kro.run", schema["apiVersion"], schema["kind"])


def namespace_of(obj: Doc) -> str | None:
    ns = obj["metadata"].get("namespace")
    return str(ns) if ns else None


def lookup(obj: Any, path: str) -> Any:
    """`a.b[0].c` in `obj`; `_MISSING` where the path leads nowhere."""
    for name, index in re.findall(r"([A-Za-z_]\w*)|\[(\d+)\]", path):
        if name and isinstance(obj, dict) and name in obj:
            obj = obj[name]
        elif index and isinstance(obj, list) and int(index) < len(obj):
            obj = obj[int(index)]
        else:
            return _MISSING
    return obj


def settled(obj: Doc, state: str, *, settle: bool) -> bool:
    """`status.state` is `state` and (with `settle`) the root Ready condition is True for the current
    generation: a reconcile that changed something reports ACTIVE with Ready=False, not settled yet."""
    ready = [c for c in status(obj).get("conditions") or [] if c.get("type") == "Ready"]
    return status(obj).get("state") == state and (
        not settle
        or (
            len(ready) == 1
            and ready[0].get("status") == "True"
            and ready[0].get("observedGeneration") == obj["metadata"].get("generation")
        )
    )


# --- talking to the cluster --------------------------------------------------------------------------


async def wait_state(
    c: Cluster,
    gvk: GVK,
    name: str,
    namespace: str | None,
    want: str,
    *,
    timeout: float,
    describe: Callable[[], Awaitable[str]],
    settle: bool = True,
) -> Doc:
    """Poll until the object is `settled` in state `want`; on timeout fail with `describe()`'s report."""

    async def reached() -> Doc | None:
        obj = await c.get(gvk, name, namespace)
        return obj if settled(obj, want, settle=settle) else None

    try:
        return await wait_for(reached, timeout=timeout, what=f"{gvk.kind} {namespace or ''}/{name} {want}")
    except AssertionError as err:
        raise AssertionError(f"{err}\n{await describe()}") from None


async def wait_gone(c: Cluster, gvk: GVK, name: str, namespace: str | None) -> None:
    async def gone() -> bool:
        try:
            await c.get(gvk, name, namespace)
        except NotFound:
            return True
        return False

    await wait_for(gone, timeout=15, what=f"{gvk.kind} {name} to be deleted")


async def ensure_namespace(c: Cluster, name: str) -> None:
    """What a user does before `kubectl apply -n <ns>` into a namespace that does not exist."""
    try:
        await c.get(NAMESPACE, name)
    except NotFound:
        await c.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


async def children(c: Cluster, rgd: Doc, instance: Doc) -> dict[str, list[Doc]]:
    """The instance's child objects by node id, found through kro's labels, for every kind in the RGD."""
    found: dict[str, list[Doc]] = {}
    for gvk in {gvk_of(r["template"]) for r in rgd["spec"]["resources"] if "template" in r}:
        page = await c.client.list(gvk, label_selector=f"{INSTANCE_ID}={instance['metadata']['uid']}")
        for item in page.items:
            if node := (item["metadata"].get("labels") or {}).get(NODE_ID):
                found.setdefault(node, []).append({**item, "apiVersion": gvk.api_version, "kind": gvk.kind})
    return found


async def report(c: Cluster, rgd: Doc, gvk: GVK, name: str, namespace: str | None) -> str:
    """The instance status and the state of each child: what to read when a case fails."""
    try:
        inst = await c.get(gvk, name, namespace)
    except NotFound:
        return f"instance {name} not found"
    lines = [f"instance status:\n{yaml.safe_dump(status(inst), sort_keys=False)}"]
    kids = await children(c, rgd, inst)
    for r in rgd["spec"]["resources"]:
        for obj in kids.get(r["id"], []):
            lines.append(
                f"child {r['id']} {obj['kind']} {namespace_of(obj) or ''}/{obj['metadata']['name']}: "
                f"status={status(obj)}"
            )
        if r["id"] not in kids:
            lines.append(f"child {r['id']}: not created")
    return "\n".join(lines)


async def rgd_report(c: Cluster, name: str) -> str:
    return f"RGD {name} status:\n{yaml.safe_dump(status(await c.get(RGD, name)), sort_keys=False)}"


async def apply_rgds(c: Cluster, ex: Example) -> dict[str, Doc]:
    """Create all of the folder's RGDs, then wait for each to be Active; the live RGDs by name. RGDs that
    use another RGD's kind go first, so the controller must wait for that kind to be served."""
    kinds = {r["spec"]["schema"]["kind"] for r in ex.rgds}

    def uses(rgd: Doc) -> int:
        return sum(1 for r in rgd["spec"]["resources"] if (r.get("template") or {}).get("kind") in kinds)

    for rgd in sorted(ex.rgds, key=uses, reverse=True):
        await c.client.create(rgd)
    served: dict[str, Doc] = {}
    for rgd in ex.rgds:
        name = rgd["metadata"]["name"]
        served[name] = await wait_state(
            c, RGD, name, None, "Active", timeout=10, describe=partial(rgd_report, c, name)
        )
    return served


async def wait_instances(c: Cluster, ex: Example, *, settle: bool) -> list[tuple[Doc, Doc]]:
    """Wait for the sample instances, and every instance of the folder's kinds they lead to (RGDs that
    compose each other create instances of one another), to be ACTIVE; `(rgd, live instance)` for each."""
    by_kind = {r["spec"]["schema"]["kind"]: r for r in ex.rgds}
    pending = [
        (by_kind[i["kind"]], i["metadata"]["name"], i["metadata"].get("namespace", "default"))
        for i in ex.instances
    ]
    done: dict[tuple[str, str, str | None], tuple[Doc, Doc]] = {}
    while pending:
        for rgd, name, ns in pending:
            gvk = instance_gvk(rgd)
            live = await wait_state(
                c,
                gvk,
                name,
                ns,
                "ACTIVE",
                settle=settle,
                timeout=20,
                describe=partial(report, c, rgd, gvk, name, ns),
            )
            done[(gvk.kind, name, ns)] = (rgd, live)
        # an ACTIVE instance's children exist, so instances it creates are listed now
        pending = [
            (rgd, obj["metadata"]["name"], namespace_of(obj))
            for rgd in ex.rgds
            for obj in (await c.client.list(instance_gvk(rgd))).items
            if (obj["kind"], obj["metadata"]["name"], namespace_of(obj)) not in done
        ]
    return list(done.values())


async def resource_versions(c: Cluster, instances: list[tuple[Doc, Doc]]) -> list[dict[str, list[str]]]:
    return [
        {
            node: sorted(o["metadata"]["resourceVersion"] for o in objs)
            for node, objs in (await children(c, rgd, live)).items()
        }
        for rgd, live in instances
    ]


async def quiet_window(
    c: Cluster, instances: list[tuple[Doc, Doc]], *, window: float, timeout: float
) -> bool:
    """Whether, within `timeout`, nothing the instances own is written for `window` seconds (several
    requeue intervals: a settled instance rewrites nothing on its resyncs)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last, since = await resource_versions(c, instances), loop.time()
    while loop.time() < deadline:
        await asyncio.sleep(0.1)
        now = await resource_versions(c, instances)
        if now != last:
            last, since = now, loop.time()
        elif loop.time() - since >= window:
            return True
    return False


async def delete_instances(c: Cluster, ex: Example) -> None:
    """Delete the sample instances, as a user would, and wait until they and all they created are gone."""
    made = [(rgd, live) for rgd in ex.rgds for live in (await c.client.list(instance_gvk(rgd))).items]
    for inst in ex.instances:
        await c.client.delete(
            gvk_of(inst), inst["metadata"]["name"], namespace=inst["metadata"].get("namespace", "default")
        )
    for rgd, live in made:
        await wait_gone(c, gvk_of(live), live["metadata"]["name"], namespace_of(live))
        left = await children(c, rgd, live)
        assert not left, f"{live['kind']} {live['metadata']['name']} is gone but left {sorted(left)} behind"


async def cleanup(c: Cluster, ex: Example) -> None:
    """Delete whatever is left of the samples (their children go with them), then the RGDs and so,
    with allow_crd_deletion, their CRDs: the next case may define the same kind."""
    for inst in ex.instances:
        ns = inst["metadata"].get("namespace", "default")
        try:
            await c.client.delete(gvk_of(inst), inst["metadata"]["name"], namespace=ns)
        except NotFound:
            continue
        await wait_gone(c, gvk_of(inst), inst["metadata"]["name"], ns)
    for rgd in ex.rgds:
        try:
            await c.client.delete(RGD, rgd["metadata"]["name"])
        except NotFound:
            continue
    for rgd in ex.rgds:
        await wait_gone(c, RGD, rgd["metadata"]["name"], None)


# --- what the children, status and defaults must look like -------------------------------------------


def literal_mismatches(template: Any, live: Any, path: str = "") -> list[str]:
    """Where `live` lacks or differs from a literal value of `template` (expressions are skipped)."""
    if isinstance(template, str) and "${" in template:
        return []
    if isinstance(template, dict):
        if not isinstance(live, dict):
            return [f"{path}: expected an object, found {live!r}"]
        return [
            m
            for k, v in template.items()
            if "${" not in k and v is not None
            for m in (
                literal_mismatches(v, live[k], f"{path}.{k}") if k in live else [f"{path}.{k}: missing"]
            )
        ]
    if isinstance(template, list):
        if not isinstance(live, list) or len(live) != len(template):
            return [f"{path}: expected {len(template)} items, found {live!r}"]
        return [
            m
            for i, (t, v) in enumerate(zip(template, live, strict=True))
            for m in literal_mismatches(t, v, f"{path}[{i}]")
        ]
    return [] if template == live else [f"{path}: template has {template!r}, live object has {live!r}"]


def strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


def dependencies(rgd: Doc) -> dict[str, set[str]]:
    """Which other resources each resource's template and includeWhen expressions name (`${service.x}`)."""
    ids = {r["id"] for r in rgd["spec"]["resources"]}
    out: dict[str, set[str]] = {}
    for r in rgd["spec"]["resources"]:
        texts = strings([r.get("template"), r.get("includeWhen")])
        exprs = [e for text in texts for e in re.findall(r"\$\{(.*?)\}", text)]
        out[r["id"]] = {
            name
            for e in exprs
            for name in re.findall(r"(?<![\w.'\"])([A-Za-z_]\w*)\.", e)
            if name in ids and name != r["id"]
        }
    return out


def excluded_nodes(rgd: Doc, instance: Doc) -> set[str]:
    """Resources whose includeWhen (plain `${schema.spec.a.b}` references) is false for this instance, and,
    as kro leaves out whatever depends on a left-out resource, everything depending on them."""
    out: set[str] = set()
    for r in rgd["spec"]["resources"]:
        for cond in r.get("includeWhen") or []:
            expr = cond.strip().removeprefix("${").removesuffix("}")
            assert SIMPLE_REF.fullmatch(expr), f"includeWhen {cond!r} is not a plain field reference"
            if not lookup(instance, expr.removeprefix("schema.")):
                out.add(r["id"])
    deps = dependencies(rgd)
    while grown := {node for node, needs in deps.items() if needs & out} - out:
        out |= grown
    return out


def assert_children_match(rgd: Doc, served: Doc, instance: Doc, kids: dict[str, list[Doc]]) -> None:
    """The RGD's status lists the dependencies its expressions name. Each node in its topological order
    has one object of its template's kind carrying every literal (expression-free) value of the template,
    unless includeWhen left it (or something it depends on) out: then it has none."""
    resources = {r["id"]: r for r in rgd["spec"]["resources"]}
    order = status(served).get("topologicalOrder") or []
    assert sorted(order) == sorted(resources), f"topologicalOrder {order} does not cover {sorted(resources)}"
    listed = {
        e["id"]: {d["id"] for d in e.get("dependencies") or []} for e in status(served).get("resources") or []
    }
    assert listed == {node: needs for node, needs in dependencies(rgd).items() if needs}
    skipped = excluded_nodes(rgd, instance)
    for node in order:
        template = resources[node]["template"]
        objs = kids.get(node, [])
        if node in skipped:
            assert not objs, f"{node} is excluded by includeWhen but exists: {objs}"
            continue
        assert len(objs) == 1, f"{node}: expected one object, found {len(objs)}"
        assert (objs[0]["apiVersion"], objs[0]["kind"]) == (template["apiVersion"], template["kind"])
        assert not literal_mismatches(template, objs[0]), f"{node}: {literal_mismatches(template, objs[0])}"


async def toggle_include_when(c: Cluster, rgd: Doc, served: Doc, instance: Doc) -> None:
    """Turn each plain includeWhen flag of the instance off in turn and check that the resources it guards
    (and whatever depends on them) are pruned; turn it back on and check they return."""
    flags = sorted(
        {
            cond.strip().removeprefix("${schema.").removesuffix("}")
            for r in rgd["spec"]["resources"]
            for cond in r.get("includeWhen") or []
        }
    )
    gvk, name, ns = gvk_of(instance), instance["metadata"]["name"], namespace_of(instance)
    for flag in flags:
        for value in (False, True):
            patch: Doc = {}
            *parents, leaf = flag.split(".")
            node = patch
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
            await c.client.patch(gvk, name, patch, namespace=ns)
            live = await wait_state(
                c, gvk, name, ns, "ACTIVE", timeout=20, describe=partial(report, c, rgd, gvk, name, ns)
            )
            assert bool(excluded_nodes(rgd, live)) != value, f"{flag} = {value}: {excluded_nodes(rgd, live)}"
            assert_children_match(rgd, served, live, await children(c, rgd, live))


def assert_status_projections(rgd: Doc, instance: Doc, kids: dict[str, list[Doc]]) -> None:
    """Status fields that are one plain reference to a child (`${deployment.status.availableReplicas}`)
    carry the child's value, and are absent while the child has none (an ingress without a hostname)."""
    for field, expr in (rgd["spec"]["schema"].get("status") or {}).items():
        inner = expr.strip().removeprefix("${").removesuffix("}") if isinstance(expr, str) else ""
        if not SIMPLE_REF.fullmatch(inner):
            continue
        node, _, path = inner.partition(".")
        objs = kids.get(node, [])
        want = lookup(objs[0], path) if len(objs) == 1 else _MISSING
        got = status(instance).get(field, _MISSING)
        assert got == want, f"status.{field} ({expr}): instance has {got!r}, {node} has {want!r}"


def simpleschema_defaults(spec: Doc, prefix: str = "") -> dict[str, Any]:
    """`path -> default` for every SimpleSchema field of `spec` with a `default=` marker."""
    out: dict[str, Any] = {}
    for name, value in spec.items():
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict):
            out.update(simpleschema_defaults(value, path))
        elif isinstance(value, str) and (m := re.search(r"\|.*?\bdefault=", value)):
            out[path] = parse_default(value.split("|", 1)[0].strip(), value[m.end() :].strip())
    return out


def parse_default(type_name: str, text: str) -> Any:
    """A marker's value: JSON if it is JSON, else the bare word; string fields keep the text."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = json.JSONDecoder().raw_decode(text)[0] if text[:1] in '{["' else text.split()[0]
    return str(value) if type_name == "string" and not isinstance(value, str) else value


def assert_defaults_applied(rgd: Doc, sample: Doc, live: Doc) -> None:
    """Every field the sample instance leaves out but the RGD gives a default has that default, wherever
    its parent object exists (structural defaulting, as the Kubernetes API server does it)."""
    for path, default in simpleschema_defaults(rgd["spec"]["schema"].get("spec") or {}).items():
        parent = path.rpartition(".")[0]
        if lookup(sample["spec"], path) is not _MISSING or (
            parent and lookup(live["spec"], parent) is _MISSING
        ):
            continue
        got = lookup(live["spec"], path)
        assert got == default, f"spec.{path}: default {default!r} not applied, found {got!r}: {live['spec']}"


async def assert_printer_columns(c: Cluster, rgd: Doc, instance: Doc) -> None:
    """`kubectl get` shows the RGD's additionalPrinterColumns with the instance's values."""
    columns = rgd["spec"]["schema"].get("additionalPrinterColumns") or []
    if not columns or shutil.which("kubectl") is None:
        return
    table = await c.kubectl(
        "get",
        f"{instance['kind'].lower()}.{gvk_of(instance).group}",
        instance["metadata"]["name"],
        "-n",
        namespace_of(instance) or "default",
    )
    header, row = (re.split(r"\s{2,}", line.strip()) for line in table.splitlines()[:2])
    cells = dict(zip(header, row, strict=True))
    for col in columns:
        value = lookup(instance, col["jsonPath"].lstrip("."))
        want = (
            "<none>" if value is _MISSING else str(value).lower() if isinstance(value, bool) else str(value)
        )
        assert cells.get(col["name"].upper()) == want, f"column {col['name']!r}: want {want!r} in\n{table}"


def fnv64a(data: bytes) -> bytes:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h.to_bytes(8, "big")


def check_cel_functions(instance: Doc, kids: dict[str, list[Doc]]) -> None:
    """The cel-functions example's values, worked out here in Python from the instance spec."""
    spec = instance["spec"]
    dns, name = spec["fullDNSName"], spec["name"]
    parts = dns.split(".")
    container = kids["deployment"][0]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env == {
        "FULL_DNS_NAME": dns,
        "DNS_FIRST_PART": parts[0],
        "DNS_PARTIALS": ".".join(parts[:1]),
        "RANDOM_SEEDED_STRING": env["RANDOM_SEEDED_STRING"],
        "LISTS_SUM": str(100 + 200 + 300),
        "JSON_UNMARSHAL_EXAMPLE": "exampleJSONValue",
        "JSON_MARSHAL_EXAMPLE": json.dumps({"name": name}, separators=(",", ":")),
        "QUANTITY_COMPARISON": "small",  # 500Mi < 1Gi
        "HASH_FNV64A_BASE64": base64.b64encode(fnv64a(name.encode())).decode(),
        "HASH_SHA256_BASE64": base64.b64encode(hashlib.sha256(name.encode()).digest()).decode(),
    }
    assert re.fullmatch(r"[a-z0-9]{10}", env["RANDOM_SEEDED_STRING"]), env["RANDOM_SEEDED_STRING"]
    labels = kids["service"][0]["metadata"]["labels"]
    assert (labels["dns"], labels["first_part"]) == (dns, parts[0])
    assert labels["partials"] == (".".join(parts[:3]) if len(parts) > 2 else dns)
    deployment = kids["deployment"][0]
    assert status(instance)["availableReplicas"] == deployment["status"]["availableReplicas"] * 10


# Checks of what one example's expressions compute, beyond the generic ones, by folder.
EXTRA_CHECKS: dict[str, Callable[[Doc, dict[str, list[Doc]]], None]] = {"cel-functions": check_cel_functions}


# --- the test ----------------------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="module")  # the module's cluster lives on the module's loop
@pytest.mark.parametrize("ex", params())
async def test_example_reaches_active(cluster: Cluster, ex: Example) -> None:
    c = cluster
    try:
        served = await apply_rgds(c, ex)
        assert ex.instances, f"{ex.name} has no sample instance"
        for inst in ex.instances:
            ns = inst["metadata"].get("namespace", "default")
            await ensure_namespace(c, ns)
            await c.client.create(inst, namespace=ns)
        settles = ex.name not in NEVER_SETTLES
        instances = await wait_instances(c, ex, settle=settles)
        for sample in ex.instances:
            rgd, live = next(
                (r, i)
                for r, i in instances
                if (i["kind"], i["metadata"]["name"]) == (sample["kind"], sample["metadata"]["name"])
            )
            assert_defaults_applied(rgd, sample, live)
        quiet = await quiet_window(c, instances, window=2.5 * REQUEUE, timeout=8 * REQUEUE)
        assert quiet == settles, (
            f"children still change {8 * REQUEUE}s after the instances are ACTIVE"
            if settles
            else f"{ex.name} settled: drop it from NEVER_SETTLES"
        )
        for rgd, old in instances:
            live = await c.get(gvk_of(old), old["metadata"]["name"], namespace_of(old))
            kids = await children(c, rgd, live)
            assert_children_match(rgd, served[rgd["metadata"]["name"]], live, kids)
            assert_status_projections(rgd, live, kids)
            await assert_printer_columns(c, rgd, live)
            if check := EXTRA_CHECKS.get(ex.name):
                check(live, kids)
            await toggle_include_when(c, rgd, served[rgd["metadata"]["name"]], live)
        await delete_instances(c, ex)
    finally:
        await cleanup(c, ex)


def test_every_example_rgd_gets_an_instance() -> None:
    """Every RGD file under the examples is in a case, and every RGD's kind is instantiated there: by a
    sample instance or by another of the folder's RGDs (whose instance then creates one)."""
    examples = discover()
    rgd_names = {
        d["metadata"]["name"]
        for f in KRO_EXAMPLES.rglob("*.yaml")
        for d in yaml_docs(f)
        if d.get("kind") == "ResourceGraphDefinition"
    }
    assert rgd_names <= {r["metadata"]["name"] for ex in examples for r in ex.rgds}
    for ex in examples:
        made = {i["kind"] for i in ex.instances} | {
            (res.get("template") or {}).get("kind") for r in ex.rgds for res in r["spec"]["resources"]
        }
        unused = [r["metadata"]["name"] for r in ex.rgds if r["spec"]["schema"]["kind"] not in made]
        assert not unused, f"{ex.name}: no instance of {unused}"
