"""GraphRevisions (spec §1.2, §6.6): immutable snapshots of RGD specs and the registry of their graphs.

registry = RevisionRegistry()
revisions = GraphRevisionController(client, registry)
await revisions.start()            # compiles every GraphRevision into `registry`
registry.latest_active("my-rgd")   # -> RevisionEntry(state="Active", graph=...) | None
await revisions.stop()
"""

from pykro.controller.graphrevision.controller import GRAPH_REVISION, GraphRevisionController
from pykro.controller.graphrevision.naming import revision_labels, revision_name
from pykro.controller.graphrevision.registry import ACTIVE, FAILED, PENDING, RevisionEntry, RevisionRegistry

__all__ = [
    "ACTIVE",
    "FAILED",
    "GRAPH_REVISION",
    "PENDING",
    "GraphRevisionController",
    "RevisionEntry",
    "RevisionRegistry",
    "revision_labels",
    "revision_name",
]
