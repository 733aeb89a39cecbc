"""Rolling only on content changes, checked as a platform team would check it (pykro's pytest plugin,
no cluster needed):

    pytest examples/config-rollout-content-hash
"""

from pathlib import Path

HERE = Path(__file__).parent


def replica_sets(kro):
    return kro.list("apps/v1", "ReplicaSet", label_selector="app=demo")


def template_hashes(kro):
    deployment = kro.get("apps/v1", "Deployment", "demo")
    return deployment["spec"]["template"]["metadata"]["annotations"]


def test_a_label_edit_does_not_roll_but_a_data_change_does(kro):
    kro.apply(HERE / "rgd.yaml")
    kro.wait_rgd_active("contentrollout.kro.run")
    kro.apply(HERE / "instance.yaml", namespace=kro.namespace)
    kro.wait_instance("ContentRollout", "demo")
    before = template_hashes(kro)
    assert len(replica_sets(kro)) == 1

    # A write that leaves the data alone: the Secret's resourceVersion moves, its hash does not.
    kro.kubectl("label", "secret", "demo-credentials", "-n", kro.namespace, "rotated-by=nobody")
    kro.kubectl("annotate", "configmap", "demo-config", "-n", kro.namespace, "note=hello")
    # A reconcile that surely saw both writes: the replicas change goes out after them.
    kro.apply(
        {
            "apiVersion": "kro.run/v1alpha1",
            "kind": "ContentRollout",
            "metadata": {"name": "demo"},
            "spec": {"password": "s3cr3t", "replicas": 3},
        }
    )
    kro.wait_for(lambda: kro.get("apps/v1", "Deployment", "demo")["spec"]["replicas"] == 3, what="3 replicas")
    assert template_hashes(kro) == before
    assert len(replica_sets(kro)) == 1

    # A real change: the password (the Secret's data) rolls the Deployment once.
    kro.apply(
        {
            "apiVersion": "kro.run/v1alpha1",
            "kind": "ContentRollout",
            "metadata": {"name": "demo"},
            "spec": {"password": "rotated", "replicas": 3},
        }
    )
    kro.wait_for(
        lambda: template_hashes(kro)["example.com/secret-hash"] != before["example.com/secret-hash"],
        what="the pod template to carry the new Secret hash",
    )
    assert template_hashes(kro)["example.com/config-hash"] == before["example.com/config-hash"]
    kro.wait_for(lambda: len(replica_sets(kro)) == 2, what="one new ReplicaSet")
    kro.wait_instance("ContentRollout", "demo")
