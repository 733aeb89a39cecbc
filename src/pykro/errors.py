"""Error types shared by every layer.

A `PykroError` is an expected failure caused by input (a bad file, a bad RGD, an
unreachable cluster). The CLI prints it without a traceback; anything else is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located precisely enough to fix it."""

    path: str  # YAML path of the bad field, e.g. "spec.resources[2].id"; "" for the whole document
    message: str
    source: str = ""  # file name, when known

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.source, self.path) if part)
        return f"{where}: {self.message}" if where else self.message


class PykroError(Exception):
    """Base class for errors the user can act on."""

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems

    def lines(self) -> list[str]:
        """One line per problem, as the CLI prints them."""
        if self.problems:
            return [str(p) for p in self.problems]
        return [str(self)]
