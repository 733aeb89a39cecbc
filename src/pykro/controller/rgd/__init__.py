"""The ResourceGraphDefinition controller (spec §6).

    rgds = RGDController(client, watches, instance_controllers, options=RGDControllerOptions(allow_crd_deletion=False))
    await rgds.start()     # watches RGDs and kro-owned CRDs; reconciles by RGD name
    rgds.served("my-rgd")  # -> Served(uid, generation, graph, crd_name) | None
    await rgds.stop()

Each reconcile: finalizer `kro.run/finalizer` → compile (parse + `build_graph`, kinds typed against
the cluster's OpenAPI) → ensure the instance CRD (create/compatible update, wait `Established`)
→ register the instance controller → write status (`state`, conditions, `topologicalOrder`,
`resources`) only if it changed.
"""

from pykro.controller.rgd.compat import breaking_changes
from pykro.controller.rgd.controller import (
    FINALIZER,
    RGD,
    InstanceServing,
    RGDController,
    RGDControllerOptions,
    Served,
)
from pykro.controller.rgd.metrics import RGDMetrics

__all__ = [
    "FINALIZER", "RGD", "InstanceServing", "RGDController", "RGDControllerOptions", "RGDMetrics", "Served",
    "breaking_changes",
]
