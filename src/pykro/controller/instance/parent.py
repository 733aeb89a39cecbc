"""The instance's own metadata: finalizer, kro labels and the ApplySet parent inventory (spec §5.1 step 4,
§5.4).

Upstream kro writes these in two server-side applies with two field managers (`kro.run/labeller`
once, then `kro.run/applyset-parent` before every apply batch). pykro folds them into one apply by
one field manager, sent only when something is missing. Because that manager applies the whole set
every time, SSA never drops a field it owned: each write carries labels, finalizer, the id label
and all four inventory annotations.

An inventory only ever grows before children are applied (so deletion can always find them) and
shrinks to exactly what was applied once pruning succeeded. When it has to grow, it grows by the
kinds the rest of the graph may still apply too, so a graph applied in several waves (or over
several reconciles) costs one metadata write, not one per new kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pykro.api.conventions import APPLYSET_ID_LABEL, FINALIZER, LABELLER_MANAGER, InstanceIdentity, meta
from pykro.controller.instance.applyset import Inventory, read_inventory
from pykro.kube import ApiError, KubeClient

# Upstream writes the ApplySet parent metadata as APPLYSET_PARENT_MANAGER; pykro writes it as
# LABELLER_MANAGER, in the same apply as the finalizer and labels.

EMPTY = Inventory(frozenset(), frozenset())


class ManagementFailed(Exception):
    """The API refused the instance metadata write (`InstanceManaged=False`, retried with backoff)."""


Obj = dict[str, Any]


class InstanceMetadata:
    """The instance as this reconcile last saw or wrote it, and the managed metadata it should carry.

    Construction validates the recorded inventory: raises `InvalidInventory` when it is present
    but cannot be trusted (management, and so the finalizer, is then refused)."""

    def __init__(
        self,
        instance: Obj,
        identity: InstanceIdentity,
        labels: Mapping[str, str],
        on_written: Callable[[Obj], None] | None = None,
    ) -> None:
        self.instance = instance
        self.on_written = on_written  # told of every instance the write returned (cache freshness)
        self.identity = identity
        self.labels = {**labels, APPLYSET_ID_LABEL: identity.applyset_id}
        m = meta(instance)
        self.recorded: Inventory | None = read_inventory(
            identity.applyset_id,
            m.get("labels") or {},
            m.get("annotations") or {},
        )
        self.writes = 0

    @property
    def inventory(self) -> Inventory:
        """The recorded inventory (empty when there is none yet)."""
        return self.recorded if self.recorded is not None else EMPTY

    def managed(self) -> bool:
        """Finalizer, every kro label and a valid inventory are all present."""
        m = meta(self.instance)
        labels = m.get("labels") or {}
        return (
            FINALIZER in (m.get("finalizers") or ())
            and self.recorded is not None
            and all(labels.get(k) == v for k, v in self.labels.items())
        )

    async def ensure(
        self, client: KubeClient, needed: Inventory = EMPTY, anticipated: Inventory = EMPTY
    ) -> bool:
        """Make the instance managed with an inventory covering `needed`; when a write is due it
        also records `anticipated` (what later waves may apply). Returns whether it wrote."""
        if self.managed() and self.inventory.covers(needed):
            return False
        await self._write(client, self.inventory.union(needed).union(anticipated))
        return True

    async def record(self, client: KubeClient, inventory: Inventory) -> bool:
        """Record exactly `inventory` (the shrink after a successful prune). Returns whether it wrote."""
        if self.managed() and self.recorded == inventory:
            return False
        await self._write(client, inventory)
        return True

    async def _write(self, client: KubeClient, inventory: Inventory) -> None:
        identity = self.identity
        patch_meta: Obj = {
            "name": identity.name,
            "labels": dict(self.labels),
            "finalizers": [FINALIZER],
            "annotations": inventory.annotations(identity.applyset_id),
        }
        if identity.namespace:
            patch_meta["namespace"] = identity.namespace
        patch = {
            "apiVersion": self.instance["apiVersion"],
            "kind": self.instance["kind"],
            "metadata": patch_meta,
        }
        try:
            self.instance = await client.apply(patch, field_manager=LABELLER_MANAGER, force=True)
        except ApiError as exc:
            raise ManagementFailed(f"failed to manage instance: {exc}") from exc
        self.recorded = inventory
        self.writes += 1
        if self.on_written is not None:
            self.on_written(self.instance)
