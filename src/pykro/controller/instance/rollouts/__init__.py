"""pykro's rollout extensions (docs/rollouts.md): say why a workload rolled, gather bursts of changes
into one rollout, and limit how many workloads of one RGD roll at once. Off unless an RGD's
`pykro.dev/rollout-*` annotations switch them on."""

from pykro.controller.instance.rollouts.review import (
    ROLLOUTS_STATUS,
    Review,
    Rollouts,
    Triggered,
    rollout_status,
)
from pykro.controller.rolloutpolicy import OFF, RolloutPolicy, parse_policy

__all__ = [
    "OFF",
    "ROLLOUTS_STATUS",
    "Review",
    "RolloutPolicy",
    "Rollouts",
    "Triggered",
    "parse_policy",
    "rollout_status",
]
