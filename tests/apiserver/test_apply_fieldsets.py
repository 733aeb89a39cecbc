"""Server-side apply field-set algebra, table-driven through the HTTP API, with expectations ported
from structured-merge-diff's own tests (`merge/set_test.go`, `merge/multiple_appliers_test.go`,
`merge/key_test.go`, `merge/leaf_test.go`) and its documented semantics: an applier owns exactly what
it applied; a field it stops applying is removed unless another manager owns it; changing a field
another manager owns is a conflict unless forced (force moves ownership); an update claims what it
changes; associative lists merge by key with applied order for shared items; atomic maps and lists
are replaced whole. Each case names the expected `spec` and every manager's `fieldsV1` below `spec`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from pykro.apiserver.machinery.fieldpath import from_fields_v1, get_path
from tests.apiserver.conftest import Api, single_version_crd

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
THINGS = "/apis/example.com/v1/namespaces/default/things"
APPLY_TYPE = "application/apply-patch+yaml"

_STRING = {"type": "string"}
_STRINGS = {"type": "object", "additionalProperties": _STRING}
THING_SPEC: dict[str, Any] = {
    "type": "object",
    "properties": {
        "list": {"type": "array", "items": _STRING, "x-kubernetes-list-type": "set"},
        "atomicList": {"type": "array", "items": _STRING, "x-kubernetes-list-type": "atomic"},
        "data": _STRINGS,
        "atomicMap": {**_STRINGS, "x-kubernetes-map-type": "atomic"},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "struct": {
            "type": "object",
            "properties": {
                "name": _STRING,
                "scalar": _STRING,
                "complex": {"type": "object", "properties": {"name": _STRING}},
            },
        },
        "items": {
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": _STRING,
                    "value": _STRING,
                    "other": _STRING,
                    "labels": _STRINGS,
                    "values": {"type": "array", "items": _STRING, "x-kubernetes-list-type": "set"},
                },
            },
        },
        "ports": {
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["containerPort", "protocol"],
            "items": {
                "type": "object",
                "required": ["containerPort", "protocol"],
                "properties": {"containerPort": {"type": "integer"}, "protocol": _STRING, "name": _STRING},
            },
        },
    },
}
THING_CRD = single_version_crd("things", "Thing", THING_SPEC)


@dataclass(frozen=True)
class Apply:
    manager: str
    spec: dict[str, Any] | None  # None: a configuration without `spec`
    force: bool = False


@dataclass(frozen=True)
class Update:
    """A PUT of the whole object with this `spec` (structured-merge-diff's `Update` operation)."""

    manager: str
    spec: dict[str, Any]


@dataclass(frozen=True)
class Case:
    ops: list[Apply | Update]
    spec: dict[str, Any] | None  # None: the object has no `spec`
    managed: dict[str, dict[str, Any]]  # manager -> fieldsV1 under f:spec; an absent manager has no entry
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # of the last op, which then fails


def v(value: str) -> str:
    return f'v:"{value}"'


def k(**key: Any) -> str:
    import json

    return "k:" + json.dumps(key, separators=(",", ":"))


CASES: dict[str, Case] = {
    # set_test.go
    "set/apply_twice": Case(
        [Apply("default", {"list": ["a", "c"]}), Apply("default", {"list": ["a", "b", "c", "d"]})],
        {"list": ["a", "b", "c", "d"]},
        {"default": {"f:list": {v("a"): {}, v("b"): {}, v("c"): {}, v("d"): {}}}},
    ),
    "set/apply_update_apply_no_overlap": Case(
        [
            Apply("default", {"list": ["a", "c"]}),
            Update("controller", {"list": ["a", "b", "c", "d"]}),
            Apply("default", {"list": ["a", "aprime", "c", "cprime"]}),
        ],
        {"list": ["a", "b", "aprime", "c", "d", "cprime"]},
        {
            "default": {"f:list": {v("a"): {}, v("aprime"): {}, v("c"): {}, v("cprime"): {}}},
            "controller": {"f:list": {v("b"): {}, v("d"): {}}},
        },
    ),
    "set/apply_update_apply_with_overlap": Case(
        [
            Apply("default", {"list": ["a", "c"]}),
            Update("controller", {"list": ["a", "b", "c", "d"]}),
            Apply("default", {"list": ["a", "b", "c"]}),
        ],
        {"list": ["a", "b", "c", "d"]},
        {
            "default": {"f:list": {v("a"): {}, v("b"): {}, v("c"): {}}},
            "controller": {"f:list": {v("b"): {}, v("d"): {}}},
        },
    ),
    "set/remove_one": Case(
        [Apply("a", {"list": ["x", "y", "z"]}), Apply("a", {"list": ["x", "z"]})],
        {"list": ["x", "z"]},
        {"a": {"f:list": {v("x"): {}, v("z"): {}}}},
    ),
    "set/co-owned item survives one owner's removal": Case(
        [Apply("a", {"list": ["x", "y"]}), Apply("b", {"list": ["y"]}), Apply("a", {"list": ["x"]})],
        {"list": ["x", "y"]},
        {"a": {"f:list": {v("x"): {}}}, "b": {"f:list": {v("y"): {}}}},
    ),
    "set/applied order wins for shared items": Case(
        [Apply("a", {"list": ["x", "y"]}), Apply("b", {"list": ["y", "x"]})],
        {"list": ["y", "x"]},
        {"a": {"f:list": {v("x"): {}, v("y"): {}}}, "b": {"f:list": {v("x"): {}, v("y"): {}}}},
    ),
    "set/emptied by its only applier": Case(
        [Apply("a", {"list": ["x", "y"]}), Apply("a", {"list": []})],
        {"list": []},
        {"a": {"f:list": {}}},
    ),
    # multiple_appliers_test.go: TestMultipleAppliersFieldUnsetting
    "struct/unset_scalar_sole_owner": Case(
        [Apply("one", {"struct": {"name": "a", "scalar": "a"}}), Apply("one", {"struct": {"name": "a"}})],
        {"struct": {"name": "a"}},
        {"one": {"f:struct": {"f:name": {}}}},
    ),
    "struct/unset_scalar_shared_with_applier": Case(
        [
            Apply("one", {"struct": {"name": "a", "scalar": "a"}}),
            Apply("two", {"struct": {"scalar": "a"}}),
            Apply("one", {"struct": {"name": "a"}}),
        ],
        {"struct": {"name": "a", "scalar": "a"}},
        {"one": {"f:struct": {"f:name": {}}}, "two": {"f:struct": {"f:scalar": {}}}},
    ),
    "struct/unset_scalar_shared_with_updater": Case(
        [
            Apply("applier", {"struct": {"name": "a"}}),
            Update("updater", {"struct": {"name": "a", "scalar": "a"}}),
            Apply("applier", {"struct": {"name": "a", "scalar": "a"}}),
            Apply("applier", {"struct": {"name": "a"}}),
        ],
        {"struct": {"name": "a", "scalar": "a"}},
        {"applier": {"f:struct": {"f:name": {}}}, "updater": {"f:struct": {"f:scalar": {}}}},
    ),
    "struct/updater_claims_field": Case(
        [
            Apply("applier", {"struct": {"name": "a", "scalar": "a"}}),
            Update("updater", {"struct": {"name": "a", "scalar": "b"}}),
        ],
        {"struct": {"name": "a", "scalar": "b"}},
        {"applier": {"f:struct": {"f:name": {}}}, "updater": {"f:struct": {"f:scalar": {}}}},
    ),
    "struct/unset_complex_sole_owner": Case(
        [
            Apply("one", {"struct": {"name": "a", "complex": {"name": "b"}}}),
            Apply("one", {"struct": {"name": "a"}}),
        ],
        {"struct": {"name": "a"}},
        {"one": {"f:struct": {"f:name": {}}}},
    ),
    "struct/unset_complex_shared_with_applier": Case(
        [
            Apply("one", {"struct": {"name": "a", "complex": {"name": "b"}}}),
            Apply("two", {"struct": {"complex": {"name": "b"}}}),
            Apply("one", {"struct": {"name": "a"}}),
        ],
        {"struct": {"name": "a", "complex": {"name": "b"}}},
        {"one": {"f:struct": {"f:name": {}}}, "two": {"f:struct": {"f:complex": {"f:name": {}}}}},
    ),
    "struct/a whole field dropped goes": Case(
        [Apply("a", {"struct": {"name": "a"}, "data": {"k": "v"}}), Apply("a", {"data": {"k": "v"}})],
        {"data": {"k": "v"}},
        {"a": {"f:data": {"f:k": {}}}},
    ),
    # leaf_test.go
    "leaf/apply_twice_remove": Case(
        [
            Apply("default", {"struct": {"name": "n", "scalar": "s"}}),
            Apply("default", {"struct": {"scalar": "new"}}),
        ],
        {"struct": {"scalar": "new"}},
        {"default": {"f:struct": {"f:scalar": {}}}},
    ),
    "leaf/update_apply_omits": Case(
        [
            Apply("default", {"struct": {"scalar": "2"}}),
            Update("controller", {"struct": {"scalar": "1"}}),
            Apply("default", None),
        ],
        {"struct": {"scalar": "1"}},
        {"controller": {"f:struct": {"f:scalar": {}}}},
    ),
    "leaf/apply_remove_empty_set": Case(
        [Apply("default", {"struct": {"scalar": "s"}}), Apply("default", None)],
        None,
        {},
    ),
    # granular maps (additionalProperties)
    "map/emptied by its only applier": Case(
        [Apply("a", {"data": {"x": "1", "y": "2"}}), Apply("a", {"data": {}})],
        {"data": {}},
        {"a": {"f:data": {}}},
    ),
    "map/co-owned key survives one owner's removal": Case(
        [
            Apply("a", {"data": {"x": "1", "y": "2"}}),
            Apply("b", {"data": {"y": "2"}}),
            Apply("a", {"data": {"x": "1"}}),
        ],
        {"data": {"x": "1", "y": "2"}},
        {"a": {"f:data": {"f:x": {}}}, "b": {"f:data": {"f:y": {}}}},
    ),
    "map/changing another's key conflicts": Case(
        [Apply("a", {"data": {"x": "1"}}), Apply("b", {"data": {"x": "2"}})],
        {"data": {"x": "1"}},
        {"a": {"f:data": {"f:x": {}}}},
        conflicts=[('"a"', ".spec.data.x")],
    ),
    "map/force moves the key": Case(
        [Apply("a", {"data": {"x": "1", "y": "1"}}), Apply("b", {"data": {"x": "2"}}, force=True)],
        {"data": {"x": "2", "y": "1"}},
        {"a": {"f:data": {"f:y": {}}}, "b": {"f:data": {"f:x": {}}}},
    ),
    "map/a manager whose last field is forced away has no entry": Case(
        [Apply("a", {"data": {"x": "1"}}), Apply("b", {"data": {"x": "2"}}, force=True)],
        {"data": {"x": "2"}},
        {"b": {"f:data": {"f:x": {}}}},
    ),
    "map/update conflicts with nobody and takes the key": Case(
        [Apply("a", {"data": {"x": "1"}}), Update("ctl", {"data": {"x": "2"}}), Apply("a", {"data": {}})],
        {"data": {"x": "2"}},
        {"a": {"f:data": {}}, "ctl": {"f:data": {"f:x": {}}}},
    ),
    "map/an update removing a key takes it from its applier": Case(
        [Apply("a", {"data": {"x": "1", "y": "2"}}), Update("ctl", {"data": {"x": "1"}})],
        {"data": {"x": "1"}},
        {"a": {"f:data": {"f:x": {}}}},
    ),
    "map/a conflict with an updater names its apiVersion": Case(
        [
            Apply("a", {"data": {"x": "1"}}),
            Update("ctl", {"data": {"x": "2"}}),
            Apply("a", {"data": {"x": "1"}}),
        ],
        {"data": {"x": "2"}},
        {"ctl": {"f:data": {"f:x": {}}}},
        conflicts=[('"ctl" using example.com/v1', ".spec.data.x")],
    ),
    "map/two conflicts": Case(
        [Apply("a", {"data": {"x": "1", "y": "1"}}), Apply("b", {"data": {"x": "2", "y": "2"}})],
        {"data": {"x": "1", "y": "1"}},
        {"a": {"f:data": {"f:x": {}, "f:y": {}}}},
        conflicts=[('"a"', ".spec.data.x"), ('"a"', ".spec.data.y")],
    ),
    "spec/emptied by its only applier": Case(
        [Apply("a", {"data": {"k": "v"}, "struct": {"name": "n"}}), Apply("a", {})],
        {},
        {"a": {}},
    ),
    # atomic maps (multiple_appliers_test.go: TestMultipleApplierAtomicMaps)
    "atomic map/replaced whole": Case(
        [Apply("a", {"atomicMap": {"x": "1", "y": "2"}}), Apply("a", {"atomicMap": {"x": "1"}})],
        {"atomicMap": {"x": "1"}},
        {"a": {"f:atomicMap": {}}},
    ),
    "atomic map/another applier conflicts on the whole map": Case(
        [Apply("a", {"atomicMap": {"x": "1"}}), Apply("b", {"atomicMap": {"y": "2"}})],
        {"atomicMap": {"x": "1"}},
        {"a": {"f:atomicMap": {}}},
        conflicts=[('"a"', ".spec.atomicMap")],
    ),
    "atomic map/force takes it": Case(
        [Apply("a", {"atomicMap": {"x": "1"}}), Apply("b", {"atomicMap": {"y": "2"}}, force=True)],
        {"atomicMap": {"y": "2"}},
        {"b": {"f:atomicMap": {}}},
    ),
    "atomic map/same value is co-owned": Case(
        [
            Apply("a", {"atomicMap": {"x": "1"}, "data": {"k": "v"}}),
            Apply("b", {"atomicMap": {"x": "1"}}),
            Apply("a", {"data": {"k": "v"}}),
        ],
        {"atomicMap": {"x": "1"}, "data": {"k": "v"}},
        {"a": {"f:data": {"f:k": {}}}, "b": {"f:atomicMap": {}}},
    ),
    # atomic lists
    "atomic list/replaced whole": Case(
        [Apply("a", {"atomicList": ["x", "y"]}), Apply("a", {"atomicList": ["y"]})],
        {"atomicList": ["y"]},
        {"a": {"f:atomicList": {}}},
    ),
    "atomic list/co-owned list cannot be changed by one owner": Case(
        [
            Apply("a", {"atomicList": ["x", "y"]}),
            Apply("b", {"atomicList": ["x", "y"]}),
            Apply("a", {"atomicList": ["x"]}),
        ],
        {"atomicList": ["x", "y"]},
        {"a": {"f:atomicList": {}}, "b": {"f:atomicList": {}}},
        conflicts=[('"b"', ".spec.atomicList")],
    ),
    # preserve-unknown-fields: structured-merge-diff's deduced type, maps granular and lists atomic
    "untyped/dropped key of a nested map goes": Case(
        [Apply("a", {"free": {"m": {"x": 1, "y": 2}}}), Apply("a", {"free": {"m": {"x": 1}}})],
        {"free": {"m": {"x": 1}}},
        {"a": {"f:free": {"f:m": {"f:x": {}}}}},
    ),
    "untyped/co-owned nested key stays": Case(
        [
            Apply("a", {"free": {"m": {"x": 1, "y": 2}}}),
            Apply("b", {"free": {"m": {"y": 2}}}),
            Apply("a", {"free": {"m": {"x": 1}}}),
        ],
        {"free": {"m": {"x": 1, "y": 2}}},
        {"a": {"f:free": {"f:m": {"f:x": {}}}}, "b": {"f:free": {"f:m": {"f:y": {}}}}},
    ),
    "untyped/lists are atomic": Case(
        [Apply("a", {"free": {"l": [1, 2]}}), Apply("b", {"free": {"l": [3]}})],
        {"free": {"l": [1, 2]}},
        {"a": {"f:free": {"f:l": {}}}},
        conflicts=[('"a"', ".spec.free.l")],
    ),
    # associative lists (list-type map)
    "list map/remove one item": Case(
        [
            Apply("a", {"items": [{"name": "x", "value": "1"}, {"name": "y", "value": "2"}]}),
            Apply("a", {"items": [{"name": "y", "value": "2"}]}),
        ],
        {"items": [{"name": "y", "value": "2"}]},
        {"a": {"f:items": {k(name="y"): {".": {}, "f:name": {}, "f:value": {}}}}},
    ),
    "list map/co-owned item survives": Case(
        [
            Apply("a", {"items": [{"name": "x", "value": "1"}, {"name": "y", "value": "2"}]}),
            Apply("b", {"items": [{"name": "y", "value": "2"}]}),
            Apply("a", {"items": [{"name": "x", "value": "1"}]}),
        ],
        {"items": [{"name": "x", "value": "1"}, {"name": "y", "value": "2"}]},
        {
            "a": {"f:items": {k(name="x"): {".": {}, "f:name": {}, "f:value": {}}}},
            "b": {"f:items": {k(name="y"): {".": {}, "f:name": {}, "f:value": {}}}},
        },
    ),
    "list map/field another owns stays in a kept item": Case(
        [
            Apply("a", {"items": [{"name": "x", "value": "1", "other": "o"}]}),
            Apply("b", {"items": [{"name": "x", "other": "o"}]}),
            Apply("a", {"items": [{"name": "x", "value": "1"}]}),
        ],
        {"items": [{"name": "x", "value": "1", "other": "o"}]},
        {
            "a": {"f:items": {k(name="x"): {".": {}, "f:name": {}, "f:value": {}}}},
            "b": {"f:items": {k(name="x"): {".": {}, "f:name": {}, "f:other": {}}}},
        },
    ),
    "list map/granular map inside an item": Case(
        [
            Apply("a", {"items": [{"name": "x", "labels": {"p": "1", "q": "2"}}]}),
            Apply("a", {"items": [{"name": "x", "labels": {"q": "2"}}]}),
        ],
        {"items": [{"name": "x", "labels": {"q": "2"}}]},
        {"a": {"f:items": {k(name="x"): {".": {}, "f:name": {}, "f:labels": {"f:q": {}}}}}},
    ),
    "list map/conflict on an item's field": Case(
        [
            Apply("a", {"items": [{"name": "x", "value": "1"}]}),
            Apply("b", {"items": [{"name": "x", "value": "2"}]}),
        ],
        {"items": [{"name": "x", "value": "1"}]},
        {"a": {"f:items": {k(name="x"): {".": {}, "f:name": {}, "f:value": {}}}}},
        conflicts=[('"a"', '.spec.items[name="x"].value')],
    ),
    "list map/force moves the field, the key stays co-owned": Case(
        [
            Apply("a", {"items": [{"name": "x", "value": "1"}]}),
            Apply("b", {"items": [{"name": "x", "value": "2"}]}, force=True),
        ],
        {"items": [{"name": "x", "value": "2"}]},
        {
            "a": {"f:items": {k(name="x"): {".": {}, "f:name": {}}}},
            "b": {"f:items": {k(name="x"): {".": {}, "f:name": {}, "f:value": {}}}},
        },
    ),
    "list map/new items go where the applied order puts them": Case(
        [
            Apply("a", {"items": [{"name": "x"}, {"name": "y"}]}),
            Apply("b", {"items": [{"name": "w"}, {"name": "y"}]}),
        ],
        {"items": [{"name": "x"}, {"name": "w"}, {"name": "y"}]},
        {
            "a": {"f:items": {k(name="x"): {".": {}, "f:name": {}}, k(name="y"): {".": {}, "f:name": {}}}},
            "b": {"f:items": {k(name="w"): {".": {}, "f:name": {}}, k(name="y"): {".": {}, "f:name": {}}}},
        },
    ),
    # multiple_appliers_test.go: TestMultipleAppliersNestedType
    "list map/remove_one_keep_one_with_dangling_subitem": Case(
        [
            Apply("apply-one", {"items": [{"name": "a"}, {"name": "b", "values": ["c"]}]}),
            Apply("apply-two", {"items": [{"name": "b", "values": ["d"]}]}),
            Update("controller", {"items": [{"name": "a"}, {"name": "b", "values": ["c", "d", "e"]}]}),
            Apply("apply-one", {"items": [{"name": "a"}]}),
        ],
        {"items": [{"name": "a"}, {"name": "b", "values": ["d", "e"]}]},
        {
            "apply-one": {"f:items": {k(name="a"): {".": {}, "f:name": {}}}},
            "apply-two": {"f:items": {k(name="b"): {".": {}, "f:name": {}, "f:values": {v("d"): {}}}}},
            "controller": {"f:items": {k(name="b"): {"f:values": {v("e"): {}}}}},
        },
    ),
    "list map/remove_one_with_dangling_subitem_keep_one": Case(
        [
            Apply("apply-one", {"items": [{"name": "a"}, {"name": "b", "values": ["c"]}]}),
            Apply("apply-two", {"items": [{"name": "a", "values": ["b"]}]}),
            Update(
                "controller", {"items": [{"name": "a", "values": ["b"]}, {"name": "b", "values": ["c", "d"]}]}
            ),
            Apply("apply-one", {"items": [{"name": "a"}]}),
        ],
        {"items": [{"name": "a", "values": ["b"]}]},
        {
            "apply-one": {"f:items": {k(name="a"): {".": {}, "f:name": {}}}},
            "apply-two": {"f:items": {k(name="a"): {".": {}, "f:name": {}, "f:values": {v("b"): {}}}}},
        },
    ),
    "list map/remove_one_keep_one_with_sub_item": Case(
        [
            Apply("apply-one", {"items": [{"name": "a"}, {"name": "b", "values": ["c"]}]}),
            Apply("apply-two", {"items": [{"name": "b", "values": ["d"]}]}),
            Apply("apply-one", {"items": [{"name": "a"}]}),
        ],
        {"items": [{"name": "a"}, {"name": "b", "values": ["d"]}]},
        {
            "apply-one": {"f:items": {k(name="a"): {".": {}, "f:name": {}}}},
            "apply-two": {"f:items": {k(name="b"): {".": {}, "f:name": {}, "f:values": {v("d"): {}}}}},
        },
    ),
    # key_test.go
    "list map/removing_obsolete_applied_structs": Case(
        [
            Apply("default", {"items": [{"name": "a", "value": "1"}]}),
            Apply("default", {"items": [{"name": "b", "value": "2"}]}),
        ],
        {"items": [{"name": "b", "value": "2"}]},
        {"default": {"f:items": {k(name="b"): {".": {}, "f:name": {}, "f:value": {}}}}},
    ),
    "list map/two keys (ports by containerPort and protocol)": Case(
        [
            Apply(
                "a",
                {
                    "ports": [
                        {"containerPort": 80, "protocol": "TCP", "name": "http"},
                        {"containerPort": 80, "protocol": "UDP"},
                    ]
                },
            ),
            Apply("a", {"ports": [{"containerPort": 80, "protocol": "UDP"}]}),
        ],
        {"ports": [{"containerPort": 80, "protocol": "UDP"}]},
        {
            "a": {
                "f:ports": {
                    k(containerPort=80, protocol="UDP"): {".": {}, "f:containerPort": {}, "f:protocol": {}}
                }
            }
        },
    ),
    "list map/emptied by its only applier": Case(
        [Apply("a", {"items": [{"name": "x"}]}), Apply("a", {"items": []})],
        {"items": []},
        {"a": {"f:items": {}}},
    ),
}


async def _run(api: Api, op: Apply | Update) -> tuple[int, Any]:
    if isinstance(op, Apply):
        body: dict[str, Any] = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"}}
        if op.spec is not None:
            body["spec"] = op.spec
        query = f"?fieldManager={op.manager}" + ("&force=true" if op.force else "")
        return await api.patch(f"{THINGS}/t{query}", body, content_type=APPLY_TYPE)
    status, live = await api.get(f"{THINGS}/t")
    assert status == 200, live
    return await api.put(f"{THINGS}/t?fieldManager={op.manager}", {**live, "spec": op.spec})


def _assert_owned_fields_exist(obj: dict[str, Any]) -> None:
    """After every write, each path a manager owns is in the object (SMD keeps sets within it)."""
    for entry in obj["metadata"].get("managedFields", []):
        for path in from_fields_v1(entry["fieldsV1"]):
            assert get_path(obj, path, {"properties": {"spec": THING_SPEC}})[0], (entry["manager"], path, obj)


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
async def test_apply_field_sets(api: Api, case: Case) -> None:
    status, body = await api.post(CRDS, THING_CRD)
    assert status == 201, body
    for index, op in enumerate(case.ops):
        status, body = await _run(api, op)
        if case.conflicts and index == len(case.ops) - 1:
            assert status == 409, body
            causes = [
                (c["message"].removeprefix("conflict with "), c["field"]) for c in body["details"]["causes"]
            ]
            assert causes == case.conflicts, body
        else:
            assert status in (200, 201), (op, body)
            _assert_owned_fields_exist(body)
    status, live = await api.get(f"{THINGS}/t")
    assert live.get("spec") == case.spec
    managed = {
        e["manager"]: e["fieldsV1"].get("f:spec")
        for e in live["metadata"].get("managedFields", [])
        if e["fieldsV1"].get("f:spec") is not None
    }
    assert managed == case.managed
