"""kro's feature gates (spec §8.2), parsed from `--feature-gates Name=true,...` as upstream's flag is."""

from __future__ import annotations

from dataclasses import dataclass, fields

from pykro.errors import Problem, PykroError

FLAG = "--feature-gates"


@dataclass(frozen=True)
class FeatureGates:
    """Every gate is Alpha and off by default, as upstream's are."""

    CELOmitFunction: bool = False  # the omit() CEL function
    InstanceConditionEvents: bool = False  # an Event per instance condition transition
    InstanceConditionMetrics: bool = False  # per-condition duration gauge

    def enabled(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name)]


def parse_feature_gates(text: str | None) -> FeatureGates:
    """`"CELOmitFunction=true,InstanceConditionEvents=false"` → `FeatureGates`; an unknown gate or a value
    other than true/false is a `PykroError` naming the flag and listing the known gates."""
    known = [f.name for f in fields(FeatureGates)]
    values: dict[str, bool] = {}
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip().lower()
        if name not in known:
            raise _error(f"unrecognized feature gate: {name} (known: {', '.join(known)})")
        if not sep or value not in ("true", "false"):
            raise _error(f"invalid value of {name}: {value!r}, want true or false")
        values[name] = value == "true"
    return FeatureGates(**values)


def _error(message: str) -> PykroError:
    return PykroError(f"{FLAG}: {message}", (Problem(FLAG, message),))
