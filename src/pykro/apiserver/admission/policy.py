"""ValidatingAdmissionPolicy: which requests a policy and its bindings apply to, and whether the
policy objects themselves are well formed.

Matching follows kube-apiserver's `admission/plugin/policy/matching`: a request matches
`matchConstraints` (and a binding's `matchResources`, which narrows further) when its namespace
matches `namespaceSelector`, its object or old object matches `objectSelector`, no
`excludeResourceRules` entry matches and some `resourceRules` entry does (none listed: all do).
Evaluation is in `policyeval`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pykro.apiserver.admission.builtin import selector_matches
from pykro.apiserver.machinery.status import Cause
from pykro.apiserver.registry.kinds import Catalog, ServedKind
from pykro.cel.compiler import CelCompiler, parse_references
from pykro.cel.errors import CelError

GROUP = "admissionregistration.k8s.io"
POLICIES_GR = (GROUP, "validatingadmissionpolicies")
BINDINGS_GR = (GROUP, "validatingadmissionpolicybindings")
# what a policy's expressions may name, as kube declares them
POLICY_VARIABLES = frozenset(
    {"object", "oldObject", "request", "params", "namespaceObject", "variables", "authorizer"}
)
# free identifiers that are CEL type names or library namespaces (`optional.of`, `math.greatest`)
_CEL_NAMES = frozenset(
    {"bool", "bytes", "double", "dyn", "int", "list", "map", "null_type", "string", "type", "uint"}
    | {"base64", "google", "lists", "math", "optional", "sets", "strings"}
)
_ACTIONS = ("Audit", "Deny", "Warn")
_REASONS = ("Unauthorized", "Forbidden", "Invalid", "RequestEntityTooLarge")
_FAILURE_POLICIES = ("Fail", "Ignore")


@dataclass(frozen=True)
class Request:
    """What admission knows of one write: kube's `admission.Attributes`."""

    operation: str  # CREATE | UPDATE | DELETE
    kind: ServedKind
    subresource: str
    name: str
    namespace: str
    obj: dict[str, Any] | None  # None on DELETE
    old: dict[str, Any] | None  # None on CREATE
    dry_run: bool


def _listed(values: Any, wanted: str) -> bool:
    return isinstance(values, list) and ("*" in values or wanted in values)


def rule_matches(rule: Mapping[str, Any], req: Request, match_policy: str) -> bool:
    """One `NamedRuleWithOperations`: operations, groups, versions, resources[/sub], scope, names."""
    kind = req.kind
    if not _listed(rule.get("operations"), req.operation) or not _listed(rule.get("apiGroups"), kind.group):
        return False
    # matchPolicy Equivalent (the default) accepts the same resource through another version
    if match_policy == "Exact" and not _listed(rule.get("apiVersions"), kind.version):
        return False
    if not isinstance(rule.get("apiVersions"), list) or not rule["apiVersions"]:
        return False
    for resource in rule.get("resources") or ():
        res, _, sub = str(resource).partition("/")
        if res in ("*", kind.plural) and sub in ("*", req.subresource):
            break
    else:
        return False
    scope = rule.get("scope") or "*"
    if scope == "Cluster" and req.namespace or scope == "Namespaced" and not req.namespace:
        return False
    names = rule.get("resourceNames")
    return not names or req.name in names


def resources_match(
    match: Mapping[str, Any], req: Request, namespace_labels: Callable[[str], Mapping[str, Any]]
) -> bool:
    """A `MatchResources` (a policy's `matchConstraints` or a binding's `matchResources`)."""
    ns_selector = match.get("namespaceSelector")
    if isinstance(ns_selector, Mapping) and ns_selector:
        if req.kind.gr == ("", "namespaces"):
            subject = req.obj or req.old or {}
            if not selector_matches(ns_selector, subject.get("metadata", {}).get("labels") or {}):
                return False
        elif req.namespace and not selector_matches(ns_selector, namespace_labels(req.namespace)):
            return False  # a cluster-scoped object other than a Namespace is never skipped
    obj_selector = match.get("objectSelector")
    if isinstance(obj_selector, Mapping) and obj_selector:
        labelled = [o.get("metadata", {}).get("labels") or {} for o in (req.obj, req.old) if o is not None]
        if not any(selector_matches(obj_selector, labels) for labels in labelled):
            return False
    policy = str(match.get("matchPolicy") or "Equivalent")
    for rule in match.get("excludeResourceRules") or ():
        if isinstance(rule, Mapping) and rule_matches(rule, req, policy):
            return False
    rules = [r for r in match.get("resourceRules") or () if isinstance(r, Mapping)]
    return not rules or any(rule_matches(rule, req, policy) for rule in rules)


# --- the policy objects' defaults and validation ------------------------------------------------


def _default_match(match: Any) -> None:
    """`SetDefaults_MatchResources` and `SetDefaults_Rule` (scope `*`) of admissionregistration/v1."""
    if not isinstance(match, dict):
        return
    match.setdefault("matchPolicy", "Equivalent")
    match.setdefault("namespaceSelector", {})
    match.setdefault("objectSelector", {})
    for rule in (*(match.get("resourceRules") or ()), *(match.get("excludeResourceRules") or ())):
        if isinstance(rule, dict):
            rule.setdefault("scope", "*")


def set_defaults(obj: dict[str, Any]) -> None:
    """A policy's `failurePolicy: Fail` and both kinds' match defaults, as the stored object shows."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    if obj.get("kind") == "ValidatingAdmissionPolicy":
        spec.setdefault("failurePolicy", "Fail")
        _default_match(spec.get("matchConstraints"))
    else:
        _default_match(spec.get("matchResources"))


def _expression_causes(field: str, expression: Any, causes: list[Cause]) -> None:
    if not isinstance(expression, str) or not expression.strip():
        causes.append(Cause(field, "Required value", "FieldValueRequired"))
        return
    shown = '"' + expression.replace('"', '\\"') + '"'
    try:
        info = parse_references(expression)
    except CelError as err:
        detail = f"compilation failed: ERROR: <input>:{err.detail}"
        causes.append(Cause(field, f"Invalid value: {shown}: {detail}", "FieldValueInvalid"))
        return
    for name in info.identifiers:
        if name not in POLICY_VARIABLES and name not in _CEL_NAMES:
            detail = f"compilation failed: ERROR: <input>: undeclared reference to '{name}' (in container '')"
            causes.append(Cause(field, f"Invalid value: {shown}: {detail}", "FieldValueInvalid"))


def validate_policy(obj: Mapping[str, Any]) -> list[Cause]:
    """kube's `ValidateValidatingAdmissionPolicy` for the fields users get wrong."""
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    if not isinstance(spec.get("matchConstraints"), Mapping):
        causes.append(Cause("spec.matchConstraints", "Required value", "FieldValueRequired"))
    elif not spec["matchConstraints"].get("resourceRules"):
        # at least one rule gives the expressions their types
        causes.append(Cause("spec.matchConstraints.resourceRules", "Required value", "FieldValueRequired"))
    failure = spec.get("failurePolicy")
    if failure is not None and failure not in _FAILURE_POLICIES:
        causes.append(
            Cause(
                "spec.failurePolicy",
                f'Unsupported value: "{failure}": supported values: "Fail", "Ignore"',
                "FieldValueNotSupported",
            )
        )
    validations = spec.get("validations") or []
    if not validations and not spec.get("auditAnnotations"):
        causes.append(
            Cause(
                "spec.validations",
                "Required value: validations or auditAnnotations must contain at least one item",
                "FieldValueRequired",
            )
        )
    for section, key in (
        ("validations", "expression"),
        ("variables", "expression"),
        ("matchConditions", "expression"),
        ("validations", "messageExpression"),
    ):
        for i, item in enumerate(spec.get(section) or ()):
            if isinstance(item, Mapping) and (key == "expression" or item.get(key)):
                _expression_causes(f"spec.{section}[{i}].{key}", item.get(key), causes)
    for i, item in enumerate(validations):
        reason = item.get("reason") if isinstance(item, Mapping) else None
        if reason is not None and reason not in _REASONS:
            causes.append(
                Cause(
                    f"spec.validations[{i}].reason",
                    f'Unsupported value: "{reason}": supported values: '
                    + ", ".join(f'"{r}"' for r in _REASONS),
                    "FieldValueNotSupported",
                )
            )
    for i, item in enumerate(spec.get("variables") or ()):
        if isinstance(item, Mapping) and not item.get("name"):
            causes.append(Cause(f"spec.variables[{i}].name", "Required value", "FieldValueRequired"))
    param_kind = spec.get("paramKind")
    if isinstance(param_kind, Mapping):
        for key in ("apiVersion", "kind"):
            if not param_kind.get(key):
                causes.append(Cause(f"spec.paramKind.{key}", "Required value", "FieldValueRequired"))
    return causes


def validate_binding(obj: Mapping[str, Any]) -> list[Cause]:
    """kube's `ValidateValidatingAdmissionPolicyBinding`: policyName, validationActions, paramRef."""
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    if not spec.get("policyName"):
        causes.append(Cause("spec.policyName", "Required value", "FieldValueRequired"))
    actions = spec.get("validationActions")
    if not actions:
        causes.append(
            Cause(
                "spec.validationActions",
                "Required value: at least one validation action is required",
                "FieldValueRequired",
            )
        )
    else:
        for i, action in enumerate(actions):
            if action not in _ACTIONS:
                causes.append(
                    Cause(
                        f"spec.validationActions[{i}]",
                        f'Unsupported value: "{action}": supported values: "Audit", "Deny", "Warn"',
                        "FieldValueNotSupported",
                    )
                )
        if "Deny" in actions and "Warn" in actions:
            shown = "[" + ",".join(f'"{a}"' for a in actions) + "]"
            causes.append(
                Cause(
                    "spec.validationActions",
                    f"Invalid value: {shown}: must not contain both Deny and Warn (repeating the same "
                    "validation failure information in the API response and headers serves no purpose)",
                    "FieldValueInvalid",
                )
            )
    ref = spec.get("paramRef")
    if isinstance(ref, Mapping):
        if ref.get("name") and ref.get("selector"):
            causes.append(
                Cause(
                    "spec.paramRef.name",
                    "Forbidden: name and selector are mutually exclusive",
                    "FieldValueForbidden",
                )
            )
        if not ref.get("name") and ref.get("selector") is None:
            causes.append(
                Cause(
                    "spec.paramRef",
                    "Required value: one of name or selector must be specified",
                    "FieldValueRequired",
                )
            )
        action = ref.get("parameterNotFoundAction")
        if action is None:
            causes.append(
                Cause("spec.paramRef.parameterNotFoundAction", "Required value", "FieldValueRequired")
            )
        elif action not in ("Allow", "Deny"):
            causes.append(
                Cause(
                    "spec.paramRef.parameterNotFoundAction",
                    f'Unsupported value: "{action}": supported values: "Deny", "Allow"',
                    "FieldValueNotSupported",
                )
            )
    return causes


# --- status.typeChecking -------------------------------------------------------------------------

_STRUCT_SUFFIX = re.compile(r" not found in struct '[^']*'")


def checked_kinds(match: Mapping[str, Any], catalog: Catalog) -> list[ServedKind]:
    """The kinds `resourceRules` name explicitly (kube type-checks no wildcard rule)."""
    kinds: list[ServedKind] = []
    for rule in match.get("resourceRules") or ():
        groups, versions = rule.get("apiGroups") or (), rule.get("apiVersions") or ()
        resources = rule.get("resources") or ()
        if "*" in (*groups, *versions) or any("*" in str(r) for r in resources):
            continue
        for group in groups:
            for version in versions:
                for resource in resources:
                    kind = catalog.lookup(group, version, str(resource).partition("/")[0])
                    if kind is not None and kind not in kinds:
                        kinds.append(kind)
    return kinds


def type_checking(spec: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """kube's `status.typeChecking`: each expression checked against every matched kind's schema
    (params against paramKind's); the problems as `expressionWarnings` (`fieldRef`, `warning`)."""
    params: Mapping[str, Any] = {}
    param_kind = spec.get("paramKind")
    if isinstance(param_kind, Mapping):
        group, _, version = str(param_kind.get("apiVersion", "")).rpartition("/")
        found = catalog.find_kind(group, version, str(param_kind.get("kind", "")))
        params = (catalog.schema_for(found) if found is not None else None) or {}
    warnings: list[dict[str, str]] = []
    for kind in checked_kinds(spec.get("matchConstraints") or {}, catalog):
        schema = catalog.schema_for(kind) or {}
        declared: dict[str, Mapping[str, Any]] = {name: {} for name in POLICY_VARIABLES}
        compiler = CelCompiler({**declared, "object": schema, "oldObject": schema, "params": params})
        for section, key in (("validations", "expression"), ("validations", "messageExpression")):
            for i, item in enumerate(spec.get(section) or ()):
                expression = item.get(key) if isinstance(item, Mapping) else None
                if not isinstance(expression, str) or not expression:
                    continue
                try:
                    compiler.check(expression)
                except CelError as err:
                    detail = _STRUCT_SUFFIX.sub("", err.detail)
                    warnings.append(
                        {
                            "fieldRef": f"spec.{section}[{i}].{key}",
                            "warning": f"{kind.api_version}, Kind={kind.kind}: ERROR: <input>:{detail}",
                        }
                    )
    return {"expressionWarnings": warnings} if warnings else {}
