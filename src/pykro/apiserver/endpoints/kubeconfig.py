"""The admin kubeconfig written next to the server's data."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import yaml

CONTEXT = "pykro"


def render(url: str, ca_path: Path, token: str) -> str:
    ca_data = base64.b64encode(ca_path.read_bytes()).decode()
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": {"server": url, "certificate-authority-data": ca_data}}],
        "users": [{"name": "admin", "user": {"token": token}}],
        "contexts": [
            {"name": CONTEXT, "context": {"cluster": CONTEXT, "user": "admin", "namespace": "default"}}
        ],
        "current-context": CONTEXT,
        "preferences": {},
    }
    return yaml.safe_dump(doc, sort_keys=False)


def write(path: Path, url: str, ca_path: Path, token: str) -> None:
    """Write atomically with owner-only permissions: it holds the admin token."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(render(url, ca_path, token))
    os.replace(tmp, path)
