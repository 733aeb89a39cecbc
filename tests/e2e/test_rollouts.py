"""pykro's rollout extensions end to end, driven through kubectl on the embedded server: why each
rollout happened, one rollout for a burst of changes, and a budget of rollouts in flight per RGD
that survives a controller restart."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import yaml

from pykro.controller.manager import Manager, ManagerOptions
from pykro.schema.gvk import GVK
from tests.controller.rgd.helpers import Env, cluster, kubectl, wait_for

DEPLOYMENT = GVK("apps", "v1", "Deployment")
OPTIONS = ManagerOptions(requeue_interval=0.5)


def rgd(kind: str, annotations: dict[str, str]) -> dict[str, Any]:
    """A Secret and a ConfigMap whose resourceVersions roll a Deployment (no readiness gate, so a
    Deployment nobody rolls out still leaves its instance ACTIVE)."""
    return {
        "apiVersion": "kro.run/v1alpha1",
        "kind": "ResourceGraphDefinition",
        "metadata": {"name": f"{kind.lower()}.kro.run", "annotations": annotations},
        "spec": {
            "schema": {
                "apiVersion": "v1alpha1",
                "kind": kind,
                "spec": {"password": 'string | default="p"', "replicas": "integer | default=1"},
            },
            "resources": [
                {
                    "id": "secret",
                    "template": {
                        "apiVersion": "v1",
                        "kind": "Secret",
                        "metadata": {"name": "${schema.metadata.name}-credentials"},
                        "stringData": {"password": "${schema.spec.password}"},
                    },
                },
                {
                    "id": "config",
                    "template": {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": {"name": "${schema.metadata.name}-config"},
                        "data": {"LOG_LEVEL": "info"},
                    },
                },
                {
                    "id": "deployment",
                    "template": {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "metadata": {"name": "${schema.metadata.name}"},
                        "spec": {
                            "replicas": "${schema.spec.replicas}",
                            "selector": {"matchLabels": {"app": "${schema.metadata.name}"}},
                            "template": {
                                "metadata": {
                                    "labels": {"app": "${schema.metadata.name}"},
                                    "annotations": {
                                        "example.com/secret": "${secret.metadata.resourceVersion}",
                                        "example.com/config": "${config.metadata.resourceVersion}",
                                    },
                                },
                                "spec": {"containers": [{"name": "app", "image": "nginx"}]},
                            },
                        },
                    },
                },
            ],
        },
    }


async def get(env: Env, *args: str) -> Any:
    return json.loads(await kubectl(env, "get", *args, "-o", "json"))


async def apply(env: Env, obj: dict[str, Any]) -> None:
    await kubectl(env, "apply", "-f", "-", stdin=yaml.safe_dump(obj))


async def start(env: Env, kind: str, annotations: dict[str, str], names: list[str]) -> None:
    await apply(env, rgd(kind, annotations))
    await env.wait_active(f"{kind.lower()}.kro.run", timeout=30)
    for name in names:
        await apply(
            env,
            {
                "apiVersion": "kro.run/v1alpha1",
                "kind": kind,
                "metadata": {"name": name, "namespace": "default"},
            },
        )
    for name in names:
        await wait_for(lambda n=name: state(env, kind, n, "ACTIVE"), timeout=30, what=f"{name} ACTIVE")


async def state(env: Env, kind: str, name: str, want: str) -> dict[str, Any] | None:
    obj = await get(env, kind.lower(), name, "-n", "default")
    return obj if (obj.get("status") or {}).get("state") == want else None


def resources_ready(instance: dict[str, Any]) -> dict[str, Any]:
    for c in instance["status"]["conditions"]:
        if c["type"] == "ResourcesReady":
            return dict(c)
    return {}


async def template(env: Env, name: str) -> dict[str, str]:
    deployment = await get(env, "deployment", name, "-n", "default")
    return dict(deployment["spec"]["template"]["metadata"]["annotations"])


async def replica_sets(env: Env, name: str) -> int:
    listed = await get(env, "replicasets", "-n", "default", "-l", f"app={name}")
    return len(listed["items"])


async def events(env: Env, kind: str, name: str, reason: str) -> list[dict[str, Any]]:
    selector = f"involvedObject.kind={kind},involvedObject.name={name},reason={reason}"
    return list((await get(env, "events", "-n", "default", "--field-selector", selector))["items"])


async def test_every_rollout_says_why_in_events_an_annotation_and_the_instance_status() -> None:
    async with cluster(OPTIONS) as env:
        await start(env, "Recorded", {"pykro.dev/rollout-record": "true"}, ["demo"])
        before = await template(env, "demo")
        config = await get(env, "configmap", "demo-config", "-n", "default")
        old_rv = config["metadata"]["resourceVersion"]
        await kubectl(env, "label", "configmap", "demo-config", "-n", "default", "touched=yes")
        new_rv = (await get(env, "configmap", "demo-config", "-n", "default"))["metadata"]["resourceVersion"]

        async def rolled() -> dict[str, str] | None:
            now = await template(env, "demo")
            return now if now["example.com/config"] == new_rv else None

        await wait_for(rolled, timeout=20, what="the pod template to follow the ConfigMap")
        expected = f"pod template changed: ConfigMap default/demo-config resourceVersion {old_rv} → {new_rv}"
        deployment = await get(env, "deployment", "demo", "-n", "default")
        assert deployment["metadata"]["annotations"]["pykro.dev/last-rollout-cause"] == expected
        assert before["example.com/secret"] == (await template(env, "demo"))["example.com/secret"]
        on_instance = await wait_for(
            lambda: events(env, "Recorded", "demo", "RolloutTriggered"), what="Event"
        )
        on_workload = await wait_for(
            lambda: events(env, "Deployment", "demo", "RolloutTriggered"), what="Event"
        )
        assert [e["message"] for e in on_instance] == [expected]
        assert [e["message"] for e in on_workload] == [expected]

        async def recorded() -> dict[str, Any] | None:
            instance = await get(env, "recorded", "demo", "-n", "default")
            return (instance["status"].get("rollouts") or {}).get("deployment")

        last = await wait_for(recorded, what="status.rollouts")
        assert last["cause"] == expected and last["workload"] == "Deployment default/demo"

        # A spec change names the Secret it rewrote and the spec field behind it.
        await kubectl(
            env,
            "patch",
            "recorded",
            "demo",
            "-n",
            "default",
            "--type=merge",
            "-p",
            '{"spec":{"password":"q"}}',
        )

        async def second() -> str | None:
            d = await get(env, "deployment", "demo", "-n", "default")
            cause = str(d["metadata"]["annotations"]["pykro.dev/last-rollout-cause"])
            return cause if cause != expected else None

        cause = await wait_for(second, timeout=20, what="a second recorded rollout")
        assert cause.startswith("pod template changed: Secret default/demo-credentials resourceVersion ")
        assert cause.endswith("; Recorded default/demo spec.password changed")


async def test_a_burst_of_changes_within_the_debounce_window_is_one_rollout() -> None:
    annotations = {"pykro.dev/rollout-record": "true", "pykro.dev/rollout-debounce": "4s"}
    async with cluster(OPTIONS) as env:
        await start(env, "Burst", annotations, ["demo"])
        await wait_for(lambda: replica_sets(env, "demo"), what="the first ReplicaSet")
        assert await replica_sets(env, "demo") == 1
        for i in range(6):  # both inputs, several times, well inside the window
            target = "secret/demo-credentials" if i % 2 else "configmap/demo-config"
            await kubectl(env, "label", target, "-n", "default", f"round={i}", "--overwrite")

        async def gathering() -> dict[str, Any] | None:
            instance = await state(env, "Burst", "demo", "IN_PROGRESS")
            return (
                instance if instance and resources_ready(instance)["reason"] == "RolloutCoalescing" else None
            )

        waiting = await wait_for(gathering, timeout=10, what="the instance to report the wait")
        assert "resource 'deployment': gathering pod-template changes" in resources_ready(waiting)["message"]
        secret_rv = (await get(env, "secret", "demo-credentials", "-n", "default"))["metadata"][
            "resourceVersion"
        ]
        config_rv = (await get(env, "configmap", "demo-config", "-n", "default"))["metadata"][
            "resourceVersion"
        ]

        async def rolled_once() -> dict[str, str] | None:
            now = await template(env, "demo")
            return (
                now
                if (now["example.com/secret"], now["example.com/config"]) == (secret_rv, config_rv)
                else None
            )

        await wait_for(rolled_once, timeout=20, what="one rollout carrying both latest versions")
        await wait_for(lambda: state(env, "Burst", "demo", "ACTIVE"), timeout=20, what="ACTIVE again")
        assert await replica_sets(env, "demo") == 2  # the first and exactly one more
        cause = (await get(env, "deployment", "demo", "-n", "default"))["metadata"]["annotations"][
            "pykro.dev/last-rollout-cause"
        ]
        assert "Secret default/demo-credentials" in cause and "ConfigMap default/demo-config" in cause


async def complete_rollout(env: Env, name: str) -> None:
    """Play the Deployment controller (the server simulates no workloads here): the rollout is done."""
    deployment = await env.client.get(DEPLOYMENT, name, namespace="default")
    n = deployment["spec"].get("replicas", 1)
    status = {
        "observedGeneration": deployment["metadata"]["generation"],
        "replicas": n,
        "updatedReplicas": n,
        "readyReplicas": n,
        "availableReplicas": n,
    }
    await kubectl(
        env,
        "patch",
        "deployment",
        name,
        "-n",
        "default",
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps({"status": status}),
    )


async def test_a_rollout_budget_holds_template_changes_in_line_and_survives_a_restart() -> None:
    annotations = {"pykro.dev/rollout-max-concurrent": "1", "pykro.dev/rollout-record": "true"}
    names = ["a", "b", "c"]
    async with cluster(OPTIONS, workloads=False) as env:
        await start(env, "Budgeted", annotations, names)
        originals = {n: await template(env, n) for n in names}
        for name in names:
            await kubectl(env, "label", "configmap", f"{name}-config", "-n", "default", "rotated=yes")

        async def rolled() -> list[str]:
            return [n for n in names if await template(env, n) != originals[n]]

        first = await wait_for(rolled, timeout=20, what="one Deployment to roll")

        async def throttled() -> list[str] | None:
            messages = []
            for n in names:
                if n in first:
                    continue
                instance = await get(env, "budgeted", n, "-n", "default")
                cond = resources_ready(instance)
                if instance["status"]["state"] != "IN_PROGRESS" or cond.get("reason") != "RolloutThrottled":
                    return None
                messages.append(cond["message"])
            places = sorted(m.split("place ")[1].split(" in line")[0] for m in messages)
            return messages if places == ["1 of 2", "2 of 2"] else None

        messages = await wait_for(throttled, timeout=20, what="the others to wait in line")
        assert len(first) == 1
        assert all("1 of 1 workloads of this ResourceGraphDefinition rolling" in m for m in messages)

        # A change that does not touch the pod template is never held back.
        waiting = [n for n in names if n not in first]
        await kubectl(
            env,
            "patch",
            "budgeted",
            waiting[0],
            "-n",
            "default",
            "--type=merge",
            "-p",
            '{"spec":{"replicas":3}}',
        )

        async def scaled() -> bool:
            d = await get(env, "deployment", waiting[0], "-n", "default")
            return bool(d["spec"]["replicas"] == 3)

        await wait_for(scaled, timeout=20, what="the replicas change to go through")
        assert await template(env, waiting[0]) == originals[waiting[0]]

        # A new controller derives the slots in use from the cluster: the others keep waiting.
        assert env.manager is not None
        await env.manager.stop()
        env.manager = Manager(env.server.kubeconfig_path, OPTIONS)
        await env.manager.start()
        await asyncio.sleep(2.0)  # several reconciles of every instance
        assert await rolled() == first

        done = list(first)
        while len(done) < len(names):
            await complete_rollout(env, done[-1])

            async def next_one(seen: int = len(done)) -> list[str] | None:
                now = await rolled()
                return now if len(now) > seen else None

            now = await wait_for(next_one, timeout=20, what="the next Deployment to roll")
            assert len(now) == len(done) + 1, now  # one at a time
            done = [*done, *[n for n in now if n not in done]]
        await complete_rollout(env, done[-1])
        for name in names:
            await wait_for(
                lambda n=name: state(env, "Budgeted", n, "ACTIVE"), timeout=20, what=f"{name} ACTIVE"
            )


async def test_an_invalid_rollout_annotation_is_ignored_with_a_warning_on_the_rgd() -> None:
    async with cluster(OPTIONS) as env:
        await start(env, "Misconfigured", {"pykro.dev/rollout-debounce": "soon"}, [])

        async def warned() -> list[dict[str, Any]]:
            selector = "involvedObject.kind=ResourceGraphDefinition,reason=InvalidRolloutAnnotation"
            return list((await get(env, "events", "-A", "--field-selector", selector))["items"])

        found = await wait_for(warned, timeout=20, what="the Warning")
        assert found[0]["type"] == "Warning"
        assert found[0]["message"] == (
            "ignored: pykro.dev/rollout-debounce: want a duration such as 5s or 2m (at most 3600s), "
            "got 'soon'"
        )


async def test_a_rollout_that_never_completes_frees_its_slot_after_the_timeout() -> None:
    annotations = {"pykro.dev/rollout-max-concurrent": "1", "pykro.dev/rollout-timeout": "3s"}
    names = ["one", "two"]
    async with cluster(OPTIONS, workloads=False) as env:  # nothing ever completes a rollout here
        await start(env, "Stuck", annotations, names)
        originals = {n: await template(env, n) for n in names}
        for name in names:
            await kubectl(env, "label", "configmap", f"{name}-config", "-n", "default", "rotated=yes")

        async def rolled() -> list[str]:
            return [n for n in names if await template(env, n) != originals[n]]

        first = await wait_for(rolled, timeout=20, what="one Deployment to roll")
        assert len(first) == 1
        # Neither rollout completes; once the first holds its slot longer than 3 s, the second goes.
        both = await wait_for(lambda: _all(rolled, names), timeout=30, what="the second after the timeout")
        assert sorted(both) == names


async def _all(rolled: Any, names: list[str]) -> list[str] | None:
    now: list[str] = await rolled()
    return now if len(now) == len(names) else None
