"""The server-side apply verb: the create-or-update decision, field ownership, and the memo that
answers a repeated apply without redoing it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pykro.apiserver.machinery import media
from pykro.apiserver.machinery.status import ApiError, bad_request, not_found
from pykro.apiserver.registry.apply import ApplyConflict, ApplyError, server_side_apply
from pykro.apiserver.registry.applymemo import ApplyMemo
from pykro.apiserver.registry.kinds import Catalog, ServedKind
from pykro.apiserver.registry.pipeline import WriteOptions
from pykro.apiserver.registry.resources import Resources, check_type
from pykro.timestamps import now_rfc3339

Obj = dict[str, Any]


@dataclass
class Applied:
    obj: Obj
    warnings: list[str]
    created: bool


class Applier:
    def __init__(self, resources: Resources, catalog: Catalog) -> None:
        self.resources = resources
        self.catalog = catalog
        self.memo = ApplyMemo()

    async def apply(
        self,
        kind: ServedKind,
        namespace: str | None,
        name: str,
        raw: bytes,
        *,
        manager: str,
        force: bool,
        subresource: str = "",
        options: WriteOptions,
    ) -> Applied:
        """Apply the configuration `raw` (YAML or JSON) as `manager`; creates the object when missing."""
        store = self.resources.store
        memo_key = (kind.group, kind.plural, namespace or "", name, subresource, manager)
        digest = ApplyMemo.digest(raw, force, self.catalog.generation)
        live = store.get(kind.gr, namespace or "", name)
        if live is not None and not options.dry_run:
            if self.memo.unchanged(memo_key, digest, live["metadata"]["resourceVersion"]):
                return Applied(live, [], False)
        applied = media.decode(raw, media.APPLY_PATCH)
        if not isinstance(applied, dict):
            raise bad_request("the applied configuration must be an object")
        raw_meta = applied.get("metadata")
        meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
        if meta.get("name") not in (None, name):
            raise bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
            )
        check_type(kind, applied, required=True)
        try:
            result = server_side_apply(
                live,
                applied,
                manager=manager,
                force=force,
                schema=self.catalog.schema_for(kind) or {},
                now=now_rfc3339(),
                subresource=subresource,
                status_subresource="status" in kind.subresources,
            )
        except ApplyConflict as err:
            details = {"name": name, "kind": kind.plural, "group": kind.group, "causes": err.causes()}
            raise ApiError(409, "Conflict", str(err), details) from None
        except ApplyError as err:
            # The real server answers 500 for a configuration that does not fit the schema; it is the
            # client's mistake, so it gets a 4xx here, with the real server's wording.
            if err.code >= 500:
                gvk = f"{kind.api_version}, Kind={kind.kind}"
                message = f"failed to create typed patch object ({namespace or ''}/{name}; {gvk}): {err}"
                raise ApiError(422, "Invalid", message) from None
            raise ApiError(err.code, "BadRequest" if err.code == 400 else "Invalid", str(err)) from None
        if live is None:
            if subresource:
                raise not_found(kind.plural, kind.group, name)
            body = {**result.obj, "metadata": {**result.obj.get("metadata", {}), "name": name}}
            obj, warnings = await self.resources.create(kind, namespace, body, options)
            outcome = Applied(obj, warnings, True)
        elif not result.changed:
            outcome = Applied(live, [], False)
        else:
            body = result.obj
            body.setdefault("metadata", {})["resourceVersion"] = live["metadata"]["resourceVersion"]
            obj, warnings = await self.resources.update(
                kind, namespace or "", name, body, subresource=subresource, options=options
            )
            outcome = Applied(obj, warnings, False)
        if not options.dry_run:
            self.memo.remember(memo_key, digest, outcome.obj["metadata"]["resourceVersion"])
        return outcome
