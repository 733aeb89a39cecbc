"""The write pipeline hook: mutating and validating steps run on every write path."""

from __future__ import annotations

from pykro.apiserver.machinery.status import Cause, invalid
from pykro.apiserver.registry.pipeline import WriteContext
from tests.apiserver.conftest import Api, cm

CMS = "/api/v1/namespaces/default/configmaps"


async def test_steps_default_and_reject_on_every_write(api: Api) -> None:
    seen: list[tuple[str, str, str]] = []

    def default_data(ctx: WriteContext) -> None:
        seen.append((ctx.operation, ctx.subresource, ctx.options.patch_type))
        if ctx.kind.kind == "ConfigMap":
            ctx.obj.setdefault("data", {}).setdefault("defaulted", "yes")

    def forbid_bad(ctx: WriteContext) -> None:
        if (ctx.obj.get("data") or {}).get("bad"):
            raise invalid(
                ctx.kind.kind,
                ctx.kind.group,
                ctx.obj["metadata"]["name"],
                [Cause("data.bad", "Forbidden: no")],
            )

    api.server.pipeline.mutating.append(default_data)
    api.server.pipeline.validating.append(forbid_bad)

    status, c = await api.post(CMS, cm("p", {"a": "1"}))
    assert status == 201 and c["data"] == {"a": "1", "defaulted": "yes"}
    status, err = await api.patch(f"{CMS}/p", {"data": {"bad": "x"}})
    assert status == 422 and err["details"]["causes"][0]["field"] == "data.bad"
    status, err = await api.post(CMS, cm("q", {"bad": "1"}))
    assert status == 422
    assert (await api.get(f"{CMS}/q"))[0] == 404
    _, got = await api.get(f"{CMS}/p")
    assert got["data"] == {"a": "1", "defaulted": "yes"}
    assert ("CREATE", "", "") in seen and ("UPDATE", "", "application/merge-patch+json") in seen
