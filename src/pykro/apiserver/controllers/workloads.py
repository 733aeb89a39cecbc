"""Simulated workload controllers, kwok-style: fast, deterministic, no containers.

Deployments roll out through ReplicaSets named `<deployment>-<pod-template-hash>`, ReplicaSets keep
their Pods, Pods turn Running and Ready at once, StatefulSets and DaemonSets report their replicas
ready, Jobs complete, Services get Endpoints and EndpointSlices, PVCs get Bound, and
HorizontalPodAutoscalers keep their targets within bounds (`autoscaler.py`); the arithmetic that needs
no store is in `objects.py`. Each change is an ordinary write through `Resources` (defaulted,
validated, new resourceVersion, watch event), made as the field manager `kube-controller-manager`,
like the real controllers.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
from collections.abc import Callable, Coroutine
from typing import Any

from pykro.apiserver.controllers.autoscaler import HPAS, Autoscalers
from pykro.apiserver.controllers.node import NODE_IP, NODE_NAME
from pykro.apiserver.controllers.objects import (
    controller_of,
    deployment_status,
    nonzero_counts,
    owner_ref,
    pod_ready,
    pod_ref,
    pod_template_hash,
    safe_encode,
    spec_of,
)
from pykro.apiserver.controllers.queue import KeyQueue
from pykro.apiserver.machinery.status import ApiError
from pykro.apiserver.registry.kinds import Catalog, ServedKind
from pykro.apiserver.registry.pipeline import WriteOptions
from pykro.apiserver.registry.resources import Resources
from pykro.apiserver.storage.store import Store
from pykro.apiserver.storage.watch import Event, GroupResource
from pykro.jsontypes import copy_json
from pykro.timestamps import now_rfc3339

Obj = dict[str, Any]
Key = tuple[GroupResource, str, str]

DEPLOYMENTS: GroupResource = ("apps", "deployments")
REPLICASETS: GroupResource = ("apps", "replicasets")
STATEFULSETS: GroupResource = ("apps", "statefulsets")
DAEMONSETS: GroupResource = ("apps", "daemonsets")
PODS: GroupResource = ("", "pods")
SERVICES: GroupResource = ("", "services")
ENDPOINTS: GroupResource = ("", "endpoints")
SLICES: GroupResource = ("discovery.k8s.io", "endpointslices")
JOBS: GroupResource = ("batch", "jobs")
PVCS: GroupResource = ("", "persistentvolumeclaims")
WATCHED = (DEPLOYMENTS, REPLICASETS, STATEFULSETS, DAEMONSETS, PODS, SERVICES, JOBS, PVCS, HPAS)

MANAGER = WriteOptions(field_manager="kube-controller-manager")
HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
POD_CIDR = ipaddress.ip_network("10.244.0.0/16")
# kube-controller-manager's ReplicaSet controller creates or deletes at most this many Pods per sync
BURST_REPLICAS = 500


def _replicas(obj: Obj) -> int:
    return int(spec_of(obj).get("replicas", 1))


class Workloads:
    def __init__(self, store: Store, catalog: Catalog, resources: Resources, delay: float = 0.0) -> None:
        self.store = store
        self.catalog = catalog
        self.resources = resources
        self.queue: KeyQueue[Key] = KeyQueue("workloads", self._reconcile, delay)
        self._handlers: dict[GroupResource, Callable[[str, str], Coroutine[Any, Any, None]]] = {
            DEPLOYMENTS: self._deployment,
            REPLICASETS: self._replicaset,
            PODS: self._pod,
            STATEFULSETS: self._statefulset,
            DAEMONSETS: self._daemonset,
            JOBS: self._job,
            SERVICES: self._service,
            PVCS: self._pvc,
            HPAS: self._hpa,
        }
        self.autoscalers = Autoscalers(store, catalog, resources)
        self._next_ip = 0

    # wiring ----------------------------------------------------------------------------------------
    def start(self) -> None:
        used = {p.get("status", {}).get("podIP") for p in self.store.items(PODS)}
        self._next_ip = len(used)
        self.store.log.listeners.append(self._on_event)
        for gr in WATCHED:
            for obj in self.store.items(gr):
                self.queue.add((gr, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]))
        self.queue.start()

    async def stop(self) -> None:
        if self._on_event in self.store.log.listeners:
            self.store.log.listeners.remove(self._on_event)
        await self.queue.stop()

    def _on_event(self, ev: Event) -> None:
        meta = ev.obj["metadata"]
        ns = meta.get("namespace", "")
        if ev.gr != HPAS:  # a scale target changed (or went): its autoscalers look again
            for hpa in self.autoscalers.watching(ev.gr, ns, meta["name"]):
                self.queue.add((HPAS, ns, hpa))
        if ev.gr not in self._handlers:
            return
        if ev.type != "DELETED":
            self.queue.add((ev.gr, ns, meta["name"]))
        if ev.gr in (REPLICASETS, PODS):
            self._enqueue_owner(ev.obj, ns)
        if ev.gr == PODS:
            for svc in self.store.items(SERVICES, ns):
                self.queue.add((SERVICES, ns, svc["metadata"]["name"]))
        elif ev.gr == SERVICES and ev.type == "DELETED":
            self.queue.add((SERVICES, ns, meta["name"]))

    def _enqueue_owner(self, obj: Obj, ns: str) -> None:
        for ref in obj["metadata"].get("ownerReferences") or ():
            if (
                isinstance(ref, dict)
                and ref.get("controller")
                and ref.get("kind") in ("Deployment", "ReplicaSet")
            ):
                gr = DEPLOYMENTS if ref["kind"] == "Deployment" else REPLICASETS
                self.queue.add((gr, ns, str(ref.get("name", ""))))

    async def _reconcile(self, key: Key) -> None:
        gr, ns, name = key
        await self._handlers[gr](ns, name)

    def _kind(self, gr: GroupResource) -> ServedKind:
        kind = self.catalog.preferred(*gr)
        assert kind is not None, gr
        return kind

    def _live(self, gr: GroupResource, ns: str, name: str) -> Obj | None:
        obj = self.store.get(gr, ns, name)
        if obj is None or obj["metadata"].get("deletionTimestamp"):
            return None
        return obj

    def _owned(self, gr: GroupResource, ns: str, owner: Obj) -> list[Obj]:
        uid = owner["metadata"]["uid"]
        return [o for o in self.store.items(gr, ns) if controller_of(o) == uid]

    async def _set_status(self, gr: GroupResource, obj: Obj, status: Obj) -> None:
        if obj.get("status") == status:
            return
        new = {**obj, "status": status}
        await self.resources.update(
            self._kind(gr),
            obj["metadata"].get("namespace", ""),
            obj["metadata"]["name"],
            new,
            subresource="status",
            options=MANAGER,
        )

    async def _set_spec(self, gr: GroupResource, obj: Obj, change: Callable[[Obj], None]) -> None:
        new = copy_json(obj)
        change(new)
        if new != obj:
            await self.resources.update(
                self._kind(gr),
                obj["metadata"].get("namespace", ""),
                obj["metadata"]["name"],
                new,
                options=MANAGER,
            )

    # Deployment ------------------------------------------------------------------------------------
    async def _deployment(self, ns: str, name: str) -> None:
        d = self._live(DEPLOYMENTS, ns, name)
        if d is None:
            return
        spec = spec_of(d)
        replicas = int(spec.get("replicas", 1))
        template = spec.get("template") or {}
        h = pod_template_hash(template)
        owned = self._owned(REPLICASETS, ns, d)
        new_rs = next((rs for rs in owned if (rs["metadata"].get("labels") or {}).get(HASH_LABEL) == h), None)
        old = [rs for rs in owned if rs is not new_rs]
        revision = 1 + max(
            (int((rs["metadata"].get("annotations") or {}).get(REVISION, "0") or 0) for rs in owned),
            default=0,
        )
        if not spec.get("paused"):
            if new_rs is None:
                new_rs, _ = await self.resources.create(
                    self._kind(REPLICASETS), ns, self._new_replicaset(d, h, replicas, revision), MANAGER
                )
            elif spec_of(new_rs).get("replicas") != replicas:
                await self._set_spec(
                    REPLICASETS, new_rs, lambda o: o["spec"].__setitem__("replicas", replicas)
                )
            for rs in old:
                if spec_of(rs).get("replicas", 1) != 0:
                    await self._set_spec(REPLICASETS, rs, lambda o: o["spec"].__setitem__("replicas", 0))
            current = (d["metadata"].get("annotations") or {}).get(REVISION)
            wanted = (new_rs["metadata"].get("annotations") or {}).get(REVISION)
            if wanted and current != wanted:
                await self._set_spec(
                    DEPLOYMENTS,
                    d,
                    lambda o: o["metadata"].setdefault("annotations", {}).__setitem__(REVISION, wanted),
                )
                return  # the write re-enqueues this deployment; status follows on the fresh object
        await self._set_status(DEPLOYMENTS, d, deployment_status(d, new_rs, old, replicas))

    def _new_replicaset(self, d: Obj, h: str, replicas: int, revision: int) -> Obj:
        spec = spec_of(d)
        template = copy_json(spec.get("template") or {})
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = h
        selector = copy_json(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = h
        return {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{d['metadata']['name']}-{h}",
                "labels": dict(template["metadata"]["labels"]),
                "annotations": {REVISION: str(revision)},
                "ownerReferences": [owner_ref(d, self._kind(DEPLOYMENTS))],
            },
            "spec": {
                "replicas": replicas,
                "minReadySeconds": spec.get("minReadySeconds", 0),
                "selector": selector,
                "template": template,
            },
        }

    async def _replicaset(self, ns: str, name: str) -> None:
        rs = self._live(REPLICASETS, ns, name)
        if rs is None:
            return
        want = _replicas(rs)
        pods = [p for p in self._owned(PODS, ns, rs) if not p["metadata"].get("deletionTimestamp")]
        if len(pods) < want:
            pods += await self._slow_start(rs, len(pods), min(want - len(pods), BURST_REPLICAS))
        for extra in sorted(pods, key=lambda p: p["metadata"]["name"])[want:][:BURST_REPLICAS]:
            await self.resources.delete(self._kind(PODS), ns, extra["metadata"]["name"])
            pods.remove(extra)
        if self._live(REPLICASETS, ns, name) is not rs:
            return  # changed or gone meanwhile: its own event has queued the next round
        if len(pods) != want:
            self.queue.add((REPLICASETS, ns, name))  # the next burst, after other work had its turn
        ready = sum(1 for p in pods if pod_ready(p))
        status = nonzero_counts(
            {"replicas": len(pods)},
            fullyLabeledReplicas=len(pods),
            readyReplicas=ready,
            availableReplicas=ready,
        )
        status["observedGeneration"] = rs["metadata"].get("generation", 1)
        await self._set_status(REPLICASETS, rs, status)

    async def _slow_start(self, rs: Obj, have: int, count: int) -> list[Obj]:
        """Up to `count` new Pods in batches of 1, 2, 4, ... as kube's ReplicaSet controller creates them,
        stopping as soon as the ReplicaSet is gone, being deleted or wants no more."""
        meta = rs["metadata"]
        created: list[Obj] = []
        batch = 1
        while len(created) < count:
            for _ in range(min(batch, count - len(created))):
                created.append(await self._create_pod(rs, have + len(created)))
            batch *= 2
            await asyncio.sleep(0)  # let requests (a delete, a scale-down) in between batches
            current = self._live(REPLICASETS, meta.get("namespace", ""), meta["name"])
            if current is None or current["metadata"]["uid"] != meta["uid"]:
                break
            if _replicas(current) <= have + len(created):
                break
        return created

    async def _create_pod(self, rs: Obj, index: int) -> Obj:
        ns = rs["metadata"].get("namespace", "")
        template = spec_of(rs).get("template") or {}
        tmeta = template.get("metadata") or {}
        attempt = index
        while True:  # names derive from the owner and a counter: deterministic, and unique
            suffix = safe_encode(hashlib.sha256(f"{rs['metadata']['uid']}/{attempt}".encode()).hexdigest())[
                :5
            ]
            name = f"{rs['metadata']['name']}-{suffix}"
            if self.store.get(PODS, ns, name) is None:
                break
            attempt += 1
        meta: Obj = {
            "name": name,
            "generateName": f"{rs['metadata']['name']}-",
            "labels": dict(tmeta.get("labels") or {}),
            "ownerReferences": [owner_ref(rs, self._kind(REPLICASETS))],
        }
        if tmeta.get("annotations"):
            meta["annotations"] = dict(tmeta["annotations"])
        body = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": {**copy_json(template.get("spec") or {}), "nodeName": NODE_NAME},  # bound to the node
        }
        pod, _ = await self.resources.create(self._kind(PODS), ns, body, MANAGER)
        return pod

    async def _pod(self, ns: str, name: str) -> None:
        pod = self._live(PODS, ns, name)
        if pod is None or (pod.get("status") or {}).get("phase") not in (None, "Pending"):
            return
        now = now_rfc3339()
        ip = str(POD_CIDR.network_address + 2 + self._next_ip % (POD_CIDR.num_addresses - 4))
        self._next_ip += 1
        containers = spec_of(pod).get("containers") or []
        status: Obj = {
            "phase": "Running",
            "conditions": [
                {"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": now}
                for t in (
                    "PodReadyToStartContainers",
                    "Initialized",
                    "Ready",
                    "ContainersReady",
                    "PodScheduled",
                )
            ],
            "hostIP": NODE_IP,
            "hostIPs": [{"ip": NODE_IP}],
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "startTime": now,
            "qosClass": "BestEffort",
            "containerStatuses": [
                {
                    "name": c.get("name", ""),
                    "image": c.get("image", ""),
                    "imageID": "",
                    "containerID": f"pykro://{pod['metadata']['uid']}/{c.get('name', '')}",
                    "ready": True,
                    "started": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": now}},
                }
                for c in containers
                if isinstance(c, dict)
            ],
        }
        await self._set_status(PODS, pod, status)

    # StatefulSet, DaemonSet, Job, PVC --------------------------------------------------------------
    async def _statefulset(self, ns: str, name: str) -> None:
        sts = self._live(STATEFULSETS, ns, name)
        if sts is None:
            return
        n = int(spec_of(sts).get("replicas", 1))
        revision = f"{name}-{pod_template_hash(spec_of(sts).get('template'))}"
        status = nonzero_counts(
            {"replicas": n, "observedGeneration": sts["metadata"].get("generation", 1)},
            readyReplicas=n,
            currentReplicas=n,
            updatedReplicas=n,
            availableReplicas=n,
        )
        status.update(currentRevision=revision, updateRevision=revision, collisionCount=0)
        await self._set_status(STATEFULSETS, sts, status)

    async def _daemonset(self, ns: str, name: str) -> None:
        ds = self._live(DAEMONSETS, ns, name)
        if ds is None:
            return
        status = {
            "currentNumberScheduled": 1,
            "desiredNumberScheduled": 1,
            "numberAvailable": 1,
            "numberMisscheduled": 0,
            "numberReady": 1,
            "updatedNumberScheduled": 1,
            "observedGeneration": ds["metadata"].get("generation", 1),
        }
        await self._set_status(DAEMONSETS, ds, status)

    async def _job(self, ns: str, name: str) -> None:
        job = self._live(JOBS, ns, name)
        if job is None or spec_of(job).get("suspend") or (job.get("status") or {}).get("completionTime"):
            return
        now = now_rfc3339()
        completions = spec_of(job).get("completions")
        status = {
            "startTime": (job.get("status") or {}).get("startTime", now),
            "completionTime": now,
            "succeeded": int(completions) if isinstance(completions, int) else 1,
            "ready": 0,
            "terminating": 0,
            "uncountedTerminatedPods": {},
            "conditions": [
                {
                    "type": "SuccessCriteriaMet",
                    "status": "True",
                    "reason": "CompletionsReached",
                    "message": "Reached expected number of succeeded pods",
                    "lastProbeTime": now,
                    "lastTransitionTime": now,
                },
                {
                    "type": "Complete",
                    "status": "True",
                    "reason": "CompletionsReached",
                    "message": "Reached expected number of succeeded pods",
                    "lastProbeTime": now,
                    "lastTransitionTime": now,
                },
            ],
        }
        await self._set_status(JOBS, job, status)

    async def _pvc(self, ns: str, name: str) -> None:
        pvc = self._live(PVCS, ns, name)
        if pvc is None or (pvc.get("status") or {}).get("phase") == "Bound":
            return
        spec = spec_of(pvc)
        status: Obj = {"phase": "Bound", "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"])}
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        if storage is not None:
            status["capacity"] = {"storage": storage}
        await self._set_status(PVCS, pvc, status)

    async def _hpa(self, ns: str, name: str) -> None:
        await self.autoscalers.reconcile(ns, name)

    # Service endpoints -----------------------------------------------------------------------------
    async def _service(self, ns: str, name: str) -> None:
        svc = self._live(SERVICES, ns, name)
        selector = spec_of(svc).get("selector") if svc is not None else None
        if svc is None or not selector or spec_of(svc).get("type") == "ExternalName":
            existing = self.store.get(ENDPOINTS, ns, name)
            if existing is not None and svc is None:
                await self.resources.delete(self._kind(ENDPOINTS), ns, name)
            return
        pods = [
            p
            for p in self.store.items(PODS, ns)
            if not p["metadata"].get("deletionTimestamp")
            and pod_ready(p)
            and all((p["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())
        ]
        ports = [
            self._endpoint_port(port, pods)
            for port in spec_of(svc).get("ports") or ()
            if isinstance(port, dict)
        ]
        await self._endpoints(svc, pods, ports)
        await self._endpoint_slice(svc, pods, ports)

    @staticmethod
    def _endpoint_port(port: Obj, pods: list[Obj]) -> Obj:
        target = port.get("targetPort", port.get("port"))
        if isinstance(target, str):  # a named container port
            named = [
                cp.get("containerPort")
                for p in pods
                for c in spec_of(p).get("containers") or ()
                for cp in c.get("ports") or ()
                if cp.get("name") == target
            ]
            target = named[0] if named else port.get("port")
        out: Obj = {"port": target, "protocol": port.get("protocol", "TCP")}
        if port.get("name"):
            out["name"] = port["name"]
        return out

    async def _endpoints(self, svc: Obj, pods: list[Obj], ports: list[Obj]) -> None:
        ns, name = svc["metadata"].get("namespace", ""), svc["metadata"]["name"]
        addresses = [{"ip": p["status"]["podIP"], "targetRef": pod_ref(p)} for p in pods]
        body: Obj = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name}}
        if svc["metadata"].get("labels"):
            body["metadata"]["labels"] = dict(svc["metadata"]["labels"])
        if addresses and ports:
            body["subsets"] = [{"addresses": addresses, "ports": ports}]
        await self._upsert(ENDPOINTS, ns, name, body)

    async def _endpoint_slice(self, svc: Obj, pods: list[Obj], ports: list[Obj]) -> None:
        ns, name = svc["metadata"].get("namespace", ""), svc["metadata"]["name"]
        slice_name = f"{name}-{safe_encode(svc['metadata']['uid'])[:5]}"
        body: Obj = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "addressType": "IPv4",
            "metadata": {
                "name": slice_name,
                "labels": {
                    "kubernetes.io/service-name": name,
                    "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                },
                "ownerReferences": [owner_ref(svc, self._kind(SERVICES))],
            },
            "endpoints": [
                {
                    "addresses": [p["status"]["podIP"]],
                    "conditions": {"ready": True, "serving": True, "terminating": False},
                    "targetRef": pod_ref(p),
                }
                for p in pods
            ],
            "ports": ports,
        }
        await self._upsert(SLICES, ns, slice_name, body)

    async def _upsert(self, gr: GroupResource, ns: str, name: str, body: Obj) -> None:
        kind = self._kind(gr)
        current = self.store.get(gr, ns, name)
        if current is None:
            try:
                await self.resources.create(kind, ns, body, MANAGER)
            except ApiError as err:
                if err.code != 403:  # a terminating namespace takes no new objects
                    raise
            return
        new = copy_json(current)
        for key, value in body.items():
            if key != "metadata":
                new[key] = value
        if "subsets" not in body:
            new.pop("subsets", None)
        if body["metadata"].get("labels") or new["metadata"].get("labels"):
            new["metadata"]["labels"] = body["metadata"].get("labels", {})
        if new != current:
            await self.resources.update(kind, ns, name, new, options=MANAGER)
