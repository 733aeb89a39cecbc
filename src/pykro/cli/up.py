"""`pykro up`: a local Kubernetes API server with pykro's controller beside it, in the foreground.

`--demo` then walks through examples/config-rollout: the RGD goes Active, an instance creates its
Secret, ConfigMap and Deployment, and a password rotation rolls the Deployment.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import yaml
from rich.console import Console
from rich.panel import Panel

from pykro.cli.controller_flags import controller_flags
from pykro.cli.run import log_options, setup_logging, until_signalled
from pykro.cli.simulate import event_ttl, simulate_workloads
from pykro.cli.tls_san import tls_san
from pykro.errors import Problem, PykroError

if TYPE_CHECKING:  # imported lazily at run time: `pykro --help` should not load the controller
    from pykro.controller.manager import ManagerOptions
    from pykro.kube import KubeClient
    from pykro.schema.gvk import GVK

T = TypeVar("T")
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "config-rollout"
DEMO_FIELD_MANAGER = "pykro-demo"


def example_dir() -> Path:
    """examples/config-rollout of the source tree pykro runs from (`make run` uses an editable install)."""
    if not (EXAMPLE / "rgd.yaml").is_file() or not (EXAMPLE / "instance.yaml").is_file():
        message = f"{EXAMPLE}: the config-rollout example is not there (run --demo from a source checkout)"
        raise PykroError(message, (Problem("--demo", message, str(EXAMPLE)),))
    return EXAMPLE


class Timeline:
    """Prints demo milestones with the time since the demo started."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.started = asyncio.get_running_loop().time()

    def mark(self, message: str, style: str = "green") -> None:
        elapsed = asyncio.get_running_loop().time() - self.started
        self.console.print(f"[dim]{elapsed:7.2f}s[/dim]  [{style}]{message}[/{style}]")


async def poll(probe: Callable[[], Awaitable[T | None]], timeout: float) -> T | None:
    """`probe()` until it is truthy, or None after `timeout` (a missing object counts as not yet)."""
    from pykro.kube.errors import NotFound

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        try:
            found = await probe()
        except NotFound:
            found = None
        if found:
            return found
        await asyncio.sleep(0.05)
    return None


async def run_demo(kubeconfig: Path, console: Console, *, timeout: float = 60.0) -> None:
    """Apply the config-rollout example and narrate what the controller does."""
    from pykro.kube import KubeClient, load_kubeconfig
    from pykro.schema.gvk import GVK
    from pykro.schema.plural import plural_of

    crd_gvk = GVK("apiextensions.k8s.io", "v1", "CustomResourceDefinition")
    rgd_gvk = GVK("kro.run", "v1alpha1", "ResourceGraphDefinition")
    where = example_dir()
    rgd = yaml.safe_load((where / "rgd.yaml").read_text())
    instance = yaml.safe_load((where / "instance.yaml").read_text())
    kind_gvk = GVK.from_api_version(instance["apiVersion"], instance["kind"])
    name, ns = instance["metadata"]["name"], instance["metadata"].get("namespace", "default")
    timeline = Timeline(console)
    async with KubeClient(load_kubeconfig(kubeconfig)) as client:
        await client.apply(rgd, field_manager=DEMO_FIELD_MANAGER, force=True)
        timeline.mark(f"applied ResourceGraphDefinition {rgd['metadata']['name']}", "cyan")

        async def rgd_status() -> dict[str, Any] | None:
            # Only a status written for the current generation counts: a restarted controller
            # may not have looked at the RGD yet.
            obj = await client.get(rgd_gvk, rgd["metadata"]["name"])
            status = obj.get("status") or {}
            ready = [c for c in status.get("conditions") or [] if c.get("type") == "Ready"]
            current = bool(ready) and ready[0].get("observedGeneration") == obj["metadata"].get("generation")
            return obj if current and status.get("state") == "Active" else None

        crd_name = f"{plural_of(kind_gvk.kind)}.{kind_gvk.group}"

        async def crd_ready() -> bool:
            crd = await client.get(crd_gvk, crd_name)
            return any(
                c.get("type") == "Established" and c.get("status") == "True"
                for c in (crd.get("status") or {}).get("conditions") or []
            )

        if await poll(crd_ready, timeout):
            timeline.mark(f"CRD {crd_name} established")
        active = await poll(rgd_status, timeout)
        if active is None:
            timeline.mark("the RGD did not become Active; see `kubectl get rgd -o yaml`", "red")
            return
        timeline.mark(
            f"RGD Active, topological order {' → '.join(active['status'].get('topologicalOrder', []))}"
        )

        await client.apply(instance, field_manager=DEMO_FIELD_MANAGER, force=True)
        timeline.mark(f"applied {kind_gvk.kind} {ns}/{name}", "cyan")
        children = [
            (GVK("", "v1", "Secret"), f"{name}-credentials"),
            (GVK("", "v1", "ConfigMap"), f"{name}-config"),
            (GVK("apps", "v1", "Deployment"), name),
        ]
        for gvk, child in children:
            if await poll(functools.partial(client.get, gvk, child, namespace=ns), timeout):
                timeline.mark(f"{gvk.kind} {child} created")
        workloads = bool(await poll(functools.partial(_replica_sets, client, ns, name), 3.0))
        if workloads:
            await _wait_instance_active(client, kind_gvk, name, ns, timeline, timeout)
        else:
            timeline.mark(
                "no ReplicaSet: this server does not simulate workloads, so the instance stays "
                "IN_PROGRESS (its Deployment never becomes available)",
                "yellow",
            )

        secret_gvk, deploy_gvk = children[0][0], children[2][0]
        replica_sets = await _replica_sets(client, ns, name)
        password = secrets.token_hex(8)
        await client.patch(kind_gvk, name, {"spec": {"password": password}}, namespace=ns)
        timeline.mark("rotated the password in the instance spec", "cyan")

        # Wait for the rotated value itself: on a re-run the controller may first re-apply an older one.
        async def secret_rotated() -> dict[str, Any] | None:
            now = await client.get(secret_gvk, f"{name}-credentials", namespace=ns)
            stored = (now.get("data") or {}).get("password", "")
            return now if base64.b64decode(stored).decode(errors="replace") == password else None

        new_secret = await poll(secret_rotated, timeout)
        if new_secret is None:
            timeline.mark("the Secret did not change", "red")
            return
        timeline.mark(f"Secret updated (resourceVersion {new_secret['metadata']['resourceVersion']})")

        async def deployment_follows() -> str | None:
            current = await client.get(secret_gvk, f"{name}-credentials", namespace=ns)
            d = await client.get(deploy_gvk, name, namespace=ns)
            notes = (d["spec"]["template"].get("metadata") or {}).get("annotations") or {}
            version = current["metadata"]["resourceVersion"]
            return str(version) if notes.get("example.com/secret-version") == version else None

        version = await poll(deployment_follows, timeout)
        if version:
            timeline.mark(f"Deployment pod template now carries secret-version {version}")

        async def new_replica_set() -> list[str] | None:
            now = await _replica_sets(client, ns, name)
            fresh = [rs for rs in now if rs not in replica_sets]
            return fresh or None

        if not workloads:
            console.print(
                "[bold]demo done[/bold]: try `kubectl get configrollouts,deploy,secrets -n default`"
            )
            return
        fresh = await poll(new_replica_set, timeout)
        if fresh:
            timeline.mark(f"new ReplicaSet {', '.join(fresh)}: the Deployment rolled out")
        await _wait_instance_active(client, kind_gvk, name, ns, timeline, timeout)
    console.print("[bold]demo done[/bold]: try `kubectl get configrollouts,deploy,rs,secrets -n default`")


async def _replica_sets(client: KubeClient, namespace: str, app: str) -> list[str]:
    from pykro.schema.gvk import GVK

    page = await client.list(
        GVK("apps", "v1", "ReplicaSet"), namespace=namespace, label_selector=f"app={app}"
    )
    return [str(rs["metadata"]["name"]) for rs in page.items]


async def _wait_instance_active(
    client: KubeClient, gvk: GVK, name: str, ns: str, timeline: Timeline, timeout: float
) -> None:
    last: dict[str, Any] = {}

    async def active() -> bool:
        last.update(await client.get(gvk, name, namespace=ns))
        return bool((last.get("status") or {}).get("state") == "ACTIVE")

    if await poll(active, timeout):
        timeline.mark(f"{gvk.kind} {name} is ACTIVE")
        return
    ready: dict[str, Any] = next(
        (c for c in (last.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), {}
    )
    state = (last.get("status") or {}).get("state", "unknown")
    timeline.mark(f"{gvk.kind} {name} is {state}: {ready.get('message', '')}", "yellow")


def next_steps(kubeconfig: Path, url: str, metrics: str | None) -> Panel:
    lines = [
        f"API server  [bold]{url}[/bold]",
        *([f"metrics     [bold]{metrics}/metrics[/bold]"] if metrics else []),
        "",
        "In another terminal:",
        f"  [bold cyan]export KUBECONFIG={kubeconfig}[/bold cyan]",
        "  kubectl apply -f examples/config-rollout/rgd.yaml",
        "  kubectl get rgd",
        "  kubectl apply -f examples/config-rollout/instance.yaml",
        "  kubectl get configrollouts,deploy,secrets,configmaps",
        "",
        "Ctrl-C stops the server and the controller; state persists in the data directory.",
    ]
    return Panel("\n".join(lines), title="pykro is up", expand=False)


async def _demo(kubeconfig: Path, console: Console) -> None:
    """`run_demo`, its failure reported as it happens; the server and controller keep running."""
    from pykro.kube.errors import KubeError

    try:
        await run_demo(kubeconfig, console)
    except KubeError as err:  # the cluster refused a step
        console.print(f"[red]demo failed: {err}[/red]")
    except Exception as err:  # a bug: say so in one line, keep the details for --log-level debug
        console.print(f"[red]demo failed unexpectedly: {err!r} (details with --log-level debug)[/red]")
        logging.getLogger("pykro.up").debug("demo failed", exc_info=True)


async def _up(
    data_dir: Path,
    port: int,
    bind: str,
    demo: bool,
    workload_delay: float,
    options: ManagerOptions,
    console: Console,
    simulate_workloads: bool = True,
    event_ttl: float = 3600.0,
    tls_sans: tuple[str, ...] = (),
) -> None:
    from pykro.apiserver import EmbeddedAPIServer
    from pykro.controller.manager import Manager

    async def body(stop: asyncio.Event) -> None:
        async with EmbeddedAPIServer(
            data_dir,
            port=port,
            bind=bind,
            workloads=simulate_workloads,
            workload_delay=workload_delay,
            event_ttl=event_ttl,
            tls_sans=tls_sans,
        ) as server:
            kubeconfig = Path(server.kubeconfig_path).resolve()
            async with Manager(kubeconfig, options) as manager:
                metrics = manager.metrics_endpoint.url if manager.metrics_endpoint is not None else None
                click.echo(f"export KUBECONFIG={kubeconfig}")
                console.print(next_steps(kubeconfig, server.url, metrics))
                demo_task = asyncio.create_task(_demo(kubeconfig, console)) if demo else None
                await stop.wait()
                console.print("shutting down…")
                if demo_task is not None:
                    demo_task.cancel()
                    await asyncio.gather(demo_task, return_exceptions=True)

    await until_signalled(body)


@click.command("up")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".pykro"),
    show_default=True,
    help="Where the server keeps state.db, credentials and the kubeconfig.",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port."
)
@click.option("--bind", default="127.0.0.1", show_default=True, help="Address the API server listens on.")
@click.option("--demo", is_flag=True, help="Apply examples/config-rollout and narrate what happens.")
@click.option(
    "--workload-delay",
    type=click.FloatRange(min=0),
    default=0.3,
    show_default=True,
    help="Seconds the simulated workloads (Deployments, ReplicaSets) take to become ready.",
)
@tls_san
@simulate_workloads
@event_ttl
@controller_flags(metrics="0", health="0")
@log_options
def command(
    data_dir: Path,
    port: int,
    bind: str,
    demo: bool,
    workload_delay: float,
    tls_sans: tuple[str, ...],
    simulate_workloads: str,
    event_ttl: float,
    options: ManagerOptions,
    log_format: str,
    log_level: str,
) -> None:
    """Run a local API server and the pykro controller together until Ctrl-C."""
    setup_logging(log_format, "warning" if log_level == "info" and demo else log_level)
    if demo:
        example_dir()  # fail before starting anything
    asyncio.run(
        _up(
            data_dir,
            port,
            bind,
            demo,
            workload_delay,
            options,
            Console(),
            simulate_workloads == "on",
            event_ttl,
            tls_sans,
        )
    )
