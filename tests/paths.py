"""Where the shared upstream kro data lives: `../shared/kro` beside the checkout (as in CI), or
wherever `PYKRO_SHARED_DIR` points."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PYKRO_SHARED_DIR", REPO.parent / "shared"))
KRO = SHARED / "kro"
KRO_EXAMPLES = KRO / "examples"
KRO_E2E = KRO / "e2e"
