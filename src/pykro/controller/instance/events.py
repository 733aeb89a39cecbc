"""Kubernetes Events the instance controller records on an instance (core/v1, so `kubectl describe`
and `kubectl get events` show them)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pykro.api.conventions import meta
from pykro.kube import KubeClient, KubeError
from pykro.timestamps import now_rfc3339

log = logging.getLogger(__name__)

COMPONENT = "kro"


async def record_warning(client: KubeClient, instance: Mapping[str, Any], reason: str, message: str) -> None:
    """A `Warning` Event on `instance`; best effort (an Event that cannot be written is logged)."""
    m = meta(instance)
    namespace = str(m.get("namespace") or "default")
    now = now_rfc3339()
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"generateName": f"{m.get('name', 'instance')}.", "namespace": namespace},
        "involvedObject": {
            "apiVersion": instance.get("apiVersion", ""),
            "kind": instance.get("kind", ""),
            "name": m.get("name", ""),
            "namespace": m.get("namespace") or "",
            "uid": m.get("uid", ""),
            "resourceVersion": m.get("resourceVersion", ""),
        },
        "reason": reason,
        "message": message,
        "type": "Warning",
        "source": {"component": COMPONENT},
        "reportingComponent": COMPONENT,
        "reportingInstance": COMPONENT,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }
    log.warning("%s %s/%s: %s", instance.get("kind"), namespace, m.get("name"), message)
    try:
        await client.create(event)
    except KubeError as err:
        log.warning("could not record Event %s on %s: %s", reason, m.get("name"), err)
