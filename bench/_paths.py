"""Shared locations for the benchmarks (see tests/paths.py)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KRO = Path(os.environ.get("PYKRO_SHARED_DIR", REPO.parent / "shared")) / "kro"
