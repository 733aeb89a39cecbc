"""The ResourceGraphDefinition controller (spec §6).

    registry = RevisionRegistry()   # shared with a GraphRevisionController (pykro.controller.graphrevision)
    rgds = RGDController(client, watches, instance_controllers, revisions=registry,
                         options=RGDControllerOptions(allow_crd_deletion=False, max_graph_revisions=5))
    await rgds.start()     # watches RGDs and kro-owned CRDs; reconciles by RGD name
    rgds.served("my-rgd")  # -> Served(uid, generation, graph, crd_name, revision) | None
    await rgds.stop()

Each reconcile: finalizer `kro.run/finalizer` → hash the spec → list its GraphRevisions; issue a new
one (after compiling the spec) when the hash changed → serve the latest Active revision: ensure the
instance CRD (create/compatible update, wait `Established`), register the instance controller → keep
the newest N revisions → write status (`state`, conditions, `topologicalOrder`, `resources`,
`lastIssuedRevision`) only if it changed.
"""

from pykro.controller.rgd.compat import breaking_changes
from pykro.controller.rgd.controller import (
    RGD,
    InstanceServing,
    RGDController,
    RGDControllerOptions,
    Served,
)
from pykro.controller.rgd.metrics import RGDMetrics

__all__ = [
    "RGD",
    "InstanceServing",
    "RGDController",
    "RGDControllerOptions",
    "RGDMetrics",
    "Served",
    "breaking_changes",
]
