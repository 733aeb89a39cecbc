"""Reading Chainsaw `Test` files (`chainsaw.kyverno.io/v1alpha1`) into plain dataclasses.

Only the parts kro's scenarios use are modelled; a `try` operation this runner cannot perform
(`script`, `command`, `patch`, ...) parses to `Unsupported` and fails when run, and diagnostics
(`podLogs`, `events`, `describe`, `get`) parse to `Diagnostic`, which the runner ignores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from pykro.api.yamlio import load_documents
from pykro.errors import Problem, PykroError
from pykro.timestamps import go_duration

API_VERSIONS = ("chainsaw.kyverno.io/v1alpha1", "chainsaw.kyverno.io/v1alpha2")
TEST_FILE = "chainsaw-test.yaml"

_DIAGNOSTICS = ("podLogs", "events", "describe", "get")
_UNSUPPORTED = ("script", "command", "patch", "update", "proxy")


def parse_duration(value: Any, *, where: str, source: str) -> float:
    """Seconds in a Go duration (`5s`, `2m`, `1m30s`, `500ms`)."""
    seconds = go_duration(str(value)) if str(value).strip() else 0.0
    if seconds is None:
        raise _problem(where, f"invalid duration {value!r} (expected e.g. 5s, 2m, 1m30s)", source)
    return seconds


def _problem(where: str, message: str, source: str) -> PykroError:
    problem = Problem(where, message, source)
    return PykroError(str(problem), (problem,))


@dataclass(frozen=True)
class Timeouts:
    """Per-kind timeouts in seconds; `None` means "inherit"."""

    apply: float | None = None
    assert_: float | None = None
    cleanup: float | None = None
    delete: float | None = None
    error: float | None = None

    def over(self, base: Timeouts) -> Timeouts:
        """These timeouts, falling back to `base` for the unset ones."""
        mine = {f.name: getattr(self, f.name) for f in fields(self)}
        return replace(base, **{name: value for name, value in mine.items() if value is not None})


@dataclass(frozen=True)
class Operation:
    description: str
    where: str  # YAML path in the test file, e.g. "spec.steps[1].try[2]"


@dataclass(frozen=True)
class Apply(Operation):
    """Create the resources, or merge-patch them when they exist. `create` forbids existing ones."""

    file: str | None
    resource: Mapping[str, Any] | None
    create_only: bool = False


@dataclass(frozen=True)
class Assert(Operation):
    """Wait until some object matches each document (`absent=False`), or none does (`error`)."""

    file: str | None
    resource: Mapping[str, Any] | None
    timeout: float | None
    absent: bool = False


@dataclass(frozen=True)
class Delete(Operation):
    file: str | None
    ref: Mapping[str, Any] | None
    timeout: float | None


@dataclass(frozen=True)
class Wait(Operation):
    """`wait` for a jsonPath value, a condition, or deletion of the referenced object(s)."""

    target: Mapping[str, Any]  # apiVersion, kind, name?, namespace?, selector?
    condition: Mapping[str, Any]  # the `for:` block
    timeout: float | None


@dataclass(frozen=True)
class Sleep(Operation):
    duration: float


@dataclass(frozen=True)
class Diagnostic(Operation):
    name: str


@dataclass(frozen=True)
class Unsupported(Operation):
    name: str


@dataclass(frozen=True)
class Step:
    name: str
    try_: tuple[Operation, ...]
    catch: tuple[Operation, ...] = ()
    finally_: tuple[Operation, ...] = ()
    timeouts: Timeouts = field(default_factory=Timeouts)


@dataclass(frozen=True)
class ChainsawTest:
    name: str  # metadata.name (defaults to the folder name)
    folder: Path
    steps: tuple[Step, ...]
    namespace: str | None = None  # spec.namespace: a fixed namespace instead of a random one
    timeouts: Timeouts = field(default_factory=Timeouts)
    skip: bool = False
    description: str = ""

    @property
    def id(self) -> str:
        """The folder name: unique where metadata.name may be copy-pasted (upstream has one such)."""
        return self.folder.name


def _mapping(value: Any, where: str, source: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _problem(where, f"expected a mapping, found {type(value).__name__}", source)
    return value


def _list(value: Any, where: str, source: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _problem(where, f"expected a list, found {type(value).__name__}", source)
    return value


def _timeouts(value: Any, where: str, source: str) -> Timeouts:
    if value is None:
        return Timeouts()
    raw = _mapping(value, where, source)

    def get(key: str) -> float | None:
        return parse_duration(raw[key], where=f"{where}.{key}", source=source) if key in raw else None

    return Timeouts(get("apply"), get("assert"), get("cleanup"), get("delete"), get("error"))


def _optional_timeout(body: Mapping[str, Any], where: str, source: str) -> float | None:
    if body.get("timeout") is None:
        return None
    return parse_duration(body["timeout"], where=f"{where}.timeout", source=source)


def _file_or_resource(
    body: Mapping[str, Any], where: str, source: str
) -> tuple[str | None, Mapping[str, Any] | None]:
    file, resource = body.get("file"), body.get("resource")
    if (file is None) == (resource is None):
        raise _problem(where, "needs exactly one of 'file' or 'resource'", source)
    if file is not None and not isinstance(file, str):
        raise _problem(f"{where}.file", "must be a string", source)
    if resource is not None:
        resource = _mapping(resource, f"{where}.resource", source)
    return file, resource


def _operation(raw: Any, where: str, source: str) -> Operation:
    op = _mapping(raw, where, source)
    description = str(op.get("description") or "")
    names = [k for k in op if k not in ("description", "name")]
    if len(names) != 1:
        found = ", ".join(names) or "none"
        raise _problem(where, f"an operation needs exactly one action (found: {found})", source)
    name = names[0]
    body_where = f"{where}.{name}"
    if name in _DIAGNOSTICS:
        return Diagnostic(description, where, name)
    if name in _UNSUPPORTED:
        return Unsupported(description, where, name)
    body = _mapping(op[name], body_where, source)
    if name in ("apply", "create"):
        if "expect" in body:
            return Unsupported(description, where, f"{name} with 'expect'")
        file, resource = _file_or_resource(body, body_where, source)
        return Apply(description, where, file, resource, create_only=name == "create")
    if name in ("assert", "error"):
        file, resource = _file_or_resource(body, body_where, source)
        return Assert(
            description, where, file, resource, _optional_timeout(body, body_where, source), name == "error"
        )
    if name == "delete":
        file, ref = body.get("file"), body.get("ref")
        if (file is None) == (ref is None):
            raise _problem(body_where, "needs exactly one of 'file' or 'ref'", source)
        if ref is not None:
            ref = _mapping(ref, f"{body_where}.ref", source)
            for key in ("apiVersion", "kind"):
                if not ref.get(key):
                    raise _problem(f"{body_where}.ref.{key}", "is required", source)
        return Delete(description, where, file, ref, _optional_timeout(body, body_where, source))
    if name == "wait":
        for key in ("apiVersion", "kind"):
            if not body.get(key):
                raise _problem(f"{body_where}.{key}", "is required", source)
        condition = _mapping(body.get("for"), f"{body_where}.for", source)
        kinds = [k for k in ("jsonPath", "condition", "deletion") if k in condition]
        if len(kinds) != 1:
            raise _problem(f"{body_where}.for", "needs exactly one of jsonPath, condition, deletion", source)
        target = {
            k: body[k]
            for k in ("apiVersion", "kind", "name", "namespace", "selector")
            if body.get(k) is not None
        }
        return Wait(description, where, target, condition, _optional_timeout(body, body_where, source))
    if name == "sleep":
        if "duration" not in body:
            raise _problem(f"{body_where}.duration", "is required", source)
        return Sleep(
            description,
            where,
            parse_duration(body["duration"], where=f"{body_where}.duration", source=source),
        )
    raise _problem(body_where, f"unknown operation {name!r}", source)


def _operations(raw: Any, where: str, source: str) -> tuple[Operation, ...]:
    return tuple(
        _operation(item, f"{where}[{i}]", source) for i, item in enumerate(_list(raw, where, source))
    )


def parse_test(doc: Mapping[str, Any], folder: Path, *, source: str = "") -> ChainsawTest:
    """A Chainsaw `Test` document; raises `PykroError` naming the bad field."""
    source = source or str(folder / TEST_FILE)
    if doc.get("apiVersion") not in API_VERSIONS or doc.get("kind") != "Test":
        raise _problem(
            "",
            f"not a Chainsaw Test (apiVersion {doc.get('apiVersion')!r}, kind {doc.get('kind')!r}; "
            f"expected {API_VERSIONS[0]}, Test)",
            source,
        )
    metadata = _mapping(doc.get("metadata") or {}, "metadata", source)
    spec = _mapping(doc.get("spec"), "spec", source)
    steps = []
    for index, raw in enumerate(_list(spec.get("steps"), "spec.steps", source)):
        where = f"spec.steps[{index}]"
        step = _mapping(raw, where, source)
        if "use" in step:
            raise _problem(f"{where}.use", "step templates are not supported", source)
        steps.append(
            Step(
                name=str(step.get("name") or f"step-{index + 1}"),
                try_=_operations(step.get("try"), f"{where}.try", source),
                catch=_operations(step.get("catch"), f"{where}.catch", source),
                finally_=_operations(step.get("finally"), f"{where}.finally", source),
                timeouts=_timeouts(step.get("timeouts"), f"{where}.timeouts", source),
            )
        )
    if not steps:
        raise _problem("spec.steps", "a test needs at least one step", source)
    namespace = spec.get("namespace")
    return ChainsawTest(
        name=str(metadata.get("name") or folder.name),
        folder=folder,
        steps=tuple(steps),
        namespace=str(namespace) if namespace else None,
        timeouts=_timeouts(spec.get("timeouts"), "spec.timeouts", source),
        skip=bool(spec.get("skip", False)),
        description=str(spec.get("description") or "").strip(),
    )


def load_test(folder: Path) -> ChainsawTest:
    """The test in `folder/chainsaw-test.yaml` (one Test document)."""
    path = folder / TEST_FILE
    docs = load_documents(path)
    if len(docs) != 1:
        raise _problem("", f"expected one Test document, found {len(docs)}", str(path))
    return parse_test(docs[0], folder, source=str(path))


def discover(roots: list[Path]) -> list[Path]:
    """Every folder under `roots` holding a chainsaw-test.yaml, sorted; bad roots raise `PykroError`."""
    problems = []
    found: set[Path] = set()
    for root in roots:
        if not root.exists():
            problems.append(Problem("", "no such directory", str(root)))
        elif not root.is_dir():
            problems.append(Problem("", "not a directory", str(root)))
        else:
            hits = {p.parent for p in root.rglob(TEST_FILE)}
            if not hits:
                problems.append(Problem("", f"no {TEST_FILE} found under this directory", str(root)))
            found |= hits
    if problems:
        raise PykroError(str(problems[0]), tuple(problems))
    return sorted(found)
