"""Request/response media types: Accept negotiation and body decoding."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml

from pykro.apiserver.machinery.status import ApiError, bad_request, unsupported_media_type

JSON = "application/json"
YAML = "application/yaml"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


@dataclass(frozen=True)
class Output:
    form: str  # object | table | partial | discovery
    version: str = ""  # Table / discovery API version requested


def _params(item: str) -> tuple[str, dict[str, str]]:
    parts = [p.strip() for p in item.split(";")]
    params = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        params[k.strip().lower()] = v.strip()
    return parts[0].lower(), params


def negotiate(accept: str | None) -> Output:
    """The first Accept entry the server can produce; protobuf entries are skipped."""
    if not accept:
        return Output("object")
    for item in accept.split(","):
        mtype, params = _params(item)
        if "protobuf" in mtype:
            continue
        as_ = params.get("as", "")
        if as_ == "Table" and params.get("g") == "meta.k8s.io":
            return Output("table", params.get("v", "v1"))
        if as_ in ("PartialObjectMetadata", "PartialObjectMetadataList") and params.get("g") == "meta.k8s.io":
            return Output("partial", params.get("v", "v1"))
        if as_ == "APIGroupDiscoveryList" and params.get("g") == "apidiscovery.k8s.io":
            if params.get("v") in ("v2", "v2beta1"):
                return Output("discovery", params["v"])
            continue
        if as_:
            continue
        if mtype in (JSON, YAML, "*/*", "application/*", "application/json-seq") or mtype.startswith(
            "application/json"
        ):
            return Output("object")
    return Output("object")


def truthy(value: str | None) -> bool:
    """A boolean query parameter as Kubernetes reads it (`?watch`, `?watch=1`, `?watch=true`)."""
    return value is not None and value.lower() in ("true", "1", "")


def content_type(header: str | None) -> str:
    return _params(header or JSON)[0]


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _no_constant(name: str) -> Any:
    # Python's json reads NaN/Infinity; JSON (and kube-apiserver's parser) does not
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


# kube-apiserver's JSON decoder stops at 10000 levels; the server's tree walks are recursive Python, so it
# stops sooner, before any walk can reach the interpreter's recursion limit (a 500 with a traceback).
MAX_DEPTH = 256


def _too_deep() -> ApiError:
    return bad_request(
        f"the request body exceeded max depth: more than {MAX_DEPTH} nested objects and arrays"
    )


def _check_depth(doc: Any) -> Any:
    """`doc`, or 400 when it nests deeper than MAX_DEPTH (an iterative walk: no recursion to overflow)."""
    pending: list[tuple[Any, int]] = [(doc, 1)]
    while pending:
        node, depth = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth >= MAX_DEPTH:
                    raise _too_deep()
                pending.append((child, depth + 1))
    return doc


def _json(body: bytes) -> Any:
    try:
        doc = json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        raise _too_deep() from None
    # fewer brackets than the limit cannot nest deeper than it: most bodies skip the walk
    return doc if body.count(b"[") + body.count(b"{") <= MAX_DEPTH else _check_depth(doc)


def decode(body: bytes, ctype: str) -> Any:
    """Parse a JSON or YAML request body (400 with the parser's complaint when malformed or too deep)."""
    if not body.strip():
        raise bad_request("the request body is empty")
    if ctype in (JSON, MERGE_PATCH, JSON_PATCH, STRATEGIC_PATCH) or ctype.endswith("+json"):
        try:
            return _json(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request(f"the request body is not valid JSON: {exc}") from None
    if ctype in (YAML, APPLY_PATCH, "application/x-yaml", "text/yaml"):
        if body.lstrip()[:1] in (b"{", b"["):
            # Most clients (kubectl included) send apply configurations as JSON, which is YAML too
            # and parses far faster; anything json rejects still gets the YAML parser's verdict.
            try:
                return _json(body)
            except (ValueError, UnicodeDecodeError):
                pass
        try:
            return _check_depth(yaml.load(body, Loader=_YAML_LOADER))
        except RecursionError:
            raise _too_deep() from None
        except yaml.YAMLError as exc:
            raise bad_request(f"the request body is not valid YAML: {exc}") from None
    raise unsupported_media_type(ctype, [JSON, YAML])
