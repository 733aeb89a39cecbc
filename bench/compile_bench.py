"""Graph-compile and evaluation benchmarks (`python bench/compile_bench.py`).

Prints the median compile time of kro's webapp example (goal ≤ 20 ms warm), of a generated
50-resource chain (goal ≤ 500 ms), and evaluations per second of one template-style expression
against a reused activation (goal ≥ 200,000/s). Then, for chains of 100, 1,000 and 10,000
ConfigMaps (each reading the previous one's metadata.name), the time and peak memory of compiling
them as `pykro validate` does, each in a fresh process, and the per-resource cost at the largest
size over that at the smallest (goal ≤ 2: compile cost linear in resources).

    python bench/compile_bench.py [--sizes 100,1000,10000]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from _common import KRO

from pykro.api.rgd import is_rgd_document, load_documents, parse_rgd
from pykro.cel.compiler import CelCompiler, make_activation
from pykro.cli.compile_files import compile_documents
from pykro.graph import build_graph
from pykro.schema.registry import SchemaRegistry

WEBAPP = KRO / "examples/webapp/rg.yaml"


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm: schema parsing, descriptor pools, cel environment
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def chain(n: int) -> dict[str, Any]:
    resources = []
    for i in range(n):
        data = {"name": "${schema.spec.name}"}
        if i:
            data["prev"] = f"${{r{i - 1}.metadata.name}}"
        resources.append(
            {
                "id": f"r{i}",
                "template": {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": f"${{schema.spec.name}}-{i}"},
                    "data": data,
                },
            }
        )
    return {
        "apiVersion": "kro.run/v1alpha1",
        "kind": "ResourceGraphDefinition",
        "metadata": {"name": "chain"},
        "spec": {
            "schema": {
                "apiVersion": "v1alpha1",
                "kind": "Chain",
                "spec": {"name": "string"},
                "status": {"last": f"${{r{n - 1}.metadata.name}}"},
            },
            "resources": resources,
        },
    }


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def compile_chain_once(n: int) -> None:
    """In this (fresh) process: compile an n-resource chain; print seconds, peak RSS and its growth."""
    document = chain(n)
    base = _peak_rss_mb()
    start = time.perf_counter()
    [entry] = compile_documents([("chain.yaml", document)])
    elapsed = time.perf_counter() - start
    assert entry.error is None and entry.graph is not None, entry.error
    assert len(entry.graph.nodes) == n
    print(f"{elapsed} {_peak_rss_mb()} {_peak_rss_mb() - base}")


def chain_scaling(sizes: list[int]) -> None:
    per_resource: dict[int, float] = {}
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], check=True, capture_output=True, text=True
        ).stdout.split()
        seconds, peak, growth = (float(x) for x in out[-3:])
        per_resource[n] = seconds / n
        print(
            f"{n:,}-resource chain compile (as pykro validate, fresh process): {seconds:.2f} s, "
            f"{per_resource[n] * 1000:.2f} ms per resource, peak RSS {peak:.0f} MB "
            f"(+{growth:.0f} MB while compiling)"
        )
    small, large = min(sizes), max(sizes)
    if small != large:
        ratio = per_resource[large] / per_resource[small]
        print(f"per-resource compile cost at {large:,} over {small:,}: {ratio:.2f} (goal <= 2)")


def main(sizes: list[int]) -> None:
    registry = SchemaRegistry()
    webapp = next(parse_rgd(d) for d in load_documents(WEBAPP) if is_rgd_document(d))
    print(
        f"webapp compile (median of 30): {median_ms(lambda: build_graph(webapp, registry), 30):.1f} ms (goal "
        "<= 20)"
    )
    chain50 = parse_rgd(chain(50))
    print(
        "50-resource chain compile (median of 5): "
        f"{median_ms(lambda: build_graph(chain50, registry), 5):.1f} ms "
        "(goal <= 500)"
    )

    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "replicas": {"type": "integer"}},
            }
        },
    }
    program = (
        CelCompiler({"schema": schema}).check('schema.spec.name + "-" + string(schema.spec.replicas)').program
    )
    activation = make_activation({"schema": {"spec": {"name": "web", "replicas": 3}}})
    assert program.evaluate(activation) == "web-3"
    n = 200_000
    start = time.perf_counter()
    for _ in range(n):
        program.evaluate(activation)
    rate = n / (time.perf_counter() - start)
    print(f"evaluations per second: {rate:,.0f} (goal >= 200,000)")
    chain_scaling(sizes)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,10000", help="chain lengths, comma-separated")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one size, this process
    args = parser.parse_args()
    if args.one:
        compile_chain_once(args.one)
    else:
        main([int(n) for n in args.sizes.split(",")])
