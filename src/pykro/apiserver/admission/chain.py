"""The server's own write-path steps: prune, default, allocate, track managedFields, validate.

They are registered on `server.pipeline` ahead of any step another component adds, so what a
later step sees is what a real API server would store: a pruned, defaulted object with its
managedFields. Custom resources use their CRD version's structural schema (`ServedKind.schema`,
refreshed whenever the CRD changes); built-in kinds use the schema registry for pruning plus
`defaults` and `builtin`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from pykro.apiserver.admission import builtin, defaults, structural, validation
from pykro.apiserver.admission.policyeval import POLICY_GRS, PolicyAdmission
from pykro.apiserver.machinery.media import APPLY_PATCH
from pykro.apiserver.machinery.status import ApiError, Cause, bad_request, invalid
from pykro.apiserver.registry.apply import ApplyError, update_managed_fields
from pykro.apiserver.registry.kinds import ServedKind
from pykro.apiserver.registry.pipeline import Step, WriteContext, WritePipeline
from pykro.apiserver.storage.store import Store
from pykro.jsontypes import copy_json

SERVICE_CIDR = "10.96.0.0/12"
NODE_PORTS = range(30000, 32768)
SERVICES_GR = ("", "services")
JOBS_GR = ("batch", "jobs")


class Allocator:
    """Cluster IPs and node ports, derived from the stored Services.

    Deriving them from storage (rather than keeping a separate bitmap) makes allocations survive a
    restart and frees an IP the moment its Service is gone. Allocation runs inside the write's
    critical section, so two concurrent creates cannot pick the same address.
    """

    def __init__(self, store: Store, cidr: str = SERVICE_CIDR) -> None:
        self.store = store
        self.network = ipaddress.ip_network(cidr)

    def _used(self, field: str) -> set[Any]:
        used: set[Any] = set()
        for svc in self.store.items(SERVICES_GR):
            spec = svc.get("spec") or {}
            if field == "clusterIP":
                used.update(ip for ip in spec.get("clusterIPs") or [spec.get("clusterIP")] if ip)
            else:
                used.update(p.get("nodePort") for p in spec.get("ports") or () if isinstance(p, dict))
        return used

    def cluster_ip(self, family: str) -> str:
        if family != "IPv4":
            raise invalid(
                "Service",
                "",
                "",
                [
                    Cause(
                        "spec.ipFamilies",
                        f'Unsupported value: "{family}": only IPv4 is served',
                        "FieldValueNotSupported",
                    )
                ],
            )
        used = self._used("clusterIP")
        for host in self.network.hosts():
            ip = str(host)
            if ip not in used:
                return ip
        raise ApiError(500, "InternalError", f"failed to allocate a serviceIP: range {self.network} is full")

    def node_port(self) -> int:
        used = self._used("nodePort")
        for port in NODE_PORTS:
            if port not in used:
                return port
        raise ApiError(500, "InternalError", "failed to allocate a nodePort: range is full")


class Admission:
    """The built-in steps; `schema_for(kind)` gives the registry schema used by apply and pruning."""

    def __init__(
        self,
        store: Store,
        schema_for: Callable[[ServedKind], Mapping[str, Any] | None],
        now: Callable[[], str],
        policies: PolicyAdmission | None = None,
    ) -> None:
        self.schema_for = schema_for
        self.policies = policies
        self.allocator = Allocator(store)
        self.now = now
        # group-resource -> the kind's own step: one table, not a branch per kind
        self._kind_steps: dict[tuple[str, str], Step] = {
            JOBS_GR: self.job_selector,
            SERVICES_GR: self.allocate,
        }
        if policies is not None:
            self._kind_steps.update(dict.fromkeys(POLICY_GRS, policies.set_defaults))

    def install(self, pipeline: WritePipeline) -> None:
        """Put the built-in steps before any already registered (idempotent)."""
        mutating: list[Step] = [self.prune_and_default, self.per_kind, self.track_managed_fields]
        validating: list[Step] = [self.validate]
        if self.policies is not None:  # ValidatingAdmissionPolicy runs after the object is valid
            validating.append(self.policies.admit_write)
            pipeline.deleting[:] = [self.policies.admit_write]
        pipeline.mutating[:] = mutating + [s for s in pipeline.mutating if s not in mutating]
        pipeline.validating[:] = validating + [s for s in pipeline.validating if s not in validating]

    # mutating --------------------------------------------------------------------------------------
    def _structural(self, kind: ServedKind) -> Mapping[str, Any] | None:
        if kind.crd is not None:
            return kind.schema
        return self.schema_for(kind)

    def prune_and_default(self, ctx: WriteContext) -> None:
        if ctx.subresource != "status":
            self._admit(ctx, ctx.obj)  # the pipeline owns ctx.obj: no copy
            return
        # Only the status is new; the rest is the stored object, admitted under the version it was
        # written in (which may not be this request's: a v1 HPA's status written through v2).
        admitted = copy_json(ctx.obj)
        self._admit(ctx, admitted)
        kept = {k: v for k, v in ctx.obj.items() if k != "status"}
        if "status" in admitted:
            kept["status"] = admitted["status"]
        ctx.obj = kept

    def _admit(self, ctx: WriteContext, obj: dict[str, Any]) -> None:
        """Prune (and for custom resources default) `obj` in place by the kind's schema; default
        a built-in kind's fields as its Go defaulting functions do."""
        schema = self._structural(ctx.kind)
        if schema:
            unknown: list[str] = []
            if ctx.kind.crd is not None:
                structural.default_and_prune_in_place(obj, schema, unknown)
            else:
                # the typed decoder of the real server drops them
                structural.prune_in_place(obj, schema, unknown)
            self._unknown_fields(ctx, unknown)
        if ctx.kind.crd is None:
            defaults.set_defaults(ctx.kind.gvk, obj)

    @staticmethod
    def _unknown_fields(ctx: WriteContext, unknown: list[str]) -> None:
        mode = ctx.options.field_validation
        if not unknown or mode == "Ignore" or ctx.options.patch_type == APPLY_PATCH:
            return  # apply already refused undeclared fields
        if mode == "Strict":
            listed = ", ".join(f'unknown field "{p}"' for p in unknown)
            kind = ctx.kind
            raise bad_request(
                f'{kind.kind} in version "{kind.version}" cannot be handled as a {kind.kind}: '
                f"strict decoding error: {listed}"
            )
        ctx.warnings.extend(f'unknown field "{p}"' for p in unknown)

    def per_kind(self, ctx: WriteContext) -> None:
        """The kind's own admission step, if it has one (after defaulting, before field tracking)."""
        step = self._kind_steps.get(ctx.kind.gr)
        if step is not None and not ctx.subresource:
            step(ctx)

    @staticmethod
    def job_selector(ctx: WriteContext) -> None:
        """A new Job gets its generated selector and controller-uid labels, as the Job strategy does."""
        if ctx.operation == "CREATE":
            ctx.obj = defaults.generate_job_selector(ctx.obj, ctx.obj["metadata"]["uid"])

    def allocate(self, ctx: WriteContext) -> None:
        """A Service gets a cluster IP and node ports (an update that omits the IP keeps it)."""
        old_spec = (ctx.old or {}).get("spec") or {}
        spec = ctx.obj.get("spec")
        if isinstance(spec, dict) and old_spec.get("clusterIP") and not spec.get("clusterIP"):
            # an update that omits the IP keeps it, as the real Service strategy does
            spec["clusterIP"] = old_spec["clusterIP"]
            spec.setdefault("clusterIPs", old_spec.get("clusterIPs") or [old_spec["clusterIP"]])
        obj = defaults.allocate_cluster_ip(ctx.obj, self.allocator.cluster_ip)
        ctx.obj = defaults.allocate_node_ports(obj, self.allocator.node_port)

    def track_managed_fields(self, ctx: WriteContext) -> None:
        if ctx.options.patch_type == APPLY_PATCH or not ctx.options.field_manager:
            return  # apply computed its own entry
        schema = self.schema_for(ctx.kind) or {}
        try:
            ctx.obj = update_managed_fields(
                ctx.old,
                ctx.obj,
                ctx.options.field_manager,
                schema=schema,
                now=self.now(),
                subresource=ctx.subresource,
                status_subresource="status" in ctx.kind.subresources,
            )
        except ApplyError:
            # a value the schema cannot type (e.g. a wrong type the validator reports next) is owned by nobody
            pass

    # validating ------------------------------------------------------------------------------------
    def validate(self, ctx: WriteContext) -> None:
        kind = ctx.kind
        if kind.crd is not None:
            causes = validation.validate(ctx.obj, ctx.old, kind.schema) if kind.schema else []
        else:
            causes = builtin.validate_builtin(kind.gvk, ctx.obj, ctx.old)
        if causes:
            raise invalid(kind.kind, kind.group, str(ctx.obj["metadata"].get("name", "")), causes)
