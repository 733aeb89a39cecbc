"""The error every graph-building failure raises, located precisely enough to point at."""

from __future__ import annotations

import re

from pykro.errors import Problem, PykroError

_POSITION = re.compile(r"^([0-9]+):([0-9]+): ")


class GraphError(PykroError):
    """An RGD that cannot be compiled.

    `resource_id` ("" for graph-level problems, "schema.status" style ids are not used), `path`
    (field path inside the template / `.status`, kro spelling), `expression` (the string as the user
    wrote it) and `offset` (character offset of the offending part inside `expression`, when known).
    `yaml_path` locates the field in the RGD document (`spec.resources[1].template.spec.replicas`).
    """

    def __init__(
        self,
        message: str,
        *,
        resource_id: str = "",
        path: str = "",
        expression: str = "",
        offset: int | None = None,
        yaml_path: str = "",
        source: str = "",
        problems: tuple[Problem, ...] = (),
    ) -> None:
        super().__init__(message, problems or (Problem(yaml_path, message, source),))
        self.message = message
        self.resource_id = resource_id
        self.path = path
        self.expression = expression
        self.offset = offset
        self.yaml_path = yaml_path


def cel_position(detail: str) -> tuple[int, int] | None:
    """`(line, column)` (both 1-based) from a cel error text like `1:18: found no matching overload`."""
    match = _POSITION.match(detail)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def offset_in(text: str, line: int, column: int) -> int:
    """0-based character offset of a 1-based line/column position in `text`."""
    start = 0
    for _ in range(line - 1):
        nl = text.find("\n", start)
        if nl < 0:
            break
        start = nl + 1
    return min(start + max(column - 1, 0), len(text))
