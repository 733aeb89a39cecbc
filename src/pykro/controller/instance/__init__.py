"""The instance controller: reconciles instances of every registered RGD kind (spec §5).

Entry point (`pykro.controller.instance.controllers`), used by the manager; this package imports
nothing itself, so its light modules (label selectors, ApplySet) load without the controllers:

    controllers = InstanceControllers(client, watches, workers=4, requeue_interval=3.0, metrics=None)
    await controllers.register(graph, rgd_uid)   # start serving graph.instance_gvk, or swap its graph;
                                                 # every existing instance is enqueued
    await controllers.mark_unresolved(gvk, rgd_uid, message, retry=False)
                                                 # no usable graph: instances report GraphResolved=False
    controllers.instance_count(gvk) -> int       # instances currently known (refuse RGD deletion if > 0)
    await controllers.unregister(gvk)            # stop serving the kind (instances are left as they are)
    await controllers.stop()                     # stop everything (workers, informers this owns)

- `client`: `pykro.kube.KubeClient`; `watches`: the shared `pykro.toolkit.WatchManager`
  (metadata-only informers). One work queue serves every instance kind; keys are
  `ObjectRef(instance_gvk, namespace, name)`.
- `register` with a graph of the same `spec_hash` and RGD uid as the served one is a no-op.
- `metrics`: a `RuntimeMetrics`; the queue/reconcile metrics go there, plus
  `instance_state_transitions_total{gvr,from_state,to_state}`.
- `requeue_interval`: the delayed requeue where no watch event would come (pending data not traced
  to a watched object, prune UID conflicts, a graph still compiling, deletion waves); 0 disables it.
  Propagation never depends on it: every object an instance reads or writes is watched and its
  events re-queue the instance at once. A reconcile whose apply responses show every node ready
  reports ACTIVE at once (no upstream "cluster mutated" pass).
- Writes: one SSA of the instance metadata (finalizer, labels, ApplySet inventory; field manager
  `kro.run/labeller`) only when something is missing, one apply per child that would change, one
  status write per real status change; none in steady state.
"""
