"""The controller runtime: informers, an indexed cache, a work queue, controllers, shared watches,
leader election and metrics.

    informer = Informer(client, GVK("", "v1", "ConfigMap"), metadata_only=True)
    controller = Controller("configmaps", reconcile, workers=4)
    informer.add_handler(lambda ev: controller.enqueue(ev.key))
    informer.start(); controller.start()
"""

from pykro.controller.runtime.cache import (
    NAMESPACE_INDEX,
    OWNER_UID_INDEX,
    Indexer,
    copy_json,
    label_index,
    object_key,
)
from pykro.controller.runtime.controller import Controller, Result
from pykro.controller.runtime.health import Endpoint, HealthChecks, informers_synced, serve
from pykro.controller.runtime.informer import (
    ADDED,
    DELETED,
    MODIFIED,
    Informer,
    InformerEvent,
    drop_managed_fields,
)
from pykro.controller.runtime.leader import LeaderElector, LeaseConfig
from pykro.controller.runtime.metrics import RuntimeMetrics
from pykro.controller.runtime.queue import ShutDown, WorkQueue
from pykro.controller.runtime.watches import (
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
    "ADDED", "DELETED", "MODIFIED", "NAMESPACE_INDEX", "OWNER_UID_INDEX", "Controller", "Endpoint",
    "HealthChecks", "Indexer", "Informer", "drop_managed_fields", "informers_synced", "serve",
    "InformerEvent", "LeaderElector", "LeaseConfig", "ObjectRef", "Result", "RuntimeMetrics", "SelectorRef",
    "ShutDown", "Subscription", "WatchManager", "WorkQueue", "copy_json", "enqueue_label", "enqueue_owners", "filtered", "generation_changed",
    "label_index", "object_key",
]
