"""Hypothesis profiles: CI runs a fixed, derandomized profile so a run is repeatable; locally the
default profile explores at random (`HYPOTHESIS_PROFILE=explore` searches harder). Pin every
failure found as an explicit `@example`."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.register_profile("explore", max_examples=2000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
