"""ValidatingAdmissionPolicy evaluation, as kube-apiserver's `policy/validating` plugin does it.

Policies and bindings are read from the store on every admitted write, so creating, changing or
deleting one takes effect on the next request. For each binding of a matching policy: resolve the
params (`paramKind` + `paramRef`), evaluate `matchConditions`, `variables` and `validations` in
pykro's untyped CEL runtime with `object`, `oldObject`, `request`, `params`, `namespaceObject` and
`variables`, then act on the binding's `validationActions`: Deny refuses the write with kube's
Status, Warn adds a `Warning` header, Audit is accepted (pykro keeps no audit log). A runtime error
follows `failurePolicy` (Fail denies, Ignore admits). `authorizer` is not modelled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pykro.apiserver.admission import policy
from pykro.apiserver.admission.builtin import selector_matches
from pykro.apiserver.admission.policy import Request
from pykro.apiserver.machinery.status import ApiError, invalid
from pykro.apiserver.registry.kinds import Catalog
from pykro.apiserver.registry.pipeline import WriteContext
from pykro.apiserver.registry.reviews import ADMIN
from pykro.apiserver.storage.store import Store
from pykro.cel.compiler import compile_untyped, evaluate, parse_references
from pykro.cel.errors import CelError

_REASON_CODES = {"Forbidden": 403, "Unauthorized": 401, "RequestEntityTooLarge": 413, "Invalid": 422}
_MISSING_KEY = re.compile(r'Key not found in map : "([^"]*)"')


class _EvalError(Exception):
    """An expression failed at run time; the text is kube's `expression '...' resulted in error: ...`,
    `detail` the CEL error alone."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail or message


@dataclass
class _Decision:
    """A failed validation (or an error under failurePolicy Fail): what Deny and Warn report."""

    message: str
    reason: str = "Invalid"


def _run(expression: str, activation: Mapping[str, Any]) -> Any:
    try:
        return evaluate(compile_untyped(expression), activation)
    except CelError as err:
        detail = _MISSING_KEY.sub(r"no such key: \1", err.detail)
        raise _EvalError(f"expression '{expression}' resulted in error: {detail}", detail) from None


def _variable_error(expression: str, failed: Mapping[str, str]) -> str:
    """kube's error for an expression that read a variable which failed to evaluate."""
    if failed:
        read = {p.split(".")[1] for p in parse_references(expression).paths if p.startswith("variables.")}
        for name, detail in failed.items():
            if name in read:
                return f"expression '{expression}' resulted in error: {detail}"
    return ""


POLICY_GRS = (policy.POLICIES_GR, policy.BINDINGS_GR)


class PolicyAdmission:
    """The validating step for writes (`pipeline.validating`) and DELETEs (`pipeline.deleting`, where
    `object` is null and `oldObject` the stored object)."""

    def __init__(self, store: Store, catalog: Catalog) -> None:
        self.store = store
        self.catalog = catalog

    # hooks -------------------------------------------------------------------------------------
    @staticmethod
    def set_defaults(ctx: WriteContext) -> None:
        """The per-kind defaulting step of policies and bindings."""
        policy.set_defaults(ctx.obj)

    def admit_write(self, ctx: WriteContext) -> None:
        if ctx.kind.gr in POLICY_GRS and ctx.operation != "DELETE":
            check = policy.validate_policy if ctx.kind.gr == policy.POLICIES_GR else policy.validate_binding
            causes = [] if ctx.subresource else check(ctx.obj)
            if causes:
                name = str(ctx.obj["metadata"].get("name", ""))
                raise invalid(ctx.kind.kind, ctx.kind.group, name, causes)
            if ctx.kind.gr == policy.POLICIES_GR and not ctx.subresource:
                # kube's type-checking controller writes this shortly after; pykro as the policy is stored
                generation = ctx.obj["metadata"].get("generation")
                checking = policy.type_checking(ctx.obj.get("spec") or {}, self.catalog)
                ctx.obj["status"] = {"observedGeneration": generation, "typeChecking": checking}
        if ctx.kind.group == policy.GROUP:
            return  # admission configuration is exempt from policies, so none can lock itself in
        meta = ctx.obj.get("metadata") or {}
        deleting = ctx.operation == "DELETE"  # ctx.obj is then the stored object
        req = Request(
            ctx.operation,
            ctx.kind,
            ctx.subresource,
            str(meta.get("name") or ""),
            str(meta.get("namespace") or ""),
            None if deleting else ctx.obj,
            ctx.old,
            ctx.options.dry_run,
        )
        ctx.warnings.extend(self.admit(req))

    def admit(self, req: Request) -> list[str]:
        """Warnings to send back; raises the first denial as kube's Status."""
        bindings = self.store.items(policy.BINDINGS_GR)
        if not bindings:
            return []
        policies = {p["metadata"]["name"]: p for p in self.store.items(policy.POLICIES_GR)}
        warnings: list[str] = []
        for binding in bindings:  # in name order
            spec = binding.get("spec") or {}
            definition = policies.get(str(spec.get("policyName")))
            if definition is None:
                continue
            pspec = definition.get("spec") or {}
            if not policy.resources_match(pspec.get("matchConstraints") or {}, req, self._namespace_labels):
                continue
            match = spec.get("matchResources")
            if isinstance(match, Mapping) and not policy.resources_match(match, req, self._namespace_labels):
                continue
            for decision in self._decisions(definition, binding, req):
                self._act(decision, definition, binding, req, warnings)
        return warnings

    # evaluation ---------------------------------------------------------------------------------
    def _decisions(
        self, definition: Mapping[str, Any], binding: Mapping[str, Any], req: Request
    ) -> list[_Decision]:
        pspec = definition.get("spec") or {}
        fail = pspec.get("failurePolicy", "Fail") != "Ignore"
        try:
            params_list = self._params(pspec, binding.get("spec") or {}, req)
        except _EvalError as err:  # a configuration error
            return [_Decision(f"failed to configure binding: {err}")] if fail else []
        decisions: list[_Decision] = []
        for params in params_list:
            activation = self._activation(req, params)
            try:
                decisions += self._validate(pspec, activation)
            except _EvalError as err:
                if fail:
                    decisions.append(_Decision(str(err)))
        return decisions

    def _validate(self, pspec: Mapping[str, Any], activation: dict[str, Any]) -> list[_Decision]:
        errors: list[str] = []
        for condition in pspec.get("matchConditions") or ():
            try:
                if _run(str(condition.get("expression")), activation) is False:
                    return []  # a false condition skips the policy even when another one failed
            except _EvalError as err:
                errors.append(str(err))
        if errors:  # kube's aggregate error: one bare, several in brackets
            raise _EvalError(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")
        variables: dict[str, Any] = {}
        failed: dict[str, str] = {}  # a variable's error matters only if a validation reads it (kube: lazy)
        activation["variables"] = variables
        for variable in pspec.get("variables") or ():
            name = str(variable.get("name"))
            try:
                variables[name] = _run(str(variable.get("expression")), activation)
            except _EvalError as err:
                failed[name] = f'composited variable "{name}" fails to evaluate: {err.detail}'
        decisions: list[_Decision] = []
        fail = pspec.get("failurePolicy", "Fail") != "Ignore"
        for validation in pspec.get("validations") or ():
            expression = str(validation.get("expression"))
            try:
                outcome = _run(expression, activation)
            except _EvalError as err:
                if fail:
                    decisions.append(_Decision(_variable_error(expression, failed) or str(err)))
                continue
            if outcome is True:
                continue
            reason = str(validation.get("reason") or "Invalid")
            decisions.append(_Decision(self._message(validation, activation), reason))
        return decisions

    @staticmethod
    def _message(validation: Mapping[str, Any], activation: Mapping[str, Any]) -> str:
        message = str(validation.get("message") or "").strip()
        if not message:
            message = f"failed expression: {str(validation.get('expression')).strip()}"
        expression = validation.get("messageExpression")
        if isinstance(expression, str) and expression:
            try:
                text = _run(expression, activation)
            except _EvalError:
                return message
            if isinstance(text, str) and text.strip() and "\n" not in text.strip():
                return text.strip()  # kube refuses multi-line messages and falls back
        return message

    def _activation(self, req: Request, params: Any) -> dict[str, Any]:
        kind = req.kind
        namespace_object = None
        if req.namespace:
            namespace_object = self.store.get(("", "namespaces"), "", req.namespace)
        return {
            "object": req.obj,
            "oldObject": req.old,
            "params": params,
            "namespaceObject": namespace_object,
            "request": {
                "kind": {"group": kind.group, "version": kind.version, "kind": kind.kind},
                "resource": {"group": kind.group, "version": kind.version, "resource": kind.plural},
                "subResource": req.subresource,
                "requestKind": {"group": kind.group, "version": kind.version, "kind": kind.kind},
                "requestResource": {"group": kind.group, "version": kind.version, "resource": kind.plural},
                "name": req.name,
                "namespace": req.namespace,
                "operation": req.operation,
                "userInfo": dict(ADMIN),
                "dryRun": req.dry_run,
            },
        }

    def _params(self, pspec: Mapping[str, Any], bspec: Mapping[str, Any], req: Request) -> list[Any]:
        """The params each evaluation sees, as kube's `CollectParams`: [None] without paramKind or
        paramRef, else the objects paramRef names or selects (none: parameterNotFoundAction)."""
        param_kind = pspec.get("paramKind")
        ref = bspec.get("paramRef")
        if not isinstance(param_kind, Mapping) or not isinstance(ref, Mapping):
            return [None]
        group, _, version = str(param_kind.get("apiVersion", "")).rpartition("/")
        kind = self.catalog.find_kind(group, version, str(param_kind.get("kind", "")))
        if kind is None:
            shown = f"&ParamKind{{APIVersion:{param_kind.get('apiVersion')},Kind:{param_kind.get('kind')},}}"
            raise _EvalError(f"paramKind kind `{shown}` not known")
        namespace = ""
        if kind.namespaced:
            namespace = str(ref.get("namespace") or req.namespace)
            if not namespace:
                raise _EvalError(
                    "cannot use namespaced paramRef in policy binding that matches cluster-scoped resources"
                )
        elif ref.get("namespace"):
            raise _EvalError("paramRef.namespace must not be provided for a cluster-scoped `paramKind`")
        if ref.get("name"):
            found = self.store.get(kind.gr, namespace, str(ref["name"]))
            params = [found] if found is not None else []
        else:
            selector = ref.get("selector") or {}
            params = [
                o
                for o in self.store.items(kind.gr, namespace or None)
                if selector_matches(selector, o["metadata"].get("labels") or {})
            ]
        if not params and ref.get("parameterNotFoundAction") == "Deny":
            raise _EvalError("no params found for policy binding with `Deny` parameterNotFoundAction")
        return params

    def _namespace_labels(self, namespace: str) -> Mapping[str, Any]:
        found = self.store.get(("", "namespaces"), "", namespace)
        return (found or {}).get("metadata", {}).get("labels") or {}

    # outcome ------------------------------------------------------------------------------------
    @staticmethod
    def _act(
        decision: _Decision,
        definition: Mapping[str, Any],
        binding: Mapping[str, Any],
        req: Request,
        warnings: list[str],
    ) -> None:
        pname, bname = definition["metadata"]["name"], binding["metadata"]["name"]
        actions = (binding.get("spec") or {}).get("validationActions") or ()
        if "Warn" in actions:
            warnings.append(
                f"Validation failed for ValidatingAdmissionPolicy '{pname}' with binding '{bname}': "
                f"{decision.message}"
            )
        if "Deny" not in actions:
            return
        text = (
            f"ValidatingAdmissionPolicy '{pname}' with binding '{bname}' denied request: {decision.message}"
        )
        kind = req.kind
        resource = f"{kind.plural}.{kind.group}" if kind.group else kind.plural
        message = (
            f'{resource} "{req.name}" is forbidden: {text}'
            if req.name
            else f"{resource} is forbidden: {text}"
        )
        details: dict[str, Any] = {"name": req.name, "kind": kind.plural, "causes": [{"message": text}]}
        if kind.group:
            details["group"] = kind.group
        reason = decision.reason
        raise ApiError(_REASON_CODES.get(reason, 422), reason, message, details)
