"""Server-side apply and managedFields tracking."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pykro.apiserver.machinery.fieldpath import from_fields_v1, path_to_string, to_field_set, to_fields_v1
from pykro.apiserver.machinery.managedfields import manager_from_user_agent, parse_managed_fields
from pykro.apiserver.registry.apply import ApplyConflict, ApplyError, server_side_apply, update_managed_fields
from tests.apiserver.conftest import Api
from tests.apiserver.test_strategicmerge import DEPLOYMENT, deployment

T0, T1, T2 = "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"


def entry(obj: dict[str, Any], manager: str) -> dict[str, Any]:
    return next(e for e in obj["metadata"]["managedFields"] if e["manager"] == manager)


def test_create_records_fields_v1_like_kubernetes() -> None:
    result = server_side_apply(None, deployment(), manager="kro", force=False, schema=DEPLOYMENT, now=T0)
    assert result.changed
    e = entry(result.obj, "kro")
    assert e["operation"] == "Apply" and e["apiVersion"] == "apps/v1" and e["time"] == T0
    assert e["fieldsType"] == "FieldsV1"
    fields = e["fieldsV1"]
    assert fields["f:metadata"] == {"f:labels": {"f:app": {}}}
    assert fields["f:spec"]["f:selector"] == {}  # atomic map: owned as a whole
    containers = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]
    main = containers['k:{"name":"main"}']
    assert main["."] == {} and main["f:image"] == {} and main["f:name"] == {}
    assert 'k:{"containerPort":80,"protocol":"TCP"}' in main["f:ports"]
    assert "f:apiVersion" not in fields and "f:name" not in fields["f:metadata"]


def test_fields_v1_round_trip() -> None:
    fields = to_field_set(deployment(), DEPLOYMENT)
    assert from_fields_v1(to_fields_v1(fields)) == fields
    assert path_to_string(
        ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"main"}', "f:image")
    ) == ('.spec.template.spec.containers[name="main"].image')
    assert path_to_string(("f:metadata", "f:finalizers", 'v:"a"')) == '.metadata.finalizers[="a"]'


def test_reapply_identical_is_noop() -> None:
    first = server_side_apply(None, deployment(), manager="kro", force=False, schema=DEPLOYMENT, now=T0).obj
    again = server_side_apply(first, deployment(), manager="kro", force=False, schema=DEPLOYMENT, now=T1)
    assert not again.changed
    assert again.obj == first
    assert entry(again.obj, "kro")["time"] == T0


def test_update_then_apply_conflict_message_and_force() -> None:
    created = update_managed_fields(
        None, deployment(), "kubectl-client-side-apply", schema=DEPLOYMENT, now=T0
    )
    e = entry(created, "kubectl-client-side-apply")
    assert e["operation"] == "Update"
    assert e["fieldsV1"]["f:metadata"]["f:labels"] == {".": {}, "f:app": {}}
    with pytest.raises(ApplyConflict) as info:
        server_side_apply(
            created, deployment(replicas=5), manager="kro", force=False, schema=DEPLOYMENT, now=T1
        )
    err = info.value
    assert str(err) == (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: '
        ".spec.replicas"
    )
    assert err.causes() == [
        {
            "type": "FieldManagerConflict",
            "field": ".spec.replicas",
            "message": 'conflict with "kubectl-client-side-apply" using apps/v1',
        }
    ]
    forced = server_side_apply(
        created, deployment(replicas=5), manager="kro", force=True, schema=DEPLOYMENT, now=T1
    )
    assert forced.obj["spec"]["replicas"] == 5
    other = entry(forced.obj, "kubectl-client-side-apply")["fieldsV1"]
    assert "f:replicas" not in other["f:spec"]
    assert "f:replicas" in entry(forced.obj, "kro")["fieldsV1"]["f:spec"]


def test_multiple_conflicts_message() -> None:
    created = update_managed_fields(None, deployment(), "kubectl-edit", schema=DEPLOYMENT, now=T0)
    with pytest.raises(ApplyConflict) as info:
        server_side_apply(
            created,
            deployment(image="nginx:2", replicas=9),
            manager="kro",
            force=False,
            schema=DEPLOYMENT,
            now=T1,
        )
    assert str(info.value) == (
        'Apply failed with 2 conflicts: conflicts with "kubectl-edit" using apps/v1:\n'
        "- .spec.replicas\n"
        '- .spec.template.spec.containers[name="main"].image'
    )


def test_same_value_is_shared_not_conflict() -> None:
    created = update_managed_fields(None, deployment(), "kubectl-create", schema=DEPLOYMENT, now=T0)
    result = server_side_apply(created, deployment(), manager="kro", force=False, schema=DEPLOYMENT, now=T1)
    assert result.changed  # kro now co-owns fields, managedFields change
    assert result.obj["spec"] == created["spec"]
    assert "f:replicas" in entry(result.obj, "kubectl-create")["fieldsV1"]["f:spec"]


def test_dropped_field_removed_unless_owned_by_other() -> None:
    first = server_side_apply(None, deployment(), manager="a", force=False, schema=DEPLOYMENT, now=T0).obj
    config = deployment()
    config["metadata"]["labels"]["team"] = "x"
    both = server_side_apply(first, config, manager="a", force=False, schema=DEPLOYMENT, now=T1).obj
    assert both["metadata"]["labels"] == {"app": "web", "team": "x"}
    # manager b co-owns `team`; when a drops it, it stays
    b_config = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"team": "x"}},
    }
    shared = server_side_apply(both, b_config, manager="b", force=False, schema=DEPLOYMENT, now=T1).obj
    dropped = server_side_apply(shared, deployment(), manager="a", force=False, schema=DEPLOYMENT, now=T2).obj
    assert dropped["metadata"]["labels"] == {"app": "web", "team": "x"}
    # without b, dropping removes it
    alone = server_side_apply(both, deployment(), manager="a", force=False, schema=DEPLOYMENT, now=T2).obj
    assert alone["metadata"]["labels"] == {"app": "web"}


def test_list_map_items_merge_and_prune() -> None:
    first = server_side_apply(None, deployment(), manager="kro", force=False, schema=DEPLOYMENT, now=T0).obj
    # another writer adds a container and a field on kro's container
    edited = copy.deepcopy(first)
    edited["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "Always"
    edited["spec"]["template"]["spec"]["containers"].append({"name": "debug", "image": "alpine"})
    edited = update_managed_fields(first, edited, "kubectl-edit", schema=DEPLOYMENT, now=T1)
    config = deployment()
    del config["spec"]["template"]["spec"]["containers"][1]  # drop "side"
    out = server_side_apply(edited, config, manager="kro", force=False, schema=DEPLOYMENT, now=T2).obj
    names = [c["name"] for c in out["spec"]["template"]["spec"]["containers"]]
    assert names == ["main", "debug"]
    assert out["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"


def test_set_and_atomic_lists() -> None:
    config = deployment()
    config["metadata"]["finalizers"] = ["a", "b"]
    config["spec"]["template"]["spec"]["containers"][0]["args"] = ["x", "y"]
    first = server_side_apply(None, config, manager="kro", force=False, schema=DEPLOYMENT, now=T0).obj
    meta = entry(first, "kro")["fieldsV1"]["f:metadata"]
    assert set(meta["f:finalizers"]) == {'v:"a"', 'v:"b"'}
    other = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "finalizers": ["c"]}}
    merged = server_side_apply(first, other, manager="other", force=False, schema=DEPLOYMENT, now=T1).obj
    assert merged["metadata"]["finalizers"] == ["a", "b", "c"]
    other_args = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "main", "args": ["z"]}]}}},
    }
    with pytest.raises(ApplyConflict, match=r'containers\[name="main"\]\.args'):
        server_side_apply(first, other_args, manager="other", force=False, schema=DEPLOYMENT, now=T1)


def test_update_transfers_ownership() -> None:
    first = server_side_apply(None, deployment(), manager="kro", force=False, schema=DEPLOYMENT, now=T0).obj
    first["metadata"]["generation"] = 1
    edited = copy.deepcopy(first)
    edited["spec"]["replicas"] = 7
    edited["metadata"]["generation"] = 2  # the server's bump belongs to no manager
    out = update_managed_fields(first, edited, "kubectl-scale", schema=DEPLOYMENT, now=T1)
    assert "f:replicas" not in entry(out, "kro")["fieldsV1"]["f:spec"]
    assert entry(out, "kubectl-scale")["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    # kro re-applying its old value now conflicts with the scaler
    with pytest.raises(ApplyConflict, match='"kubectl-scale" using apps/v1: .spec.replicas'):
        server_side_apply(out, deployment(), manager="kro", force=False, schema=DEPLOYMENT, now=T2)
    # no-op update keeps managedFields
    assert update_managed_fields(out, copy.deepcopy(out), "x", schema=DEPLOYMENT, now=T2) == out


def test_untyped_preserve_unknown_maps_are_granular() -> None:
    schema = {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        },
    }
    obj = {
        "apiVersion": "x.io/v1",
        "kind": "X",
        "metadata": {"name": "a"},
        "spec": {"a": {"b": 1}, "l": [1, 2]},
    }
    first = server_side_apply(None, obj, manager="m1", force=False, schema=schema, now=T0).obj
    assert entry(first, "m1")["fieldsV1"]["f:spec"] == {"f:a": {"f:b": {}}, "f:l": {}}
    second = {"apiVersion": "x.io/v1", "kind": "X", "metadata": {"name": "a"}, "spec": {"a": {"c": 2}}}
    out = server_side_apply(first, second, manager="m2", force=False, schema=schema, now=T1).obj
    assert out["spec"]["a"] == {"b": 1, "c": 2}


def test_bad_configs() -> None:
    with pytest.raises(ApplyError, match=r"\.spec\.bogus: field not declared in schema"):
        server_side_apply(
            None,
            {**deployment(), "spec": {"bogus": 1}},
            manager="kro",
            force=False,
            schema=DEPLOYMENT,
            now=T0,
        )
    with pytest.raises(ApplyError, match="fieldManager: Required value"):
        server_side_apply(None, deployment(), manager="", force=False, schema=DEPLOYMENT, now=T0)


def test_managed_fields_parse_and_user_agent() -> None:
    obj = server_side_apply(None, deployment(), manager="kro", force=False, schema=DEPLOYMENT, now=T0).obj
    [parsed] = parse_managed_fields(obj)
    assert parsed.manager == "kro" and parsed.describe() == '"kro"'
    assert manager_from_user_agent("kubectl/v1.32.0 (linux/amd64) kubernetes/abc") == "kubectl"


names = st.sampled_from(["main", "side", "x"])
containers = st.lists(
    st.fixed_dictionaries(
        {"name": names}, optional={"image": st.sampled_from(["a", "b"]), "args": st.lists(names, max_size=2)}
    ),
    max_size=3,
    unique_by=lambda c: c["name"],
)
configs = st.builds(
    lambda labels, replicas, cs, fins: {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": labels, "finalizers": fins},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": cs}}},
    },
    st.dictionaries(names, names, max_size=2),
    st.one_of(st.none(), st.integers(0, 3)),
    containers,
    st.lists(names, max_size=2, unique=True),
)


@settings(max_examples=150, deadline=None)
@given(a=configs, b=configs, force=st.booleans())
def test_random_applies_end_cleanly_and_reapply_is_noop(
    a: dict[str, Any], b: dict[str, Any], force: bool
) -> None:
    live = server_side_apply(None, a, manager="m1", force=False, schema=DEPLOYMENT, now=T0).obj
    try:
        result = server_side_apply(live, b, manager="m2", force=force, schema=DEPLOYMENT, now=T1)
    except ApplyConflict as err:
        assert not force and err.conflicts
        return
    again = server_side_apply(result.obj, b, manager="m2", force=force, schema=DEPLOYMENT, now=T2)
    assert not again.changed and again.obj == result.obj


def test_status_subresource_resets() -> None:
    config = {**deployment(), "status": {"replicas": 4}}
    main = server_side_apply(
        None, config, manager="kro", force=False, schema=DEPLOYMENT, now=T0, status_subresource=True
    ).obj
    assert "status" not in main and "f:status" not in entry(main, "kro")["fieldsV1"]
    status = server_side_apply(
        main,
        config,
        manager="kro",
        force=False,
        schema=DEPLOYMENT,
        now=T1,
        subresource="status",
        status_subresource=True,
    ).obj
    assert status["status"] == {"replicas": 4}
    status_entry = next(e for e in status["metadata"]["managedFields"] if e.get("subresource") == "status")
    assert status_entry["fieldsV1"] == {"f:status": {"f:replicas": {}}}
    assert status["spec"] == main["spec"]
    updated = copy.deepcopy(status)
    updated["status"]["replicas"] = 5
    updated["spec"]["replicas"] = 9  # ignored by a status write
    tracked = update_managed_fields(
        status,
        updated,
        "controller",
        schema=DEPLOYMENT,
        now=T2,
        subresource="status",
        status_subresource=True,
    )
    ctl = next(e for e in tracked["metadata"]["managedFields"] if e["manager"] == "controller")
    assert ctl["fieldsV1"] == {"f:status": {"f:replicas": {}}} and ctl["subresource"] == "status"


def test_client_sent_managed_fields() -> None:
    first = server_side_apply(None, deployment(), manager="kro", force=False, schema=DEPLOYMENT, now=T0).obj
    stripped = copy.deepcopy(first)
    stripped["metadata"]["managedFields"] = []
    stripped["spec"]["replicas"] = 4
    out = update_managed_fields(first, stripped, "kubectl-edit", schema=DEPLOYMENT, now=T1)
    assert [e["manager"] for e in out["metadata"]["managedFields"]] == ["kubectl-edit"]
    bogus = copy.deepcopy(first)
    bogus["metadata"]["managedFields"] = [{"operation": "Explode"}]
    kept = update_managed_fields(first, bogus, "kubectl-edit", schema=DEPLOYMENT, now=T1)
    assert kept["metadata"]["managedFields"] == first["metadata"]["managedFields"]
    absent = copy.deepcopy(first)
    del absent["metadata"]["managedFields"]
    assert update_managed_fields(first, absent, "x", schema=DEPLOYMENT, now=T1) == first


async def test_applying_an_empty_map_removes_the_keys_the_manager_applied(api: Api) -> None:
    """kube-apiserver's structured-merge-diff: after `data: {}` the manager owns `f:data` only, so the
    keys it applied before, owned by no one else, are removed (kro relies on this to drop fields)."""
    path = "/api/v1/namespaces/default/configmaps/emptied?fieldManager=m"
    apply = "application/apply-patch+yaml"
    first = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "emptied"},
        "data": {"a": "1", "b": "2"},
    }
    status, _ = await api.patch(path, first, content_type=apply)
    assert status == 201
    status, obj = await api.patch(path, {**first, "data": {}}, content_type=apply)
    assert status == 200
    assert obj.get("data", {}) == {}
    [entry] = [e for e in obj["metadata"]["managedFields"] if e["manager"] == "m"]
    assert entry["fieldsV1"] == {"f:data": {}}
    # Keys another manager set stay, and stay theirs.
    await api.patch(path.replace("=m", "=other"), {**first, "data": {"c": "3"}}, content_type=apply)
    status, obj = await api.patch(path, {**first, "data": {}}, content_type=apply)
    assert obj["data"] == {"c": "3"}
