"""ValidatingAdmissionPolicy and its bindings, enforced by the embedded server, through kubectl.

Each test runs in its own namespace, labelled `vap-test: <namespace>`, and scopes its bindings to it,
so the policies of one test never touch another's requests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from pykro.apiserver import EmbeddedAPIServer
from tests.apiserver.conftest import KUBECTL, KubectlIn, ThreadedServer

API = "admissionregistration.k8s.io/v1"
DEPLOYMENTS = {
    "apiGroups": ["apps"],
    "apiVersions": ["v1"],
    "operations": ["CREATE", "UPDATE"],
    "resources": ["deployments"],
}
CONFIGMAPS = {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["*"], "resources": ["configmaps"]}


@pytest.fixture(scope="module")
def vap_server() -> Iterator[EmbeddedAPIServer]:
    """A server of this module's own: its policies are cluster-wide."""
    if shutil.which(KUBECTL) is None:
        pytest.skip(f"{KUBECTL} not found")
    with ThreadedServer(workloads=False) as srv:
        yield srv


@contextmanager
def scoped(server: EmbeddedAPIServer, namespace: str) -> Iterator[KubectlIn]:
    k = KubectlIn(server, namespace)
    k.run("create", "namespace", namespace)
    k.run("label", "namespace", namespace, f"vap-test={namespace}")
    try:
        yield k
    finally:
        k.run("delete", "vap,vapb", "-l", f"vap-test={namespace}", check=False)


def vap(
    name: str, namespace: str, rule: dict[str, Any], validations: list[Any], **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name, "labels": {"vap-test": namespace}},
        "spec": {"matchConstraints": {"resourceRules": [rule]}, "validations": validations, **spec},
    }


def binding(name: str, namespace: str, actions: list[str], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name + "-binding", "labels": {"vap-test": namespace}},
        "spec": {
            "policyName": name,
            "validationActions": actions,
            "matchResources": {"namespaceSelector": {"matchLabels": {"vap-test": namespace}}},
            **spec,
        },
    }


def install(k: KubectlIn, policy: dict[str, Any], bound: dict[str, Any]) -> None:
    k.apply(policy)
    k.apply(bound)


def test_deny_refuses_with_kube_message_and_lifts_when_binding_deleted(vap_server: EmbeddedAPIServer) -> None:
    with scoped(vap_server, "vap-deny") as k:
        rule = [{"expression": "object.spec.replicas <= 5"}]
        install(
            k,
            vap("max-replicas", "vap-deny", DEPLOYMENTS, rule),
            binding("max-replicas", "vap-deny", ["Deny"]),
        )
        refused = k.run("create", "deployment", "web", "--image=nginx", "--replicas=6", check=False)
        assert refused.returncode != 0
        assert (
            "deployments.apps \"web\" is forbidden: ValidatingAdmissionPolicy 'max-replicas' with binding "
            "'max-replicas-binding' denied request: failed expression: object.spec.replicas <= 5"
        ) in refused.stderr
        k.run("create", "deployment", "small", "--image=nginx", "--replicas=2")
        k.run("delete", "validatingadmissionpolicybinding", "max-replicas-binding")
        k.run("create", "deployment", "web", "--image=nginx", "--replicas=6")
        assert k.get("deployment", "web")["spec"]["replicas"] == 6


def test_warn_prints_kubectl_warning_and_admits(vap_server: EmbeddedAPIServer) -> None:
    with scoped(vap_server, "vap-warn") as k:
        rule = [{"expression": "object.spec.replicas <= 5", "message": "at most 5 replicas"}]
        install(
            k,
            vap("warn-replicas", "vap-warn", DEPLOYMENTS, rule),
            binding("warn-replicas", "vap-warn", ["Warn"]),
        )
        made = k.run("create", "deployment", "web", "--image=nginx", "--replicas=6")
        assert (
            "Warning: Validation failed for ValidatingAdmissionPolicy 'warn-replicas' with binding "
            "'warn-replicas-binding': at most 5 replicas"
        ) in made.stderr
        assert k.get("deployment", "web")["spec"]["replicas"] == 6


def test_reason_forbidden_message_expression_and_variables(vap_server: EmbeddedAPIServer) -> None:
    with scoped(vap_server, "vap-msg") as k:
        rule = [
            {
                "expression": "variables.owner != ''",
                "reason": "Forbidden",
                "messageExpression": "'configmap ' + object.metadata.name + ' needs an owner label'",
            }
        ]
        variables = [{"name": "owner", "expression": "object.metadata.?labels.?owner.orValue('')"}]
        rules = {**CONFIGMAPS, "operations": ["CREATE"]}
        policy = vap("owner", "vap-msg", rules, rule, variables=variables)
        install(k, policy, binding("owner", "vap-msg", ["Deny"]))
        refused = k.run("create", "configmap", "orphan", check=False)
        assert (
            "configmaps \"orphan\" is forbidden: ValidatingAdmissionPolicy 'owner' with binding"
            in refused.stderr
        )
        assert "denied request: configmap orphan needs an owner label" in refused.stderr
        k.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "owned", "labels": {"owner": "me"}},
            }
        )


def test_params_from_configmap_and_parameter_not_found(vap_server: EmbeddedAPIServer) -> None:
    with scoped(vap_server, "vap-params") as k:
        rule = [
            {
                "expression": "object.spec.replicas <= int(params.data.max)",
                "messageExpression": "'max ' + params.data.max",
            }
        ]
        policy = vap(
            "param-max", "vap-params", DEPLOYMENTS, rule, paramKind={"apiVersion": "v1", "kind": "ConfigMap"}
        )
        ref = {"name": "limits", "namespace": "vap-params", "parameterNotFoundAction": "Deny"}
        install(k, policy, binding("param-max", "vap-params", ["Deny"], paramRef=ref))
        missing = k.run("create", "deployment", "web", "--image=nginx", "--replicas=1", check=False)
        assert (
            "denied request: failed to configure binding: no params found for policy binding with `Deny` "
            "parameterNotFoundAction"
        ) in missing.stderr
        k.run("create", "configmap", "limits", "--from-literal=max=3")
        refused = k.run("create", "deployment", "web", "--image=nginx", "--replicas=4", check=False)
        assert "denied request: max 3" in refused.stderr
        k.run("create", "deployment", "web", "--image=nginx", "--replicas=3")


def test_match_conditions_and_object_selector(vap_server: EmbeddedAPIServer) -> None:
    with scoped(vap_server, "vap-cond") as k:
        rule = [{"expression": "false", "message": "no protected configmaps"}]
        conditions = [{"name": "protected", "expression": "object.metadata.name.startsWith('protected-')"}]
        policy = vap("cond", "vap-cond", CONFIGMAPS, rule, matchConditions=conditions)
        install(k, policy, binding("cond", "vap-cond", ["Deny"]))
        k.run("create", "configmap", "plain")
        refused = k.run("create", "configmap", "protected-a", check=False)
        assert "denied request: no protected configmaps" in refused.stderr


def test_failure_policy_on_runtime_error(vap_server: EmbeddedAPIServer) -> None:
    with scoped(vap_server, "vap-fail") as k:
        rule = [{"expression": "object.data.missing == 'x'"}]
        rules = {**CONFIGMAPS, "operations": ["CREATE"]}
        install(k, vap("strict", "vap-fail", rules, rule), binding("strict", "vap-fail", ["Deny"]))
        refused = k.run("create", "configmap", "a", "--from-literal=k=v", check=False)
        assert (
            "denied request: expression 'object.data.missing == 'x'' resulted in error: no such key: missing"
        ) in refused.stderr
        k.apply(vap("strict", "vap-fail", rules, rule, failurePolicy="Ignore"))
        k.run("create", "configmap", "a", "--from-literal=k=v")


def test_delete_is_admitted_with_old_object(vap_server: EmbeddedAPIServer) -> None:
    with scoped(vap_server, "vap-del") as k:
        k.run("create", "configmap", "keep", "--from-literal=locked=true")
        rule = [{"expression": "object == null && oldObject.data.locked != 'true'", "message": "locked"}]
        rules = {**CONFIGMAPS, "operations": ["DELETE"]}
        install(k, vap("locked", "vap-del", rules, rule), binding("locked", "vap-del", ["Deny"]))
        refused = k.run("delete", "configmap", "keep", check=False)
        assert "denied request: locked" in refused.stderr
        assert k.get("configmap", "keep")["data"]["locked"] == "true"


def test_namespace_selector_leaves_other_namespaces_alone(vap_server: EmbeddedAPIServer) -> None:
    with scoped(vap_server, "vap-ns") as k:
        rule = [{"expression": "false", "message": "closed"}]
        install(k, vap("closed", "vap-ns", CONFIGMAPS, rule), binding("closed", "vap-ns", ["Deny"]))
        assert "denied request: closed" in k.run("create", "configmap", "x", check=False).stderr
        other = KubectlIn(vap_server, "vap-ns-other")
        other.run("create", "namespace", "vap-ns-other")
        other.run("create", "configmap", "x")


def test_policy_objects_are_validated(vap_server: EmbeddedAPIServer) -> None:
    k = KubectlIn(vap_server)
    bad = vap("bad", "none", CONFIGMAPS, [{"expression": "obj.x >"}])
    out = k.apply(bad, check=False)
    assert out.returncode != 0
    assert 'The ValidatingAdmissionPolicy "bad" is invalid' in out.stderr
    assert "spec.validations[0].expression: Invalid value" in out.stderr
    unbound = {
        "apiVersion": API,
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": "b"},
        "spec": {},
    }
    out = k.apply(unbound, check=False)
    assert "spec.policyName: Required value" in out.stderr
    assert "spec.validationActions: Required value: at least one validation action is required" in out.stderr


def test_type_checking_reports_in_status(vap_server: EmbeddedAPIServer) -> None:
    k = KubectlIn(vap_server)
    rules = [{"expression": "object.replicas > 1"}, {"expression": "object.spec.replicas <= 5"}]
    k.apply(vap("typed", "none", DEPLOYMENTS, rules))
    try:
        status = k.get("validatingadmissionpolicy", "typed")["status"]
        assert status["typeChecking"]["expressionWarnings"] == [
            {
                "fieldRef": "spec.validations[0].expression",
                "warning": "apps/v1, Kind=Deployment: ERROR: <input>:1:7: undefined field 'replicas'",
            }
        ]
        assert status["observedGeneration"] == 1
    finally:
        k.run("delete", "validatingadmissionpolicy", "typed")


def test_cel_type_names_and_library_namespaces_are_not_undeclared(vap_server: EmbeddedAPIServer) -> None:
    with scoped(vap_server, "vap-names") as k:
        rule = [{"expression": "type(object) == map && optional.none().orValue(1) == int(1)"}]
        install(k, vap("names", "vap-names", CONFIGMAPS, rule), binding("names", "vap-names", ["Deny"]))
        k.run("create", "configmap", "ok")


def test_a_failing_variable_denies_only_when_a_validation_reads_it(vap_server: EmbeddedAPIServer) -> None:
    with scoped(vap_server, "vap-vars") as k:
        variables = [
            {"name": "tier", "expression": "object.data.tier"},
            {"name": "unused", "expression": "1/0"},
        ]
        rule = [{"expression": "variables.tier != 'gold'"}]
        rules = {**CONFIGMAPS, "operations": ["CREATE"]}
        install(
            k,
            vap("tiers", "vap-vars", rules, rule, variables=variables),
            binding("tiers", "vap-vars", ["Deny"]),
        )
        k.run("create", "configmap", "silver", "--from-literal=tier=silver")
        refused = k.run("create", "configmap", "plain", "--from-literal=x=y", check=False)
        assert (
            "denied request: expression 'variables.tier != 'gold'' resulted in error: "
            'composited variable "tier" fails to evaluate: no such key: tier'
        ) in refused.stderr


def test_admission_configuration_is_exempt(vap_server: EmbeddedAPIServer) -> None:
    with scoped(vap_server, "vap-exempt") as k:
        everything = {"apiGroups": ["*"], "apiVersions": ["*"], "operations": ["*"], "resources": ["*"]}
        lock = vap("lock", "vap-exempt", everything, [{"expression": "false"}])
        bound = binding("lock", "vap-exempt", ["Deny"])
        del bound["spec"]["matchResources"]
        install(k, lock, bound)
        k.run("delete", "validatingadmissionpolicybinding", "lock-binding")
        k.run("create", "configmap", "free")


def test_warn_on_delete_prints_the_warning(vap_server: EmbeddedAPIServer) -> None:
    with scoped(vap_server, "vap-delwarn") as k:
        k.run("create", "configmap", "gone")
        rules = {**CONFIGMAPS, "operations": ["DELETE"]}
        rule = [{"expression": "false", "messageExpression": "'deleting ' + oldObject.metadata.name"}]
        install(
            k,
            vap("audit-delete", "vap-delwarn", rules, rule),
            binding("audit-delete", "vap-delwarn", ["Warn"]),
        )
        deleted = k.run("delete", "configmap", "gone")
        assert (
            "Warning: Validation failed for ValidatingAdmissionPolicy 'audit-delete' with binding "
            "'audit-delete-binding': deleting gone"
        ) in deleted.stderr


def test_a_false_match_condition_skips_even_when_another_fails(vap_server: EmbeddedAPIServer) -> None:
    with scoped(vap_server, "vap-conds") as k:
        conditions = [
            {"name": "has-tier", "expression": "object.data.tier == 'gold'"},
            {"name": "named", "expression": "object.metadata.name.startsWith('gold-')"},
        ]
        rule = [{"expression": "false", "message": "gold is closed"}]
        rules = {**CONFIGMAPS, "operations": ["CREATE"]}
        install(
            k,
            vap("gold", "vap-conds", rules, rule, matchConditions=conditions),
            binding("gold", "vap-conds", ["Deny"]),
        )
        k.run("create", "configmap", "silver")  # has-tier fails (no data), named is false: skipped
        refused = k.run("create", "configmap", "gold-a", check=False)
        assert (
            "denied request: expression 'object.data.tier == 'gold'' resulted in error: no such key: data"
            in (refused.stderr)
        )
        gold = k.run("create", "configmap", "gold-b", "--from-literal=tier=gold", check=False)
        assert "denied request: gold is closed" in gold.stderr


def test_stored_policy_and_binding_carry_kube_defaults(vap_server: EmbeddedAPIServer) -> None:
    k = KubectlIn(vap_server)
    k.apply(vap("defaulted", "none", CONFIGMAPS, [{"expression": "true"}]))
    bound = binding("defaulted", "none", ["Audit"])
    bound["spec"]["matchResources"] = {}
    k.apply(bound)
    try:
        spec = k.get("validatingadmissionpolicy", "defaulted")["spec"]
        assert spec["failurePolicy"] == "Fail"
        assert spec["matchConstraints"] == {
            "matchPolicy": "Equivalent",
            "namespaceSelector": {},
            "objectSelector": {},
            "resourceRules": [{**CONFIGMAPS, "scope": "*"}],
        }
        stored = k.get("validatingadmissionpolicybinding", "defaulted-binding")["spec"]["matchResources"]
        assert stored == {"matchPolicy": "Equivalent", "namespaceSelector": {}, "objectSelector": {}}
    finally:
        k.run("delete", "validatingadmissionpolicybinding", "defaulted-binding")
        k.run("delete", "validatingadmissionpolicy", "defaulted")


def test_unsupported_reason_and_missing_rules_are_refused(vap_server: EmbeddedAPIServer) -> None:
    k = KubectlIn(vap_server)
    bad = vap("bad-reason", "none", CONFIGMAPS, [{"expression": "true", "reason": "Teapot"}])
    bad["spec"]["matchConstraints"] = {"namespaceSelector": {}}
    out = k.apply(bad, check=False)
    assert "spec.matchConstraints.resourceRules: Required value" in out.stderr
    assert (
        'spec.validations[0].reason: Unsupported value: "Teapot": supported values: "Unauthorized", '
        '"Forbidden", "Invalid", "RequestEntityTooLarge"'
    ) in out.stderr


def test_request_and_namespace_object_are_visible(vap_server: EmbeddedAPIServer) -> None:
    with scoped(vap_server, "vap-req") as k:
        described = (
            "request.operation + ' ' + request.kind.kind + ' ' + request.resource.resource"
            " + ' ' + request.name + ' in ' + namespaceObject.metadata.name"
            " + ' by ' + request.userInfo.username"
            " + ' dryRun=' + string(request.dryRun)"
        )
        rule = [{"expression": "false", "messageExpression": described}]
        rules = {**CONFIGMAPS, "operations": ["CREATE"]}
        install(k, vap("describe", "vap-req", rules, rule), binding("describe", "vap-req", ["Deny"]))
        refused = k.run("create", "configmap", "c1", "--dry-run=server", check=False)
        assert (
            "denied request: CREATE ConfigMap configmaps c1 in vap-req by admin dryRun=true" in refused.stderr
        )


def test_object_selector_and_exclude_rules(vap_server: EmbeddedAPIServer) -> None:
    with scoped(vap_server, "vap-sel") as k:
        rule = [{"expression": "false", "message": "guarded"}]
        policy = vap("guard", "vap-sel", CONFIGMAPS, rule)
        policy["spec"]["matchConstraints"]["objectSelector"] = {"matchLabels": {"guarded": "yes"}}
        policy["spec"]["matchConstraints"]["excludeResourceRules"] = [
            {**CONFIGMAPS, "resourceNames": ["exempt"]}
        ]
        install(k, policy, binding("guard", "vap-sel", ["Deny"]))
        k.run("create", "configmap", "unlabelled")
        k.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "exempt", "labels": {"guarded": "yes"}},
            }
        )
        refused = k.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "held", "labels": {"guarded": "yes"}},
            },
            check=False,
        )
        assert "denied request: guarded" in refused.stderr
        labelled = k.run("label", "configmap", "unlabelled", "guarded=yes", check=False)
        assert "denied request: guarded" in labelled.stderr


def test_param_selector_evaluates_each_param_and_allow_when_none(vap_server: EmbeddedAPIServer) -> None:
    with scoped(vap_server, "vap-psel") as k:
        rule = [
            {
                "expression": "!(object.metadata.name in params.data)",
                "messageExpression": "params.metadata.name",
            }
        ]
        policy = vap(
            "banned", "vap-psel", CONFIGMAPS, rule, paramKind={"apiVersion": "v1", "kind": "ConfigMap"}
        )
        ref = {"selector": {"matchLabels": {"role": "banlist"}}, "parameterNotFoundAction": "Allow"}
        bound = binding("banned", "vap-psel", ["Deny"], paramRef=ref)
        bound["spec"]["matchResources"]["objectSelector"] = {
            "matchExpressions": [{"key": "role", "operator": "DoesNotExist"}]
        }
        install(k, policy, bound)
        k.run("create", "configmap", "alpha")  # no banlist yet: Allow
        for name, banned in (("list-a", "beta"), ("list-b", "gamma")):
            k.apply(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": name, "labels": {"role": "banlist"}},
                    "data": {banned: "1"},
                }
            )
        assert "denied request: list-a" in k.run("create", "configmap", "beta", check=False).stderr
        assert "denied request: list-b" in k.run("create", "configmap", "gamma", check=False).stderr
        k.run("create", "configmap", "delta")
