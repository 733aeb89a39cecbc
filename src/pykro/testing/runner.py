"""Running parsed Chainsaw tests against a cluster.

Each test gets a fresh namespace (unless `spec.namespace` names one); namespaced resources
without a namespace go there. Steps run in order: the `try` operations until the first failure,
then `catch` (on failure) and `finally`. A failed step ends the test. Afterwards every object
the test created is deleted in reverse order (waiting for each to go), then the namespace.
"""

from __future__ import annotations

import asyncio
import copy
import glob
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pykro.api.yamlio import load_documents
from pykro.errors import PykroError
from pykro.testing import jsonpath
from pykro.testing._cluster import Cluster, ClusterError, KindRef, UnknownKind
from pykro.testing.assertion import Mismatch, evaluate, match
from pykro.testing.model import (
    Apply,
    Assert,
    ChainsawTest,
    Delete,
    Diagnostic,
    Operation,
    Sleep,
    Step,
    Timeouts,
    Unsupported,
    Wait,
)
from pykro.testing.names import random_namespace
from pykro.testing.skips import Skips

Status = Literal["passed", "failed", "skipped"]
Output = Callable[[str], None]
_EXPRESSION = re.compile(r"^\((.+)\)$", re.DOTALL)


@dataclass(frozen=True)
class RunOptions:
    """Defaults for operations whose test sets no timeout (Chainsaw's defaults)."""

    timeouts: Timeouts = field(
        default_factory=lambda: Timeouts(apply=5.0, assert_=30.0, cleanup=30.0, delete=15.0, error=30.0)
    )
    max_sleep: float = 1.0  # `sleep` operations are shortened to this: pykro waits on state, not time
    poll_interval: float = 0.2
    skips: Skips = field(default_factory=Skips)


@dataclass
class StepResult:
    name: str
    status: Status
    seconds: float = 0.0
    messages: list[str] = field(default_factory=list)


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class, despite the name

    id: str
    name: str
    status: Status
    namespace: str | None = None
    seconds: float = 0.0
    steps: list[StepResult] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # skip reason, setup or cleanup failures


class OperationFailed(Exception):
    """An operation's expectation did not hold; the message says what and where."""


@dataclass(frozen=True)
class _Created:
    ref: KindRef
    name: str
    namespace: str | None


def _seconds(value: float) -> str:
    return f"{value:.1f}s"


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _template(value: Any, bindings: Mapping[str, Any]) -> Any:
    """Resolve `(expr)` string values (Chainsaw templating), e.g. `namespace: ($namespace)`."""
    if isinstance(value, Mapping):
        return {k: _template(v, bindings) for k, v in value.items()}
    if isinstance(value, list):
        return [_template(v, bindings) for v in value]
    if isinstance(value, str) and (m := _EXPRESSION.match(value)):
        return evaluate(m.group(1), None, bindings)
    return value


class _TestRun:
    def __init__(
        self, cluster: Cluster, test: ChainsawTest, namespace: str, options: RunOptions, out: Output
    ) -> None:
        self.cluster = cluster
        self.test = test
        self.namespace = namespace
        self.options = options
        self.out = out
        self.bindings: dict[str, Any] = {"namespace": namespace}
        self.created: list[_Created] = []

    # -- helpers -------------------------------------------------------------------------

    def _timeout(self, step: Step, kind: str, explicit: float | None) -> float:
        if explicit is not None:
            return explicit
        merged = step.timeouts.over(self.test.timeouts).over(self.options.timeouts)
        value: float | None = getattr(merged, kind)
        return value if value is not None else 30.0

    def _documents(
        self, file: str | None, resource: Mapping[str, Any] | None
    ) -> list[tuple[str, dict[str, Any]]]:
        if resource is not None:
            return [("inline resource", copy.deepcopy(dict(resource)))]
        assert file is not None
        if glob.has_magic(file):  # Chainsaw accepts path patterns such as `configs/*.yaml`
            paths = (
                sorted(self.test.folder.glob(file))
                if not Path(file).is_absolute()
                else sorted(Path(p) for p in glob.glob(file))
            )
            if not paths:
                raise OperationFailed(f"{file}: no file matches this pattern")
        else:
            paths = [Path(file) if Path(file).is_absolute() else self.test.folder / file]
        out: list[tuple[str, dict[str, Any]]] = []
        for path in paths:
            name = (
                str(path.relative_to(self.test.folder))
                if path.is_relative_to(self.test.folder)
                else str(path)
            )
            try:
                docs = load_documents(path)
            except PykroError as err:
                raise OperationFailed("; ".join(err.lines())) from None
            if not docs:
                raise OperationFailed(f"{name}: no documents")
            out.extend(
                (f"{name} document {i + 1}" if len(docs) > 1 else name, doc) for i, doc in enumerate(docs)
            )
        return out

    async def _kind(self, doc: Mapping[str, Any], label: str, *, wait: float = 0.0) -> KindRef:
        api_version, kind = doc.get("apiVersion"), doc.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str) or not api_version or not kind:
            raise OperationFailed(f"{label}: apiVersion and kind are required")
        resolved: list[KindRef] = []

        async def attempt() -> str | None:
            try:
                resolved.append(await self.cluster.resolve(api_version, kind))
            except UnknownKind as err:
                return str(err)
            return None

        problem = await self._until(wait, attempt)
        if problem is not None:
            raise OperationFailed(f"{label}: {problem}")
        return resolved[0]

    async def _until(self, timeout: float, attempt: Callable[[], Awaitable[str | None]]) -> str | None:
        """Run `attempt` every poll interval until it reports no problem (None) or `timeout` has passed;
        the last problem, if any. Runs at least once, so a zero timeout is a single check."""
        deadline = time.monotonic() + timeout
        while True:
            problem = await attempt()
            if problem is None or time.monotonic() >= deadline:
                return problem
            await asyncio.sleep(self.options.poll_interval)

    def _namespace_for(self, ref: KindRef, given: Any) -> str | None:
        if not ref.namespaced:
            return None  # a namespace on a cluster-scoped object is ignored, as by Kubernetes clients
        return str(given) if given else self.namespace

    @staticmethod
    def _describe(ref: KindRef, name: str | None, namespace: str | None) -> str:
        where = f" in namespace {namespace}" if namespace else ""
        return f"{ref.kind} {name!r}{where}" if name else f"{ref.kind} objects{where}"

    # -- operations ----------------------------------------------------------------------

    async def run_operation(self, step: Step, op: Operation) -> None:
        try:
            if isinstance(op, Apply):
                await self._apply(step, op)
            elif isinstance(op, Assert):
                await self._assert(step, op)
            elif isinstance(op, Delete):
                await self._delete(step, op)
            elif isinstance(op, Wait):
                await self._wait(step, op)
            elif isinstance(op, Sleep):
                await asyncio.sleep(min(op.duration, self.options.max_sleep))
            elif isinstance(op, Unsupported):
                raise OperationFailed(f"operation '{op.name}' is not supported by pykro's Chainsaw runner")
            elif not isinstance(op, Diagnostic):
                raise OperationFailed(f"unknown operation {type(op).__name__}")
        except PykroError as err:
            raise OperationFailed("; ".join(err.lines())) from None
        except ClusterError as err:
            raise OperationFailed(f"API server error: {err}") from None

    async def _apply(self, step: Step, op: Apply) -> None:
        wait = self._timeout(step, "apply", None)
        for label, raw in self._documents(op.file, op.resource):
            doc = _template(raw, self.bindings)
            ref = await self._kind(doc, label, wait=wait)
            metadata = doc.setdefault("metadata", {})
            name = metadata.get("name")
            if not name:
                raise OperationFailed(f"{label}: metadata.name is required")
            namespace = self._namespace_for(ref, metadata.get("namespace"))
            if namespace:
                metadata["namespace"] = namespace
            else:
                metadata.pop("namespace", None)
            what = self._describe(ref, name, namespace)
            try:
                await self.cluster.create(ref, doc)
            except ClusterError as err:
                if err.reason != "AlreadyExists" and err.status != 409:
                    raise OperationFailed(f"{label}: creating {what} failed: {err}") from None
                if op.create_only:
                    raise OperationFailed(f"{label}: {what} already exists") from None
                patch = copy.deepcopy(doc)
                patch["metadata"].pop("resourceVersion", None)
                try:
                    await self.cluster.merge_patch(ref, name, namespace, patch)
                except ClusterError as patch_err:
                    raise OperationFailed(f"{label}: updating {what} failed: {patch_err}") from None
            else:
                self.created.append(_Created(ref, name, namespace))

    async def _candidates(
        self, ref: KindRef, expected: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], str]:
        metadata = expected.get("metadata") or {}
        name = metadata.get("name")
        namespace = self._namespace_for(ref, metadata.get("namespace"))
        what = self._describe(ref, name, namespace)
        if name:
            obj = await self.cluster.get(ref, str(name), namespace)
            return ([obj] if obj is not None else []), what
        labels = metadata.get("labels") or {}
        plain = {
            k: str(v)
            for k, v in labels.items()
            if isinstance(v, str | int | bool) and not _EXPRESSION.match(str(k))
        }
        return await self.cluster.list(ref, namespace, plain), what

    async def _assert(self, step: Step, op: Assert) -> None:
        timeout = self._timeout(step, "error" if op.absent else "assert_", op.timeout)
        for label, raw in self._documents(op.file, op.resource):
            expected = dict(raw)
            metadata = expected.get("metadata")
            if isinstance(metadata, Mapping):
                # Only the lookup fields are templated; the tree itself is evaluated by the matcher.
                expected["metadata"] = {
                    **metadata,
                    **{
                        k: _template(metadata[k], self.bindings)
                        for k in ("name", "namespace")
                        if k in metadata
                    },
                }
            await self._poll_assert(label, expected, op.absent, timeout)

    async def _poll_assert(self, label: str, expected: dict[str, Any], absent: bool, timeout: float) -> None:
        problem = await self._until(timeout, lambda: self._assert_once(label, expected, absent))
        if problem is not None:
            head, _, details = problem.partition("\n")
            raise OperationFailed(
                f"{label}: {head.removesuffix(':')} (after {_seconds(timeout)})\n{details}".rstrip()
            )

    async def _assert_once(self, label: str, expected: dict[str, Any], absent: bool) -> str | None:
        """None when the expectation holds, else what is wrong right now."""
        api_version, kind = expected.get("apiVersion"), expected.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str) or not api_version or not kind:
            raise OperationFailed(f"{label}: apiVersion and kind are required")
        try:
            ref = await self.cluster.resolve(api_version, kind)
        except UnknownKind as err:
            return None if absent else str(err)
        candidates, what = await self._candidates(ref, expected)
        results: list[tuple[dict[str, Any], list[Mismatch]]] = [
            (obj, match(expected, obj, self.bindings)) for obj in candidates
        ]
        matching = [obj for obj, mismatches in results if not mismatches]
        if absent:
            if not matching:
                return None
            names = ", ".join(str(obj.get("metadata", {}).get("name")) for obj in matching)
            return f"{what} should not exist or match, but matches: {names}"
        if matching:
            return None
        if not results:
            return f"no {what} found"
        obj, mismatches = min(results, key=lambda item: len(item[1]))
        head = (
            f"{what} does not match"
            if len(results) == 1
            else (
                f"none of {len(results)} {ref.kind} objects matches; closest is "
                f"{obj.get('metadata', {}).get('name')!r}"
            )
        )
        return head + ":\n" + "\n".join(f"    {m}" for m in mismatches)

    async def _targets(self, op: Delete) -> list[tuple[str, KindRef, Mapping[str, Any]]]:
        if op.ref is not None:
            ref_doc = _template(dict(op.ref), self.bindings)
            expected = {
                "apiVersion": ref_doc["apiVersion"],
                "kind": ref_doc["kind"],
                "metadata": {k: ref_doc[k] for k in ("name", "namespace", "labels") if ref_doc.get(k)},
            }
            return [("ref", await self._kind(expected, "ref"), expected)]
        out = []
        for label, raw in self._documents(op.file, None):
            doc = _template(raw, self.bindings)
            out.append((label, await self._kind(doc, label), doc))
        return out

    async def _delete(self, step: Step, op: Delete) -> None:
        timeout = self._timeout(step, "delete", op.timeout)
        pending: list[tuple[KindRef, str, str | None]] = []
        for _label, ref, expected in await self._targets(op):
            candidates, _what = await self._candidates(ref, expected)
            for obj in candidates:
                name = obj["metadata"]["name"]
                namespace = obj["metadata"].get("namespace") if ref.namespaced else None
                await self.cluster.delete(ref, name, namespace)
                pending.append((ref, name, namespace))
        await self._wait_gone(pending, timeout)

    async def _wait_gone(self, pending: list[tuple[KindRef, str, str | None]], timeout: float) -> None:
        async def attempt() -> str | None:
            nonlocal pending
            pending = [p for p in pending if await self.cluster.get(*p) is not None]
            return ", ".join(self._describe(ref, name, ns) for ref, name, ns in pending) or None

        left = await self._until(timeout, attempt)
        if left is not None:
            raise OperationFailed(f"still present {_seconds(timeout)} after deletion: {left}")

    async def _wait(self, step: Step, op: Wait) -> None:
        timeout = self._timeout(step, "assert_", op.timeout)
        target = _template(dict(op.target), self.bindings)
        label = f"wait for {target['kind']}"
        ref = await self._kind(target, label, wait=timeout)
        namespace = self._namespace_for(ref, target.get("namespace"))
        what = self._describe(ref, target.get("name"), namespace)

        async def attempt() -> str | None:
            if target.get("name"):
                obj = await self.cluster.get(ref, str(target["name"]), namespace)
                objects = [obj] if obj is not None else []
            else:
                objects = await self.cluster.list(ref, namespace, _selector(target.get("selector")))
            return _wait_problem(op.condition, objects, what)

        problem = await self._until(timeout, attempt)
        if problem is not None:
            raise OperationFailed(f"{label}: {problem} (after {_seconds(timeout)})")

    # -- steps and cleanup ---------------------------------------------------------------

    async def run_step(self, step: Step) -> StepResult:
        started = time.monotonic()
        result = StepResult(step.name, "passed")
        for op in step.try_:
            try:
                await self.run_operation(step, op)
            except OperationFailed as err:
                result.status = "failed"
                result.messages.append(f"{_op_label(op)}: {err}")
                break
        if result.status == "failed":
            await self._run_quietly(step, step.catch, result)
        await self._run_quietly(step, step.finally_, result)
        result.seconds = time.monotonic() - started
        return result

    async def _run_quietly(self, step: Step, ops: tuple[Operation, ...], result: StepResult) -> None:
        for op in ops:
            if isinstance(op, Diagnostic | Unsupported):
                # catch/finally mostly collect diagnostics (pod logs of a real kro install); a step's
                # outcome is decided by its `try`, so what cannot run here is passed over, not failed.
                continue
            try:
                await self.run_operation(step, op)
            except OperationFailed as err:
                result.status = "failed"
                result.messages.append(f"{_op_label(op)}: {err}")

    async def cleanup(self, timeout: float) -> list[str]:
        problems = []
        for item in reversed(self.created):
            try:
                await self.cluster.delete(item.ref, item.name, item.namespace)
                await self._wait_gone([(item.ref, item.name, item.namespace)], timeout)
            except (OperationFailed, ClusterError, PykroError) as err:
                problems.append(f"cleanup of {self._describe(item.ref, item.name, item.namespace)}: {err}")
        self.created.clear()
        return problems


def _selector(value: Any) -> dict[str, str]:
    if not value:
        return {}
    pairs = [part.split("=", 1) for part in str(value).split(",") if "=" in part]
    return {k.strip(): v.strip() for k, v in pairs}


def _wait_problem(condition: Mapping[str, Any], objects: list[dict[str, Any]], what: str) -> str | None:
    if "deletion" in condition:
        return None if not objects else f"{what} still exists"
    if not objects:
        return f"no {what} found"
    for obj in objects:
        name = obj.get("metadata", {}).get("name")
        if "jsonPath" in condition:
            spec = condition["jsonPath"] or {}
            values = jsonpath.find(str(spec.get("path", "")), obj)
            if not values:
                return f"{spec.get('path')} selects nothing in {name!r}"
            if "value" in spec:
                rendered = [jsonpath.render(v) for v in values]
                if rendered != [str(spec["value"])]:
                    return f"{spec.get('path')} is {rendered} in {name!r}, waiting for {spec['value']!r}"
        else:
            spec = condition["condition"] or {}
            want = str(spec.get("value", "true"))
            conditions = (obj.get("status") or {}).get("conditions") or []
            found = [c for c in conditions if isinstance(c, Mapping) and c.get("type") == spec.get("name")]
            if not found or str(found[0].get("status", "")).lower() != want.lower():
                current = found[0].get("status") if found else "absent"
                return f"condition {spec.get('name')} of {name!r} is {current}, waiting for {want}"
    return None


def _op_label(op: Operation) -> str:
    kind = type(op).__name__.lower()
    if isinstance(op, Assert) and op.absent:
        kind = "error"
    detail = ""
    if isinstance(op, Apply | Assert | Delete) and op.file:
        detail = f" {op.file}"
    elif isinstance(op, Delete) and op.ref:
        detail = f" {op.ref.get('kind')}/{op.ref.get('name', '*')}"
    note = f" ({op.description.strip()})" if op.description.strip() else ""
    return f"{kind}{detail}{note} [{op.where}]"


async def _create_namespace(cluster: Cluster, fixed: str | None) -> tuple[str, bool]:
    """The test namespace, and whether this run created it (and so must delete it)."""
    ref = await cluster.resolve("v1", "Namespace")
    for _attempt in range(20):
        name = fixed or random_namespace()
        try:
            await cluster.create(ref, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
            return name, True
        except ClusterError as err:
            if err.status != 409:
                raise
            if fixed:
                return name, False
    raise PykroError("could not find a free namespace name after 20 attempts")


async def run_test(cluster: Cluster, test: ChainsawTest, options: RunOptions, out: Output) -> TestResult:
    """Run one test, printing a line per step through `out`."""
    started = time.monotonic()
    result = TestResult(test.id, test.name, "passed")
    reason = options.skips.for_test(test.id) or ("spec.skip is true" if test.skip else None)
    if reason:
        result.status = "skipped"
        result.messages.append(reason)
        out(f"SKIP {test.id}: {reason}")
        return result
    try:
        namespace, owned = await _create_namespace(cluster, test.namespace)
    except (ClusterError, PykroError) as err:
        result.status = "failed"
        result.messages.append(f"cannot create the test namespace: {err}")
        out(f"FAIL {test.id}: cannot create the test namespace: {err}")
        return result
    result.namespace = namespace
    out(f"RUN  {test.id} (namespace {namespace})")
    run = _TestRun(cluster, test, namespace, options, out)
    ran = 0
    try:
        for step in test.steps:
            skip = options.skips.for_step(test.id, step.name)
            if skip:
                result.steps.append(StepResult(step.name, "skipped", messages=[skip]))
                out(f"  SKIP step {step.name}: {skip}")
                continue
            step_result = await run.run_step(step)
            ran += 1
            result.steps.append(step_result)
            tag = "PASS" if step_result.status == "passed" else "FAIL"
            out(f"  {tag} step {step.name} ({_seconds(step_result.seconds)})")
            for message in step_result.messages:
                out(_indent(message, "       "))
            if step_result.status == "failed":
                result.status = "failed"
                break
    finally:
        cleanup_timeout = test.timeouts.over(options.timeouts).cleanup or 30.0
        problems = await run.cleanup(cleanup_timeout)
        if owned:
            try:
                await cluster.delete(await cluster.resolve("v1", "Namespace"), namespace, None)
            except (ClusterError, UnknownKind, PykroError) as err:
                problems.append(f"cleanup of namespace {namespace}: {err}")
    for problem in problems:
        out(f"  FAIL {problem}")
        result.messages.append(problem)
    if problems:
        result.status = "failed"
    if result.status == "passed" and ran == 0:
        result.status = "skipped"
    result.seconds = time.monotonic() - started
    tag = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}[result.status]
    out(f"{tag} {test.id} ({_seconds(result.seconds)})")
    return result


async def run_tests(
    kubeconfig: Path, tests: list[ChainsawTest], options: RunOptions, out: Output
) -> list[TestResult]:
    """Run `tests` one after the other against the cluster of `kubeconfig`."""
    async with Cluster.connect(kubeconfig) as cluster:
        return [await run_test(cluster, test, options, out) for test in tests]
