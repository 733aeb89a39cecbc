"""Whole-object schemas for patching and apply, from the schema registry (built-ins + served CRDs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykro.apiserver.registry.kinds import ServedKind
from pykro.errors import PykroError
from pykro.schema.gvk import GVK
from pykro.schema.registry import SchemaRegistry


class Schemas:
    def __init__(self) -> None:
        self.registry = SchemaRegistry()

    def for_kind(self, kind: ServedKind) -> Mapping[str, Any] | None:
        found = self.registry.find(GVK(kind.group, kind.version, kind.kind))
        return found.schema if found is not None else None

    def crd_changed(self, name: str, crd: dict[str, Any] | None) -> None:
        """Keep the registry's CRD kinds in step with the served CRDs."""
        self.registry.remove_crd(name)
        if crd is not None:
            try:
                self.registry.add_crd(crd)
            except PykroError:
                pass  # a schema the registry cannot model still serves; patch/apply then treat it as free-form
