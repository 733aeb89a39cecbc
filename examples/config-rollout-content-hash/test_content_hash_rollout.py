"""The content-hash pattern, tested as a platform team would (pykro's pytest plugin gives each test a
`kro` cluster: an embedded API server with the controller, and kubectl pointed at it).

    pytest examples/config-rollout-content-hash
"""

from pathlib import Path

HERE = Path(__file__).parent
HASH_ANNOTATION = "example.com/secret-hash"


def start(kro):
    """The RGD and the example instance, ACTIVE (its Deployment rolled out once)."""
    kro.apply(HERE / "rgd.yaml")
    kro.wait_rgd_active("configrollouthash.kro.run")
    kro.apply(HERE / "instance.yaml", namespace=kro.namespace)
    return kro.wait_instance("ConfigRolloutHash", "demo")


def pod_template_hash(kro):
    deployment = kro.get("apps/v1", "Deployment", "demo")
    return deployment["spec"]["template"]["metadata"]["annotations"][HASH_ANNOTATION]


def replica_sets(kro):
    return kro.list("apps/v1", "ReplicaSet", label_selector="app=demo")


def secret_version(kro):
    return kro.get("v1", "Secret", "demo-credentials")["metadata"]["resourceVersion"]


def instance_saw(kro, version):
    """The instance's status reports the Secret at `version`: the controller has reconciled since."""
    instance = kro.get("kro.run/v1alpha1", "ConfigRolloutHash", "demo")
    return instance.get("status", {}).get("secretVersion") == version


def test_a_label_on_the_secret_does_not_roll_the_deployment(kro):
    instance = start(kro)
    template_hash = pod_template_hash(kro)
    assert instance["status"]["secretHash"] == template_hash
    generation = kro.get("apps/v1", "Deployment", "demo")["metadata"]["generation"]
    assert len(replica_sets(kro)) == 1

    kro.kubectl("label", "secret", "demo-credentials", "team=payments", "-n", kro.namespace)
    labelled = secret_version(kro)
    kro.wait_for(lambda: instance_saw(kro, labelled), what="the controller to read the labelled Secret")

    assert pod_template_hash(kro) == template_hash
    assert kro.get("apps/v1", "Deployment", "demo")["metadata"]["generation"] == generation
    assert len(replica_sets(kro)) == 1
    shown = kro.kubectl("get", "configrollouthash", "demo", "-n", kro.namespace, "-o", "jsonpath={.status}")
    assert template_hash in shown.stdout, "the README's kubectl commands work as written"


def test_a_data_change_rolls_the_deployment(kro):
    start(kro)
    template_hash = pod_template_hash(kro)
    assert len(replica_sets(kro)) == 1

    kro.apply(
        {
            "apiVersion": "kro.run/v1alpha1",
            "kind": "ConfigRolloutHash",
            "metadata": {"name": "demo"},
            "spec": {"password": "n3w-s3cr3t"},
        }
    )
    kro.wait_for(lambda: pod_template_hash(kro) != template_hash, what="a new hash in the pod template")
    kro.wait_for(lambda: len(replica_sets(kro)) == 2, what="a second ReplicaSet")
    instance = kro.wait_instance("ConfigRolloutHash", "demo")
    assert instance["status"]["secretHash"] == pod_template_hash(kro)


def test_a_data_edit_by_hand_rolls_the_deployment(kro):
    start(kro)
    template_hash = pod_template_hash(kro)

    kro.kubectl(
        "patch",
        "secret",
        "demo-credentials",
        "-n",
        kro.namespace,
        "--type=merge",
        "-p",
        '{"stringData":{"extra":"x"}}',
    )
    kro.wait_for(lambda: pod_template_hash(kro) != template_hash, what="a new hash in the pod template")
    kro.wait_for(lambda: len(replica_sets(kro)) == 2, what="a second ReplicaSet")
