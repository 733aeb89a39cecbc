"""CertificateSigningRequest validation: `spec.request` must hold a PEM certificate request, as the
real server's validation demands (kubectl describe parses it and fails, or crashes, otherwise)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from cryptography import x509

from pykro.apiserver.machinery.status import Cause

_PEM_BLOCK = re.compile(r"-----BEGIN ([^-\n]*)-----\r?\n(.*?)-----END \1-----", re.DOTALL)
_NOT_A_REQUEST = "PEM block type must be CERTIFICATE REQUEST"


def _go_bytes(data: bytes) -> str:
    """`[]byte{0x2d, 0x2d}`: how field.Invalid prints a byte slice (%#v)."""
    return "[]byte{" + ", ".join(f"{b:#x}" for b in data) + "}"


def _request_error(request: bytes) -> str | None:
    block = _PEM_BLOCK.search(request.decode("latin-1"))
    if block is None or block.group(1) != "CERTIFICATE REQUEST":
        return _NOT_A_REQUEST
    try:
        der = base64.b64decode("".join(block.group(2).split()), validate=True)
        x509.load_der_x509_csr(der)
    except (binascii.Error, ValueError):
        return "x509: malformed certificate request"
    return None


def csr_causes(spec: Mapping[str, Any]) -> list[Cause]:
    """Causes for a CertificateSigningRequest's spec (its request and signer)."""
    causes: list[Cause] = []
    encoded = spec.get("request")
    request = base64.b64decode(encoded) if isinstance(encoded, str) else b""  # typed decoding checked it
    error = _request_error(request)
    if error is not None:
        causes.append(Cause("spec.request", f"Invalid value: {_go_bytes(request)}: {error}"))
    if not spec.get("signerName"):
        causes.append(Cause("spec.signerName", "Required value", "FieldValueRequired"))
    return causes
