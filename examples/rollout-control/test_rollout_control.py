"""What a platform team would check of its own rollout settings, with pykro's pytest plugin and no
cluster:

    pytest examples/rollout-control
"""

from pathlib import Path

HERE = Path(__file__).parent


def test_a_config_edit_rolls_once_and_says_why(kro):
    kro.apply(HERE / "rgd.yaml")
    kro.wait_rgd_active("rolloutcontrol.kro.run")
    kro.apply(HERE / "instance.yaml", namespace=kro.namespace)
    kro.wait_instance("ControlledRollout", "demo")

    # Two quick edits by hand, inside the RGD's 5 s debounce window: one rollout, not two.
    kro.kubectl("label", "configmap", "demo-config", "-n", kro.namespace, "edited=once")
    kro.kubectl("label", "secret", "demo-credentials", "-n", kro.namespace, "edited=once")

    def cause():
        deployment = kro.get("apps/v1", "Deployment", "demo")
        return (deployment["metadata"].get("annotations") or {}).get("pykro.dev/last-rollout-cause")

    message = kro.wait_for(cause, timeout=30, what="the rollout to be recorded")
    assert message.startswith("pod template changed: ")
    assert f"ConfigMap {kro.namespace}/demo-config resourceVersion" in message
    assert f"Secret {kro.namespace}/demo-credentials resourceVersion" in message
    replica_sets = kro.list("apps/v1", "ReplicaSet", label_selector="app=demo")
    assert len(replica_sets) == 2  # the first, and one for both edits

    instance = kro.wait_instance("ControlledRollout", "demo")
    assert instance["status"]["rollouts"]["deployment"]["cause"] == message
