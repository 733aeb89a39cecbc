"""How a platform team tests its RGD: pykro's pytest plugin gives each test a `kro` cluster
(an embedded API server with the controller), so this runs in CI with no cluster at all.

    pytest examples/config-rollout
"""

from pathlib import Path

HERE = Path(__file__).parent


def test_instance_gets_its_resources(kro):
    kro.apply(HERE / "rgd.yaml")
    kro.wait_rgd_active("configrollout.kro.run")

    kro.apply(HERE / "instance.yaml", namespace=kro.namespace)
    instance = kro.wait_instance("ConfigRollout", "demo")

    kinds = sorted(child["kind"] for child in kro.children(instance))
    assert kinds == ["ConfigMap", "Deployment", "Secret"]
    deployment = kro.get("apps/v1", "Deployment", "demo")
    assert deployment["spec"]["replicas"] == 2
    assert instance["status"]["availableReplicas"] == 2


def test_password_change_rolls_the_deployment(kro):
    kro.apply(HERE / "rgd.yaml")
    kro.wait_rgd_active("configrollout.kro.run")
    instance = {
        "apiVersion": "kro.run/v1alpha1",
        "kind": "ConfigRollout",
        "metadata": {"name": "demo"},
        "spec": {"password": "first"},
    }
    kro.apply(instance)
    kro.wait_instance("ConfigRollout", "demo")

    def template_version():
        deployment = kro.get("apps/v1", "Deployment", "demo")
        return deployment["spec"]["template"]["metadata"]["annotations"]["example.com/secret-version"]

    before = template_version()
    instance["spec"]["password"] = "second"
    kro.apply(instance)

    def changed_secret():
        secret = kro.get("v1", "Secret", "demo-credentials")
        return secret if secret["metadata"]["resourceVersion"] != before else None

    secret = kro.wait_for(changed_secret, what="the Secret to change")
    kro.wait_for(
        lambda: template_version() == secret["metadata"]["resourceVersion"],
        what="the pod template to carry the new Secret version",
    )
    kro.wait_instance("ConfigRollout", "demo")
