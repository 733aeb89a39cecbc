"""ObjectMeta validation the real API server applies to every kind (names, labels, annotations)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from pykro.apiserver.machinery.status import Cause
from pykro.dnsnames import dns1035_label, dns1123_label, dns1123_subdomain

_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")

NameCheck = Callable[[str], str | None]


def path_segment(name: str) -> str | None:
    if name in (".", ".."):
        return f"may not be '{name}'"
    for bad in ("/", "%"):
        if bad in name:
            return f"may not contain '{bad}'"
    return None


def name_check(group: str, plural: str) -> NameCheck:
    """The rule the real server uses for `metadata.name` of this resource."""
    if (group, plural) == ("", "namespaces"):
        return dns1123_label
    if (group, plural) == ("", "services"):
        return dns1035_label
    if group == "rbac.authorization.k8s.io":
        return path_segment
    return dns1123_subdomain


@functools.lru_cache(maxsize=4096)  # label and annotation keys repeat across objects
def _qualified_key(key: str) -> str | None:
    prefix, sep, name = key.rpartition("/")
    if sep and (not prefix or dns1123_subdomain(prefix)):
        return "prefix part " + (dns1123_subdomain(prefix) or "must be non-empty")
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        return (
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
            "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc'), and be at most 63 "
            "characters"
        )
    return None


def map_causes(value: dict[str, Any], where: str, *, labels: bool = True) -> list[Cause]:
    """Causes for a label map (qualified-name keys, label values) at `where`; `labels=False` checks the
    keys only, as for annotations."""
    causes: list[Cause] = []
    for k, v in value.items():
        problem = _qualified_key(k)
        if problem:
            causes.append(Cause(where, f'Invalid value: "{k}": {problem}'))
        if not isinstance(v, str):
            causes.append(Cause(f"{where}.{k}", "Invalid value: must be a string", "FieldValueTypeInvalid"))
        elif labels and (len(v) > 63 or not _LABEL_VALUE.match(v)):
            causes.append(
                Cause(
                    where,
                    f'Invalid value: "{v}": a valid label must be an empty string or consist '
                    "of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                    "alphanumeric character, at most 63 characters",
                )
            )
    return causes


def validate_meta(meta: dict[str, Any], check: NameCheck) -> list[Cause]:
    causes: list[Cause] = []
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        causes.append(
            Cause("metadata.name", "Required value: name or generateName is required", "FieldValueRequired")
        )
    else:
        problem = check(name)
        if problem:
            causes.append(Cause("metadata.name", f'Invalid value: "{name}": {problem}'))
    for field in ("labels", "annotations"):
        value = meta.get(field)
        if value is None:
            continue
        if not isinstance(value, dict):
            causes.append(
                Cause(f"metadata.{field}", "Invalid value: must be a map of strings", "FieldValueTypeInvalid")
            )
            continue
        causes += map_causes(value, f"metadata.{field}", labels=field == "labels")
    for field in ("finalizers",):
        value = meta.get(field)
        if value is not None and (not isinstance(value, list) or not all(isinstance(f, str) for f in value)):
            causes.append(
                Cause(
                    f"metadata.{field}", "Invalid value: must be a list of strings", "FieldValueTypeInvalid"
                )
            )
    return causes
