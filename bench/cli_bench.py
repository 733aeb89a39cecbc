"""CLI start time: `pykro validate` of the config-rollout example and `pykro --help`, wall clock, next to
`python -c "import yaml"` measured in the same run (goal: each pykro command under 0.5 s)."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from _common import REPO

PYTHON = sys.executable


def wall(argv: list[str], runs: int) -> float:
    """Median wall-clock seconds of `runs` runs (one warm-up run first, so the page cache is warm)."""
    subprocess.run(argv, capture_output=True, check=True, cwd=REPO)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, cwd=REPO)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    pykro = [PYTHON, "-m", "pykro.cli.main"]
    reference = wall([PYTHON, "-c", "import yaml"], runs)
    rows = [
        ('python -c "import yaml"', reference),
        ("pykro --help", wall([*pykro, "--help"], runs)),
        (
            "pykro validate examples/config-rollout/rgd.yaml",
            wall([*pykro, "validate", "examples/config-rollout/rgd.yaml"], runs),
        ),
        ("pykro completion bash", wall([*pykro, "completion", "bash"], runs)),
    ]
    print(f"CLI start time, median of {runs} runs (wall clock)")
    for name, seconds in rows:
        print(f"  {name:<52} {seconds * 1000:7.0f} ms   {seconds / reference:5.1f}x import yaml")


if __name__ == "__main__":
    main()
