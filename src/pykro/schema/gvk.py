"""Group/version/kind identity of a Kubernetes object type."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class GVK:
    """A Kubernetes group/version/kind; the core group is the empty string."""

    group: str
    version: str
    kind: str

    @classmethod
    def from_api_version(cls, api_version: str, kind: str) -> GVK:
        """Split an `apiVersion` ("v1" or "apps/v1") into group and version."""
        group, sep, version = api_version.rpartition("/")
        if not sep:
            return cls("", api_version, kind)
        return cls(group, version, kind)

    @property
    def api_version(self) -> str:
        """The `apiVersion` string: "v1" for the core group, "group/version" otherwise."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def __str__(self) -> str:
        return f"{self.api_version}, Kind={self.kind}"
