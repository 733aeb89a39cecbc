"""Schema registry benchmarks: cold first resolve, cached resolve, instance-CRD build.

Run:  .venv/bin/python bench/schema_bench.py
Each figure is printed with its goal and PASS/MISS.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import KRO

EXAMPLES = KRO / "examples"

_COLD_SCRIPT = """
import time
start = time.perf_counter()
from pykro.schema.gvk import GVK
from pykro.schema.registry import SchemaRegistry
imported = time.perf_counter()
kind = SchemaRegistry().resolve(GVK("apps", "v1", "Deployment"))
kind.schema["properties"]["spec"]["properties"]["template"]["properties"]["spec"]["properties"]["containers"]["items"]
done = time.perf_counter()
print(imported - start, done - imported)
"""


def report(label: str, seconds: float, goal: float, unit: str) -> None:
    scale = {"ms": 1e3, "us": 1e6}[unit]
    verdict = "PASS" if seconds <= goal else "MISS"
    print(f"{label:<58} {seconds * scale:9.2f} {unit}   goal < {goal * scale:g} {unit}   {verdict}")


def cold_first_resolve(runs: int = 5) -> None:
    """Fresh interpreter each run, so import, JSON parse and normalization are all cold."""
    imports, resolves, walls = [], [], []
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _COLD_SCRIPT], capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - started)
        imported, resolved = map(float, out.stdout.split())
        imports.append(imported)
        resolves.append(resolved)
    total = [i + r for i, r in zip(imports, resolves, strict=True)]
    report(
        "first resolve apps/v1 Deployment (import + parse + resolve)", statistics.median(total), 0.200, "ms"
    )
    print(f"{'  of which import':<58} {statistics.median(imports) * 1e3:9.2f} ms")
    print(
        f"{'  whole subprocess incl. interpreter start (info)':<58} {statistics.median(walls) * 1e3:9.2f} ms"
    )


def per_call(fn: Callable[[], Any], *, batch: int, batches: int) -> float:
    """Median over `batches` of the mean time per call in a batch of `batch` calls."""
    fn()
    samples = []
    for _ in range(batches):
        started = time.perf_counter()
        for _ in range(batch):
            fn()
        samples.append((time.perf_counter() - started) / batch)
    return statistics.median(samples)


def cached_resolve() -> None:
    from pykro.schema.gvk import GVK
    from pykro.schema.registry import SchemaRegistry

    registry = SchemaRegistry()
    deployment = GVK("apps", "v1", "Deployment")
    report(
        "cached resolve apps/v1 Deployment",
        per_call(lambda: registry.resolve(deployment), batch=1000, batches=200),
        50e-6,
        "us",
    )


def largest_example_rgd() -> tuple[Path, Any] | None:
    from pykro.api.rgd import is_rgd_document, load_documents, parse_rgd

    best: tuple[int, Path, Any] | None = None
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        for doc in load_documents(path):
            if is_rgd_document(doc):
                size = len(json.dumps(doc["spec"].get("schema", {})))
                if best is None or size > best[0]:
                    best = (size, path, parse_rgd(doc, source=str(path)))
    return None if best is None else (best[1], best[2])


def instance_crd_build() -> None:
    try:
        from pykro.schema.crd import instance_crd
        from pykro.schema.simpleschema import to_openapi
    except ImportError as missing:
        print(f"instance CRD build: skipped ({missing})")
        return
    found = largest_example_rgd()
    if found is None:
        print(f"instance CRD build: skipped (no RGD under {EXAMPLES})")
        return
    path, rgd = found
    schema = rgd.spec.schema

    def build() -> dict[str, Any]:
        spec = to_openapi(schema.spec, schema.types)
        return instance_crd(schema, spec_schema=spec, status_schema=None, rgd_name=rgd.name, rgd_uid=rgd.uid)

    label = f"instance CRD build ({path.relative_to(EXAMPLES)})"
    report(label, per_call(build, batch=20, batches=50), 5e-3, "ms")


def main() -> None:
    cold_first_resolve()
    cached_resolve()
    instance_crd_build()


if __name__ == "__main__":
    main()
