"""The skip list: which scenarios or steps pykro does not run yet, and why.

A YAML mapping of `test-folder` or `test-folder/step-name` to a reason. Tests are keyed by their
folder name, not `metadata.name`, because upstream has two tests sharing a `metadata.name`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from pykro.api.yamlio import parse_yaml_documents
from pykro.errors import Problem, PykroError

DEFAULT_SKIPS = "chainsaw_skips.yaml"


@dataclass(frozen=True)
class Skips:
    reasons: Mapping[str, str] = field(default_factory=dict)

    def for_test(self, test_id: str) -> str | None:
        return self.reasons.get(test_id)

    def for_step(self, test_id: str, step_name: str) -> str | None:
        return self.reasons.get(f"{test_id}/{step_name}")

    def merged(self, other: Skips) -> Skips:
        return Skips({**self.reasons, **other.reasons})


def parse_skips(text: str, source: str) -> Skips:
    docs = parse_yaml_documents(text, source)
    if not docs:
        return Skips()
    if len(docs) != 1 or not isinstance(docs[0], Mapping):
        raise PykroError(
            f"{source}: expected one mapping of test[/step] to reason",
            (Problem("", "expected one mapping of test[/step] to reason", source),),
        )
    problems = []
    reasons: dict[str, str] = {}
    for key, reason in docs[0].items():
        if not isinstance(key, str) or not key or key.count("/") > 1:
            problems.append(Problem(str(key), "key must be 'test-folder' or 'test-folder/step-name'", source))
        elif not isinstance(reason, str) or not reason.strip():
            problems.append(Problem(key, "needs a non-empty reason", source))
        else:
            reasons[key] = reason.strip()
    if problems:
        raise PykroError(str(problems[0]), tuple(problems))
    return Skips(reasons)


def load_skips(path: Path) -> Skips:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        message = f"cannot read skip file: {err.strerror or err}"
        raise PykroError(f"{path}: {message}", (Problem("", message, str(path)),)) from None
    return parse_skips(text, str(path))


def default_skips() -> Skips:
    """The skip list shipped with pykro (`pykro/testing/chainsaw_skips.yaml`)."""
    text = resources.files("pykro.testing").joinpath(DEFAULT_SKIPS).read_text(encoding="utf-8")
    return parse_skips(text, DEFAULT_SKIPS)
