"""Create-only "review" kinds: answered from the request, never stored.

There is one user (the admin behind the bearer token), so every access review is allowed
and token reviews authenticate exactly that token.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from pykro.apiserver.machinery.status import bad_request, method_not_allowed
from pykro.apiserver.registry.kinds import ServedKind

ADMIN = {"username": "admin", "groups": ["system:masters", "system:authenticated"]}
_ACCESS_REVIEWS = {"SubjectAccessReview", "SelfSubjectAccessReview", "LocalSubjectAccessReview"}


def is_review(kind: ServedKind) -> bool:
    return kind.verbs == ("create",) and kind.group in ("authorization.k8s.io", "authentication.k8s.io")


def answer(kind: ServedKind, body: Any, namespace: str | None, token: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request(f"the body must be a JSON object describing a {kind.kind}")
    out = copy.deepcopy(body)
    out["apiVersion"], out["kind"] = kind.api_version, kind.kind
    raw_meta = out.get("metadata")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    if namespace:
        meta["namespace"] = namespace
    out["metadata"] = meta
    if kind.kind in _ACCESS_REVIEWS:
        out["status"] = {"allowed": True, "reason": "pykro admin may do anything"}
    elif kind.kind == "SelfSubjectRulesReview":
        out["status"] = {
            "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": False,
        }
    elif kind.kind == "SelfSubjectReview":
        out["status"] = {"userInfo": ADMIN}
    elif kind.kind == "TokenReview":
        sent = str((out.get("spec") or {}).get("token", ""))
        ok = secrets.compare_digest(sent.encode(), token.encode())
        out["status"] = (
            {"authenticated": True, "user": ADMIN}
            if ok
            else {"authenticated": False, "error": "invalid token"}
        )
    else:
        raise method_not_allowed("POST", kind.plural)
    return out
