"""Kubernetes Quantity library (examples from the Kubernetes CEL documentation)."""

from __future__ import annotations

import pytest
from cel_expr_python import cel

from pykro.cel.library import opaque_kind

from .celenv import compile_error, error, evaluate


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("isQuantity('1.3G')", True),
        ("isQuantity('1.3Gi')", True),
        ("isQuantity('500m')", True),
        ("isQuantity('5e3')", True),
        ("isQuantity('1.3Gi.3')", False),
        ("isQuantity('abc')", False),
        ("isQuantity('')", False),
        ("quantity('50k').isInteger()", True),
        ("quantity('50.5').isInteger()", False),
        ("quantity('9999999999999999999999999999999999999G').isInteger()", False),
        ("quantity('50k').asInteger()", 50000),
        ("quantity('50.703k').asInteger()", 50703),
        ("quantity('1Ki').asInteger()", 1024),
        ("quantity('500m').asApproximateFloat()", 0.5),
        ("quantity('50.5Mi').asApproximateFloat()", 52953088.0),
        ("quantity('50k').sign()", 1),
        ("quantity('-50k').sign()", -1),
        ("quantity('0').sign()", 0),
        ("quantity('50k').add(20).asInteger()", 50020),
        ("quantity('50k').add(quantity('20k')) == quantity('70k')", True),
        ("quantity('50k').sub(20) == quantity('49980')", True),
        ("quantity('50k').sub(quantity('20k')) == quantity('30k')", True),
        ("quantity('200M').compareTo(quantity('0.2G'))", 0),
        ("quantity('50M').compareTo(quantity('50Mi'))", -1),
        ("quantity('50Mi').compareTo(quantity('50M'))", 1),
        ("quantity('50M').isGreaterThan(quantity('50k'))", True),
        ("quantity('1Mi').isLessThan(quantity('100Mi'))", True),
        ("quantity('500Mi').isLessThan(quantity('1Gi')) ? 'small' : 'large'", "small"),
        ("quantity('1Gi') == quantity('1024Mi')", True),
        ("quantity('1k') == quantity('1Ki')", False),
        ("quantity('1e3') == quantity('1k')", True),
        ("quantity('1E') == quantity('1000P')", True),
        ("quantity('100n').asApproximateFloat()", 1e-07),
        # Kubernetes rounds sub-nano precision up.
        ("quantity('0.0000000001') == quantity('1n')", True),
    ],
)
def test_quantity_library(expr: str, expected: object) -> None:
    assert evaluate(expr) == expected


def test_quantity_from_typed_string_field() -> None:
    spec = (cel.Type.Map(cel.Type.STRING, cel.Type.STRING), {"memory": "512Mi"})
    assert evaluate("quantity(spec.memory).isLessThan(quantity('1Gi'))", spec=spec) is True
    assert opaque_kind(evaluate("quantity(spec.memory)", spec=spec)) == "quantity"


def test_quantity_errors() -> None:
    assert "quantities must match" in error("quantity('1.3Gi.3')")
    assert "cannot convert value to integer" in error("quantity('50.5').asInteger()")
    assert "cannot convert value to integer" in error("quantity('10E').asInteger()")
    assert "no such overload" in error("{'a': 'b'}.sign()")
    assert "no such overload" in error("quantity('1').isLessThan(semver('1.0.0'))")
    assert "no matching overload" in compile_error("quantity(1)")
