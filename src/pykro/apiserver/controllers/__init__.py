"""The cluster controllers a bare API server lacks, simulated in-process as clients of the registry:
the garbage collector, the workload controllers (Deployment, ReplicaSet, Pod, StatefulSet, DaemonSet,
Job) and the HorizontalPodAutoscaler, each draining a de-duplicating `KeyQueue`."""
