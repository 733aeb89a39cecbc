"""Value types of the schema registry; import them from `pykro.schema.registry`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from pykro.errors import PykroError
from pykro.schema.gvk import GVK


@dataclass(frozen=True)
class KindInfo:
    """REST facts about a kind, as API discovery reports them."""

    gvk: GVK
    plural: str
    namespaced: bool
    subresources: frozenset[str]  # e.g. {"status", "scale"}
    short_names: tuple[str, ...]  # e.g. ("deploy",)
    singular: str
    list_kind: str
    verbs: tuple[
        str, ...
    ]  # discovery verbs: create, delete, deletecollection, get, list, patch, update, watch
    categories: tuple[str, ...] = field(default=())  # e.g. ("all",)


@dataclass(frozen=True, eq=False)
class ResolvedKind:
    """A kind with the structural OpenAPI v3 schema of its whole object.

    `schema` is a read-only lazy view: `$ref`s resolve on access, lists read as tuples, and
    `schema["properties"]["metadata"]` is always the full ObjectMeta. The schema can be recursive
    (JSONSchemaProps), so walkers must bound their depth. Compared by identity.
    """

    info: KindInfo
    schema: Mapping[str, Any]


class UnknownKindError(PykroError):
    """No registered schema describes the requested group/version/kind."""

    def __init__(self, message: str, gvk: GVK, suggestions: tuple[GVK, ...] = ()) -> None:
        super().__init__(message)
        self.gvk = gvk
        self.suggestions = suggestions


class SchemaSource(Protocol):
    """Where the registry finds kinds it does not know itself, e.g. a live cluster's `/openapi/v3`.

    `lookup` is called synchronously from pure code (graph building), so it must not do I/O: an HTTP
    implementation fetches discovery (`/api`, `/apis`) and `/openapi/v3/<group-version>` documents
    beforehand (asynchronously) and answers from memory. It returns `None` for a kind it does not know,
    otherwise a `ResolvedKind` whose `info` comes from discovery (plural, scope, verbs, subresources, short
    names) and whose `schema` is the normalized whole-object schema with the full ObjectMeta as
    `metadata` — `pykro.schema.registry_openapi.OpenAPIComponents` builds exactly that from a document.
    """

    def lookup(self, gvk: GVK) -> ResolvedKind | None:
        """The kind `gvk` as the source knows it, or None."""
        ...
