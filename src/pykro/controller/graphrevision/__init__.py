"""The GraphRevision controller (spec §1.2, §6.6): compiles immutable snapshots of RGD specs into the
revision registry (`pykro.controller.revisions`).

registry = RevisionRegistry()
revisions = GraphRevisionController(client, registry)
await revisions.start()            # compiles every GraphRevision into `registry`
registry.latest_active("my-rgd")   # -> RevisionEntry(state="Active", graph=...) | None
await revisions.stop()
"""

from pykro.controller.graphrevision.controller import GraphRevisionController

__all__ = ["GraphRevisionController"]
