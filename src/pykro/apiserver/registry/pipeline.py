"""The single hook point where defaulting and validation join the write path.

Every create, update, patch (after the patch is applied) and status write builds a
`WriteContext` and runs `WritePipeline.run` after the server's own metadata handling
(names, uid, timestamps, generation, status preservation) and before storage.
Mutating steps run first, then validating steps; a step rejects a write by raising
`pykro.apiserver.machinery.status.ApiError` (usually `status.invalid(...)`). Steps are plain
synchronous callables so pure modules (structural defaulting/pruning/validation of
custom resources, built-in defaults) plug in without touching the handlers:

    server.pipeline.mutating.append(my_defaulter)
    server.pipeline.validating.append(my_validator)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pykro.apiserver.registry.kinds import ServedKind


@dataclass(frozen=True)
class WriteOptions:
    """Per-request write parameters (query string of the real API)."""

    dry_run: bool = False
    field_validation: str = (
        "Ignore"  # Strict | Warn | Ignore (HTTP requests default to Warn, as the real server)
    )
    field_manager: str = ""  # `fieldManager`, else the client's User-Agent program name (as the real server)
    patch_type: str = ""  # content type of a PATCH (apply: "application/apply-patch+yaml"), "" for POST/PUT


@dataclass
class WriteContext:
    operation: Literal["CREATE", "UPDATE", "DELETE"]
    kind: ServedKind
    obj: dict[str, Any]  # the object about to be stored (on DELETE: the stored one); steps may change it
    old: dict[str, Any] | None  # the stored object for updates and deletes (read-only)
    subresource: str = ""  # "" or "status"
    options: WriteOptions = WriteOptions()
    warnings: list[str] = field(default_factory=list)  # sent back as `Warning:` headers


Step = Callable[[WriteContext], None]


@dataclass
class WritePipeline:
    mutating: list[Step] = field(default_factory=list)
    validating: list[Step] = field(default_factory=list)
    deleting: list[Step] = field(default_factory=list)  # validating admission of DELETE requests

    def run_delete(self, ctx: WriteContext) -> None:
        for step in self.deleting:
            step(ctx)

    def run(self, ctx: WriteContext) -> None:
        for step in self.mutating:
            step(ctx)
        for step in self.validating:
            step(ctx)
