"""The controller toolkit: informers, an indexed cache, a work queue, controllers, shared watches,
leader election and metrics.

    informer = Informer(client, GVK("", "v1", "ConfigMap"), metadata_only=True)
    controller = Controller("configmaps", reconcile, workers=4)
    informer.add_handler(lambda ev: controller.enqueue(ev.key))
    informer.start(); controller.start()
"""

from pykro.toolkit.cache import (
    NAMESPACE_INDEX,
    OWNER_UID_INDEX,
    Indexer,
    label_index,
    object_key,
)
from pykro.toolkit.controller import Controller, Result
from pykro.toolkit.health import Endpoint, HealthChecks, informers_synced, serve
from pykro.toolkit.informer import (
    ADDED,
    DELETED,
    MODIFIED,
    Informer,
    InformerEvent,
    drop_managed_fields,
)
from pykro.toolkit.leader import LeaderElector, LeaseConfig
from pykro.toolkit.metrics import RuntimeMetrics
from pykro.toolkit.queue import ShutDown, WorkQueue
from pykro.toolkit.watches import (
    ObjectRef,
    SelectorRef,
    Subscription,
    WatchManager,
    enqueue_label,
    enqueue_owners,
    filtered,
    generation_changed,
)

__all__ = [
    "ADDED",
    "DELETED",
    "MODIFIED",
    "NAMESPACE_INDEX",
    "OWNER_UID_INDEX",
    "Controller",
    "Endpoint",
    "HealthChecks",
    "Indexer",
    "Informer",
    "drop_managed_fields",
    "informers_synced",
    "serve",
    "InformerEvent",
    "LeaderElector",
    "LeaseConfig",
    "ObjectRef",
    "Result",
    "RuntimeMetrics",
    "SelectorRef",
    "ShutDown",
    "Subscription",
    "WatchManager",
    "WorkQueue",
    "enqueue_label",
    "enqueue_owners",
    "filtered",
    "generation_changed",
    "label_index",
    "object_key",
]
