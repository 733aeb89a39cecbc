"""Embedded Kubernetes API server (HTTPS, discovery, OpenAPI, CRDs, watch, SQLite persistence)."""

from pykro.apiserver.server import EmbeddedAPIServer

__all__ = ["EmbeddedAPIServer"]
