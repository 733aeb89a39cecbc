"""CRD write refuses `x-kubernetes-validations` rules whose estimated cost is over kube-apiserver's
budget, with its messages and field paths; bounds (maxItems, maxLength) bring a rule under it."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from pykro.api.crd import rgd_crd_manifest
from pykro.apiserver.admission.celcost import crd_rule_costs
from tests.apiserver.conftest import Api, single_version_crd

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
HINT = (
    "(try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, "
    "and strings are declared)"
)


def gadget_crd(items: dict[str, Any], rule: str, *, max_items: int | None = None) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "type": "array",
        "items": items,
        "x-kubernetes-validations": [{"rule": rule}],
    }
    if max_items is not None:
        resources["maxItems"] = max_items
    return single_version_crd("gadgets", "Gadget", {"type": "object", "properties": {"resources": resources}})


ID_ITEMS = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
BOUNDED_ID_ITEMS = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": {"type": "string", "maxLength": 63}},
}
PAIRWISE = "self.all(r, self.exists_one(x, x.id == r.id))"
RULE_PATH = (
    "spec.validation.openAPIV3Schema.properties[spec].properties[resources].x-kubernetes-validations[0].rule"
)


def messages(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["field"], c["message"]) for c in body["details"]["causes"]]


async def test_a_quadratic_rule_over_an_unbounded_list_is_refused(api: Api) -> None:
    status, body = await api.post(CRDS, gadget_crd(ID_ITEMS, PAIRWISE))
    assert status == 422, body
    found = messages(body)
    assert (
        RULE_PATH,
        f"Forbidden: estimated rule cost exceeds budget by factor of more than 100x {HINT}",
    ) in found
    assert (
        "spec.validation.openAPIV3Schema",
        "Forbidden: x-kubernetes-validations estimated rule & messageExpression cost total for entire "
        f"OpenAPIv3 schema exceeds budget by factor of more than 100x {HINT}",
    ) in found
    assert body["message"].startswith(
        'CustomResourceDefinition.apiextensions.k8s.io "gadgets.example.com" is invalid: '
    )


@pytest.mark.parametrize(
    ("max_items", "accepted"),
    [(None, False), (5000, False), (100, True)],
    ids=["unbounded", "too-many", "bounded"],
)
async def test_bounds_bring_the_rule_under_the_budget(
    api: Api, max_items: int | None, accepted: bool
) -> None:
    status, body = await api.post(CRDS, gadget_crd(BOUNDED_ID_ITEMS, PAIRWISE, max_items=max_items))
    assert (status == 201) is accepted, body


@pytest.mark.parametrize(
    ("rule", "max_items", "shape"),
    [
        ("self.all(r, r.id == 'a' || r.id.startsWith('b') || r.id.endsWith('c'))", 2_000_000, r"\d+\.\dx"),
        ("self.all(r, r.id.lowerAscii() == 'b')", 750_000, r"1\.\d{6}x"),
    ],
    ids=["one-decimal", "under-1.5x-six-decimals"],
)
async def test_a_factor_under_100x_is_printed_as_kube_prints_it(
    api: Api, rule: str, max_items: int, shape: str
) -> None:
    status, body = await api.post(CRDS, gadget_crd(BOUNDED_ID_ITEMS, rule, max_items=max_items))
    assert status == 422, body
    [(field, message)] = messages(body)
    assert field == RULE_PATH
    assert re.fullmatch(
        f"Forbidden: estimated rule cost exceeds budget by factor of {shape} {re.escape(HINT)}", message
    ), message


async def test_the_check_runs_on_update_too(api: Api) -> None:
    crd = gadget_crd(BOUNDED_ID_ITEMS, PAIRWISE, max_items=10)
    status, created = await api.post(CRDS, crd)
    assert status == 201, created
    changed = copy.deepcopy(created)
    del changed["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"][
        "resources"
    ]["maxItems"]
    status, body = await api.put(f"{CRDS}/gadgets.example.com", changed)
    assert status == 422, body
    assert any(field == RULE_PATH for field, _ in messages(body))


async def test_pykros_own_rgd_crd_is_within_the_budget(api: Api) -> None:
    manifest = rgd_crd_manifest()
    manifest["metadata"]["name"] = "resourcegraphdefinitions.copy.kro.run"
    manifest["spec"]["group"] = "copy.kro.run"
    status, body = await api.post(CRDS, manifest)
    assert status == 201, body


@pytest.mark.parametrize(
    ("bounds", "accepted"),
    [({}, False), ({"maxItems": 100}, False), ({"maxItems": 100, "maxLength": 63}, True)],
    ids=["unbounded", "list-bounded", "list-and-string-bounded"],
)
async def test_a_rule_on_items_costs_once_per_item_that_can_exist(
    api: Api, bounds: dict[str, int], accepted: bool
) -> None:
    """The rule sits on each item: its cost is multiplied by how many items the list can hold."""
    id_schema: dict[str, Any] = {"type": "string"}
    if "maxLength" in bounds:
        id_schema["maxLength"] = bounds["maxLength"]
    items = {
        "type": "object",
        "required": ["id"],
        "properties": {"id": id_schema},
        "x-kubernetes-validations": [{"rule": "self.id.lowerAscii() != 'x'"}],
    }
    crd = gadget_crd(items, "true", max_items=bounds.get("maxItems"))
    status, body = await api.post(CRDS, crd)
    assert (status == 201) is accepted, body
    if not accepted:
        fields = [field for field, _ in messages(body)]
        assert RULE_PATH.replace("x-kubernetes-validations", "items.x-kubernetes-validations") in fields


async def test_a_map_rule_is_bounded_by_max_properties(api: Api) -> None:
    values = {"type": "object", "additionalProperties": {"type": "string", "maxLength": 63}}
    rule = "self.all(k, self.exists(j, self[j] == self[k]))"
    crd = gadget_crd(BOUNDED_ID_ITEMS, "true", max_items=1)
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["properties"]["labels"] = {**values, "x-kubernetes-validations": [{"rule": rule}]}
    status, body = await api.post(CRDS, crd)
    assert status == 422, body
    spec["properties"]["labels"]["maxProperties"] = 20
    status, body = await api.post(CRDS, crd)
    assert status == 201, body


def test_an_update_leaving_a_schema_unchanged_is_held_to_the_total_only() -> None:
    """kube-apiserver exempts a version whose schema an update does not change from the per-rule limit
    (`suppressPerExpressionCost`), so a CRD stored under older limits stays updatable."""
    rule = "self.all(r, r.id.lowerAscii() == 'b')"
    old = gadget_crd(BOUNDED_ID_ITEMS, rule, max_items=2_000_000)
    [cause] = crd_rule_costs(old, None)
    assert cause.field == RULE_PATH
    relabelled = copy.deepcopy(old)
    relabelled["spec"]["names"]["shortNames"] = ["gd"]
    assert crd_rule_costs(relabelled, old) == []
    tighter = copy.deepcopy(old)
    tighter["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"][
        "resources"
    ]["maxItems"] = 3_000_000
    assert [c.field for c in crd_rule_costs(tighter, old)] == [RULE_PATH]
