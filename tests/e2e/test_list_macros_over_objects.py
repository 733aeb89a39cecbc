"""CEL list macros and kro's list functions over lists of objects, as an RGD author uses them on an
externalRef collection of ConfigMaps: sortBy, map, filter, exists_one, sort, indexOf, distinct, slice,
join, transformList and two-variable all, typed at build time and evaluated on live objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pykro.kube import NotFound
from pykro.schema.gvk import GVK
from tests.controller.rgd.helpers import cluster, wait_for

CM = GVK("", "v1", "ConfigMap")
RGD = yaml.safe_load((Path(__file__).parent / "data" / "sorted-rgd.yaml").read_text())


async def test_macros_over_an_external_collection_of_configmaps() -> None:
    async with cluster() as env:
        for name, k in (("b", "2"), ("a", "1"), ("c", "3")):
            await env.client.create(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": name, "namespace": "default", "labels": {"app": "x"}},
                    "data": {"k": k},
                }
            )
        await env.client.create(RGD)
        await env.wait_active("sorted.kro.run", timeout=30)
        await env.client.create(
            {
                "apiVersion": "kro.run/v1alpha1",
                "kind": "Sorted",
                "metadata": {"name": "s", "namespace": "default"},
                "spec": {"app": "x"},
            }
        )

        async def data(want: dict[str, str]) -> dict[str, Any] | None:
            cm = await env.client.get(CM, "s-sorted", namespace="default")
            return cm if cm.get("data") == want else None

        expected = {
            "names": "a,b,c",
            "values": "1,2,3",
            "first": "a",
            "count": "1",
            "one": "true",
            "idx": "0",
            "d": "3",
            "sl": "1",
            "two": "true",
        }
        found = await wait_for(
            lambda: _data_has(env, expected), timeout=30, what=f"the sorted data {expected}"
        )
        # An external collection has no order of its own; transformList keeps whatever it has.
        assert sorted(found["data"]["tl"].split(",")) == ["a", "b", "c"]
        # A new member re-sorts.
        await env.client.create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "0", "namespace": "default", "labels": {"app": "x"}},
                "data": {"k": "0"},
            }
        )
        resorted = {**expected, "names": "0,a,b,c", "values": "0,1,2,3", "first": "0", "idx": "1", "d": "4"}
        await wait_for(lambda: _data_has(env, resorted), timeout=30, what=f"the re-sorted data {resorted}")


async def _data_has(env: Any, want: dict[str, str]) -> dict[str, Any] | None:
    cm = await env.client.get(CM, "s-sorted", namespace="default")
    data = cm.get("data") or {}
    return cm if all(data.get(k) == v for k, v in want.items()) else None


async def test_macros_over_spec_lists_of_objects_and_foreach_outputs() -> None:
    rgd = yaml.safe_load((Path(__file__).parent / "data" / "speclist-rgd.yaml").read_text())
    items = [{"name": "b", "weight": 2}, {"name": "a", "weight": 1}, {"name": "c", "weight": 3}]
    async with cluster() as env:
        await env.client.create(rgd)
        await env.wait_active("speclist.kro.run", timeout=30)
        await env.client.create(
            {
                "apiVersion": "kro.run/v1alpha1",
                "kind": "SpecList",
                "metadata": {"name": "s", "namespace": "default"},
                "spec": {"items": items},
            }
        )

        async def out() -> dict[str, Any] | None:
            try:
                cm = await env.client.get(CM, "s-out", namespace="default")
            except NotFound:
                return None
            return cm["data"] if "parts" in (cm.get("data") or {}) else None

        data = await wait_for(
            out, timeout=30, what="the ConfigMap built from the spec list and the collection"
        )
        assert data == {
            "names": "a,b,c",
            "heavy": "b,c",
            "one": "true",
            "d": "3",
            "tl": "b0,a1,c2",
            "first": "a",
            "parts": "1,2,3",
            "partcount": "2",
        }
