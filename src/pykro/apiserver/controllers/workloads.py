"""Simulated workload controllers, kwok-style: fast, deterministic, no containers.

Deployments roll out through ReplicaSets named `<deployment>-<pod-template-hash>`, ReplicaSets keep
their Pods, Pods turn Running and Ready at once, StatefulSets and DaemonSets report their replicas
ready, Jobs complete, Services get Endpoints and EndpointSlices, PVCs get Bound, and HorizontalPodAutoscalers
keep their targets within bounds (`autoscaler.py`). Each change is
an ordinary write through `Resources` (defaulted, validated, new resourceVersion, watch event), made
as the field manager `kube-controller-manager`, like the real controllers.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Callable, Coroutine
from typing import Any

from pykro.apiserver.controllers.autoscaler import HPAS, Autoscalers
from pykro.apiserver.controllers.queue import KeyQueue
from pykro.apiserver.machinery.status import ApiError
from pykro.apiserver.registry.kinds import Catalog, ServedKind
from pykro.apiserver.registry.pipeline import WriteOptions
from pykro.apiserver.registry.resources import Resources
from pykro.apiserver.storage.store import Store
from pykro.apiserver.storage.watch import Event, GroupResource
from pykro.fnv import fnv32a
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
NODE_IP = "10.0.0.1"
POD_CIDR = ipaddress.ip_network("10.244.0.0/16")
_SAFE = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery/pkg/util/rand.SafeEncodeString


def safe_encode(text: str) -> str:
    return "".join(_SAFE[ord(c) % len(_SAFE)] for c in text)


def pod_template_hash(template: Any) -> str:
    """Stable for equal templates (canonical JSON, FNV-32a), spelled as the real controller spells it."""
    return safe_encode(str(fnv32a(json.dumps(template, sort_keys=True, separators=(",", ":")).encode())))


def controller_of(obj: Obj) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if isinstance(ref, dict) and ref.get("controller"):
            return str(ref.get("uid", ""))
    return None


def owner_ref(owner: Obj, kind: ServedKind) -> Obj:
    return {
        "apiVersion": kind.api_version,
        "kind": kind.kind,
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _condition(
    kind: str, status: str, reason: str, message: str, old: list[Obj], *, with_update: bool
) -> Obj:
    """A condition whose times only move when its status, reason or message does."""
    now = now_rfc3339()
    prev = next((c for c in old if c.get("type") == kind), None)
    same = prev is not None and (prev.get("status"), prev.get("reason"), prev.get("message")) == (
        status,
        reason,
        message,
    )
    cond: Obj = {"type": kind, "status": status, "reason": reason, "message": message}
    if with_update:
        cond["lastUpdateTime"] = prev.get("lastUpdateTime", now) if same and prev is not None else now
    kept = prev is not None and prev.get("status") == status
    cond["lastTransitionTime"] = prev.get("lastTransitionTime", now) if kept and prev is not None else now
    return cond


def _nonzero(status: Obj, **counts: int) -> Obj:
    """Counts as the real status structs serialize them (`omitempty`)."""
    status.update({k: v for k, v in counts.items() if v})
    return status


def _resolve(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        scaled = int(value[:-1]) * total
        return -(-scaled // 100) if round_up else scaled // 100
    return int(value) if isinstance(value, int) else 0


def _ready(pod: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or ()
    )


def _spec(obj: Obj) -> Obj:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _pod_ref(pod: Obj) -> Obj:
    """An endpoint's `targetRef` to the pod serving it."""
    meta = pod["metadata"]
    return {"kind": "Pod", "namespace": meta.get("namespace", ""), "name": meta["name"], "uid": meta["uid"]}


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
        spec = _spec(d)
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
            elif _spec(new_rs).get("replicas") != replicas:
                await self._set_spec(
                    REPLICASETS, new_rs, lambda o: o["spec"].__setitem__("replicas", replicas)
                )
            for rs in old:
                if _spec(rs).get("replicas", 1) != 0:
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
        await self._set_status(DEPLOYMENTS, d, self._deployment_status(d, new_rs, old, replicas))

    def _new_replicaset(self, d: Obj, h: str, replicas: int, revision: int) -> Obj:
        spec = _spec(d)
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

    @staticmethod
    def _deployment_status(d: Obj, new_rs: Obj | None, old: list[Obj], replicas: int) -> Obj:
        every = ([new_rs] if new_rs is not None else []) + old
        count = {
            f: sum(int((rs.get("status") or {}).get(f, 0)) for rs in every)
            for f in ("replicas", "readyReplicas", "availableReplicas")
        }
        updated = int((new_rs.get("status") or {}).get("replicas", 0)) if new_rs is not None else 0
        strategy = _spec(d).get("strategy") or {}
        rolling = strategy.get("rollingUpdate") or {}
        max_unavailable = (
            0
            if strategy.get("type") == "Recreate"
            else _resolve(rolling.get("maxUnavailable", "25%"), replicas, False)
        )
        old_status = d.get("status") or {}
        conditions = old_status.get("conditions") or []
        rs_name = new_rs["metadata"]["name"] if new_rs is not None else ""
        available = count["availableReplicas"] >= replicas - max_unavailable
        done = (
            updated == replicas and count["replicas"] == replicas and count["availableReplicas"] == replicas
        )
        status = _nonzero(
            {"observedGeneration": d["metadata"].get("generation", 1)},
            replicas=count["replicas"],
            updatedReplicas=updated,
            readyReplicas=count["readyReplicas"],
            availableReplicas=count["availableReplicas"],
            unavailableReplicas=max(
                count["replicas"] - count["availableReplicas"], replicas - count["availableReplicas"], 0
            ),
        )
        status["conditions"] = [
            _condition(
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
                conditions,
                with_update=True,
            )
            if available
            else _condition(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
                conditions,
                with_update=True,
            ),
            _condition(
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                f'ReplicaSet "{rs_name}" has successfully progressed.',
                conditions,
                with_update=True,
            )
            if done
            else _condition(
                "Progressing",
                "True",
                "ReplicaSetUpdated",
                f'ReplicaSet "{rs_name}" is progressing.',
                conditions,
                with_update=True,
            ),
        ]
        return status

    # ReplicaSet and Pod ----------------------------------------------------------------------------
    async def _replicaset(self, ns: str, name: str) -> None:
        rs = self._live(REPLICASETS, ns, name)
        if rs is None:
            return
        want = int(_spec(rs).get("replicas", 1))
        pods = [p for p in self._owned(PODS, ns, rs) if not p["metadata"].get("deletionTimestamp")]
        for i in range(len(pods), want):
            pods.append(await self._create_pod(rs, i))
        for extra in sorted(pods, key=lambda p: p["metadata"]["name"])[want:]:
            await self.resources.delete(self._kind(PODS), ns, extra["metadata"]["name"])
            pods.remove(extra)
        ready = sum(1 for p in pods if _ready(p))
        status = _nonzero(
            {"replicas": len(pods)},
            fullyLabeledReplicas=len(pods),
            readyReplicas=ready,
            availableReplicas=ready,
        )
        status["observedGeneration"] = rs["metadata"].get("generation", 1)
        await self._set_status(REPLICASETS, rs, status)

    async def _create_pod(self, rs: Obj, index: int) -> Obj:
        ns = rs["metadata"].get("namespace", "")
        template = _spec(rs).get("template") or {}
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
            "spec": copy_json(template.get("spec") or {}),
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
        containers = _spec(pod).get("containers") or []
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
        n = int(_spec(sts).get("replicas", 1))
        revision = f"{name}-{pod_template_hash(_spec(sts).get('template'))}"
        status = _nonzero(
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
        if job is None or _spec(job).get("suspend") or (job.get("status") or {}).get("completionTime"):
            return
        now = now_rfc3339()
        completions = _spec(job).get("completions")
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
        spec = _spec(pvc)
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
        selector = _spec(svc).get("selector") if svc is not None else None
        if svc is None or not selector or _spec(svc).get("type") == "ExternalName":
            existing = self.store.get(ENDPOINTS, ns, name)
            if existing is not None and svc is None:
                await self.resources.delete(self._kind(ENDPOINTS), ns, name)
            return
        pods = [
            p
            for p in self.store.items(PODS, ns)
            if not p["metadata"].get("deletionTimestamp")
            and _ready(p)
            and all((p["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())
        ]
        ports = [
            self._endpoint_port(port, pods)
            for port in _spec(svc).get("ports") or ()
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
                for c in _spec(p).get("containers") or ()
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
        addresses = [{"ip": p["status"]["podIP"], "targetRef": _pod_ref(p)} for p in pods]
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
                    "targetRef": _pod_ref(p),
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
