"""Graph-compile and evaluation benchmarks (`python bench/compile_bench.py`).

Prints the median compile time of kro's webapp example (goal ≤ 20 ms warm), of a generated
50-resource chain (goal ≤ 500 ms), and evaluations per second of one template-style expression
against a reused activation (goal ≥ 200,000/s).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from _common import KRO

from pykro.api.rgd import is_rgd_document, load_documents, parse_rgd
from pykro.cel.compiler import CelCompiler, make_activation
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


def main() -> None:
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


if __name__ == "__main__":
    main()
