"""Step 1 of the pipeline (spec §4.1, §4.2): kind and resource id naming rules."""

from __future__ import annotations

import re

from pykro.api import constants
from pykro.api.model import ResourceGraphDefinition
from pykro.graph.errors import GraphError

KIND_NAME = re.compile(r"^[A-Z][a-zA-Z0-9]*$")
ID_NAME = re.compile(constants.RESOURCE_ID_PATTERN)
MAX_COLLECTION_DIMENSIONS = 10


def validate_names(rgd: ResourceGraphDefinition) -> None:
    """Raise `GraphError` for the first naming violation, in kro's order."""
    kind = rgd.spec.schema.kind
    if not KIND_NAME.match(kind):
        raise GraphError(
            f"naming convention violation: kind '{kind}' is not a valid KRO kind name: "
            "must be UpperCamelCase",
            yaml_path="spec.schema.kind",
        )
    seen: set[str] = set()
    for index, r in enumerate(rgd.spec.resources):
        where = f"spec.resources[{index}].id"
        if r.id in constants.RESERVED_WORDS:
            raise GraphError(
                f"naming convention violation: id {r.id} is a reserved keyword in KRO",
                resource_id=r.id,
                yaml_path=where,
            )
        if not ID_NAME.match(r.id):
            raise GraphError(
                f"naming convention violation: id {r.id} is not a valid KRO resource id: must be lower "
                "camelCase",
                resource_id=r.id,
                yaml_path=where,
            )
        if r.id in seen:
            raise GraphError(
                f"naming convention violation: found duplicate resource IDs {r.id}",
                resource_id=r.id,
                yaml_path=where,
            )
        seen.add(r.id)
        if len(r.for_each) > MAX_COLLECTION_DIMENSIONS:
            raise GraphError(
                f'resource "{r.id}" has {len(r.for_each)} forEach dimensions; the maximum is '
                f"{MAX_COLLECTION_DIMENSIONS}",
                resource_id=r.id,
                yaml_path=f"spec.resources[{index}].forEach",
            )
    ids = {r.id for r in rgd.spec.resources}
    for index, r in enumerate(rgd.spec.resources):
        _validate_iterators(r.id, [d.name for d in r.for_each], ids, f"spec.resources[{index}].forEach")


def _validate_iterators(rid: str, names: list[str], ids: set[str], where: str) -> None:
    seen: set[str] = set()
    for position, name in enumerate(names):
        problem = None
        if name in constants.RESERVED_WORDS:
            problem = f"iterator {name} is a reserved keyword in KRO"
        elif not ID_NAME.match(name):
            problem = f"iterator {name} is not a valid KRO identifier: must be lower camelCase"
        elif name in ids:
            problem = f"iterator {name} conflicts with a resource id"
        elif name in seen:
            problem = f"duplicate iterator name {name}"
        if problem is not None:
            raise GraphError(
                f"naming convention violation: {problem}", resource_id=rid, yaml_path=f"{where}[{position}]"
            )
        seen.add(name)
