"""The YAML inputs of `pykro validate` and `pykro render`: files, directories and `-` (stdin).

A directory stands for every `*.yaml`/`*.yml` file below it, in sorted path order, so runs are
reproducible. Each document keeps its file name and its 1-based position among the file's
non-empty documents, which is how errors point at it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pykro.api.yamlio import load_documents, parse_yaml_documents
from pykro.errors import Problem, PykroError

STDIN = "-"
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Document:
    source: str  # the file name as given ("-" for stdin)
    index: int  # 1-based, among the file's non-empty documents
    body: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.source}: document {self.index}"


def expand_paths(arguments: tuple[str, ...] | list[str]) -> list[str]:
    """Files as given, directories replaced by their YAML files; `-` kept (read once)."""
    files: list[str] = []
    for argument in arguments:
        path = Path(argument)
        if argument == STDIN:
            files.append(STDIN)
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in YAML_SUFFIXES)
            if not found:
                raise PykroError(f"{argument}: no *.yaml or *.yml file in this directory")
            files.extend(str(p) for p in found)
        elif path.exists():
            files.append(argument)
        else:
            raise PykroError(f"{argument}: no such file or directory")
    if files.count(STDIN) > 1:
        raise PykroError("-: standard input can be given only once")
    return files


def read_documents(arguments: tuple[str, ...] | list[str]) -> list[Document]:
    """Every document of every input, in argument order."""
    documents: list[Document] = []
    for source in expand_paths(arguments):
        if source == STDIN:
            bodies = parse_yaml_documents(sys.stdin.read(), STDIN)
            bad = [i + 1 for i, body in enumerate(bodies) if not isinstance(body, dict)]
            if bad:
                problems = tuple(Problem("", f"document {i} is not a mapping", STDIN) for i in bad)
                raise PykroError(str(problems[0]), problems)
        else:
            bodies = load_documents(source)
        documents.extend(Document(source, i + 1, body) for i, body in enumerate(bodies))
    return documents
