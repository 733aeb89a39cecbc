"""Run Kyverno Chainsaw e2e scenarios against pykro (or any cluster).

    python -m pykro.testing.chainsaw DIR [DIR...] [--kubeconfig K] [--skip-file F] [--timeout S]

Every folder under the DIRs holding a `chainsaw-test.yaml` is a test. Without `--kubeconfig`
the tests run against pykro's embedded API server, with pykro's controller beside it. Prints a line per test
and step, then `N passed, N failed[, N skipped]`.
Exit status: 0 when nothing failed, 1 when a test failed, 2 for bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from pykro.errors import Problem, PykroError
from pykro.testing.backend import Backend, EmbeddedServer, ExistingCluster, default_controller_hook
from pykro.testing.model import ChainsawTest, Timeouts, discover, load_test, parse_duration
from pykro.testing.runner import RunOptions, TestResult, run_tests
from pykro.testing.skips import Skips, default_skips, load_skips

__all__ = ["load_suite", "main", "run_suite", "summary"]


def load_suite(roots: Sequence[Path]) -> list[ChainsawTest]:
    """Every test under `roots`; all parse errors are collected into one `PykroError`."""
    tests: list[ChainsawTest] = []
    problems: list[Problem] = []
    for folder in discover(list(roots)):
        try:
            tests.append(load_test(folder))
        except PykroError as err:
            problems.extend(err.problems or ())
            if not err.problems:
                raise
    if problems:
        raise PykroError(str(problems[0]), tuple(problems))
    return tests


def summary(results: Sequence[TestResult]) -> str:
    """`N passed, N failed` plus `, N skipped` when any were skipped."""
    counts = {
        status: sum(1 for r in results if r.status == status) for status in ("passed", "failed", "skipped")
    }
    line = f"{counts['passed']} passed, {counts['failed']} failed"
    return line + (f", {counts['skipped']} skipped" if counts["skipped"] else "")


async def run_suite(backend: Backend, tests: list[ChainsawTest], options: RunOptions) -> list[TestResult]:
    """Run `tests` against a cluster from `backend`, printing progress to stdout."""
    async with backend.session() as kubeconfig:
        return await run_tests(kubeconfig, tests, options, lambda line: print(line, flush=True))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pykro.testing.chainsaw",
        description="Run Kyverno Chainsaw e2e scenarios against pykro's embedded API server or a cluster.",
    )
    parser.add_argument(
        "dirs", nargs="+", type=Path, metavar="DIR", help="folders searched for chainsaw-test.yaml"
    )
    parser.add_argument(
        "--kubeconfig", type=Path, help="run against this cluster instead of the embedded server"
    )
    parser.add_argument(
        "--skip-file",
        type=Path,
        action="append",
        default=[],
        help="extra skip list (YAML: test[/step]: reason)",
    )
    parser.add_argument("--no-default-skips", action="store_true", help="ignore pykro's built-in skip list")
    parser.add_argument(
        "--timeout", metavar="DURATION", help="default assert/error/wait timeout (e.g. 30s, 2m)"
    )
    parser.add_argument(
        "--max-sleep", metavar="DURATION", default="1s", help="cap on each `sleep` operation (default 1s)"
    )
    return parser


def _options(args: argparse.Namespace) -> RunOptions:
    skips = Skips() if args.no_default_skips else default_skips()
    for path in args.skip_file:
        skips = skips.merged(load_skips(path))
    timeouts = RunOptions().timeouts
    if args.timeout:
        seconds = parse_duration(args.timeout, where="--timeout", source="command line")
        timeouts = Timeouts(assert_=seconds, error=seconds).over(timeouts)
    max_sleep = parse_duration(args.max_sleep, where="--max-sleep", source="command line")
    return RunOptions(timeouts=timeouts, max_sleep=max_sleep, skips=skips)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        options = _options(args)
        tests = load_suite(args.dirs)
        backend: Backend = (
            ExistingCluster(args.kubeconfig)
            if args.kubeconfig
            else EmbeddedServer(start_controller=default_controller_hook())
        )
        if isinstance(backend, ExistingCluster):
            backend.kubeconfig()  # fail on a missing file before anything runs
        results = asyncio.run(run_suite(backend, tests, options))
    except PykroError as err:
        for line in err.lines():
            print(f"error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    print(summary(results), flush=True)
    return 1 if any(r.status == "failed" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
