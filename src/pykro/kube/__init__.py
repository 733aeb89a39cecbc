"""pykro's async Kubernetes client.

    from pykro.kube import KubeClient, load_kubeconfig
    async with KubeClient(load_kubeconfig(context="dev")) as client:
        cm = await client.get(GVK("", "v1", "ConfigMap"), "settings", namespace="team-a")

Unstructured (plain dict) objects for any kind the server serves, mapped through discovery;
server-side apply, patches, status writes, finalizer helpers; a client-side token bucket,
bounded retries, timeouts and typed errors. Configuration and authentication come from
lightkube; the HTTP transport is aiohttp.
"""

from pykro.kube.client import APPLY_PATCH, KubeClient, ObjectList, PatchType, WatchEvent, gvk_of
from pykro.kube.clock import Clock, ManualClock, RealClock
from pykro.kube.config import ClientConfig, in_cluster_config, load_kubeconfig
from pykro.kube.errors import (
    AlreadyExists,
    ApiError,
    Cause,
    ConfigError,
    Conflict,
    ConnectionFailed,
    Forbidden,
    Gone,
    Invalid,
    KubeError,
    NotFound,
    ServerError,
    TooManyRequests,
    Unauthorized,
)
from pykro.kube.metrics import ClientMetrics
from pykro.kube.restmapper import GVR, APIResource, RESTMapper, UnknownKind

__all__ = [
    "APPLY_PATCH",
    "GVR",
    "APIResource",
    "AlreadyExists",
    "ApiError",
    "Cause",
    "ClientConfig",
    "ClientMetrics",
    "Clock",
    "ConfigError",
    "Conflict",
    "ConnectionFailed",
    "Forbidden",
    "Gone",
    "Invalid",
    "KubeClient",
    "KubeError",
    "ManualClock",
    "NotFound",
    "ObjectList",
    "PatchType",
    "RESTMapper",
    "RealClock",
    "ServerError",
    "TooManyRequests",
    "Unauthorized",
    "UnknownKind",
    "WatchEvent",
    "gvk_of",
    "in_cluster_config",
    "load_kubeconfig",
]
