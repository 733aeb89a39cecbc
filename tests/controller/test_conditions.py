from pykro.controller.conditions import ConditionSet

DEPS = ("InstanceManaged", "GraphResolved", "ResourcesReady")


def new_set(
    existing: list[dict[str, object]] | None = None, generation: int = 1, now: str = "t1"
) -> ConditionSet:
    return ConditionSet("Ready", DEPS, existing or [], generation=generation, now=now, created="t0")


def test_missing_conditions_start_unknown_and_root_follows() -> None:
    cs = new_set()
    ready = cs.get("Ready")
    assert ready is not None and ready["status"] == "Unknown"
    assert cs.get("GraphResolved") == {
        "type": "GraphResolved",
        "status": "Unknown",
        "reason": "AwaitingReconciliation",
        "message": 'condition "GraphResolved" is awaiting reconciliation',
        "lastTransitionTime": "t0",
    }


def test_root_true_only_when_all_dependents_true_at_current_generation() -> None:
    cs = new_set()
    for kind in DEPS:
        cs.set(kind, "True", "Ok")
    assert cs.is_true("Ready")
    assert [c["type"] for c in cs.as_list()][-1] == "Ready"
    stale = new_set(cs.as_list(), generation=2, now="t2")
    assert not stale.is_true("Ready")


def test_root_copies_failed_dependent_and_keeps_transition_time_when_unchanged() -> None:
    cs = new_set()
    cs.set("InstanceManaged", "True", "Managed")
    cs.set("GraphResolved", "True", "Resolved")
    cs.set("ResourcesReady", "False", "NotReady", "awaiting resource readiness")
    ready = cs.get("Ready")
    assert ready is not None
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "False",
        "NotReady",
        "awaiting resource readiness",
    )
    again = new_set(cs.as_list(), now="t9")
    again.set("ResourcesReady", "False", "NotReady", "still waiting")
    rr = again.get("ResourcesReady")
    assert rr is not None and rr["lastTransitionTime"] == "t1"
    again.set("ResourcesReady", "True", "AllResourcesReady")
    rr = again.get("ResourcesReady")
    assert rr is not None and rr["lastTransitionTime"] == "t9"
