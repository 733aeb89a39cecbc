"""FNV-1a hashes (32- and 64-bit), as Go's `hash/fnv` computes them.

kro hashes RGD specs and `hash.fnv64a()` arguments with FNV-64a; the Deployment controller names
ReplicaSets by the FNV-32a of the pod template. One definition serves all of them.
"""

from __future__ import annotations

_FNV32_OFFSET = 0x811C9DC5
_FNV32_PRIME = 0x01000193
_FNV64_OFFSET = 0xCBF29CE484222325
_FNV64_PRIME = 0x100000001B3
_MASK32 = (1 << 32) - 1
_MASK64 = (1 << 64) - 1


def fnv32a(data: bytes) -> int:
    h = _FNV32_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV32_PRIME) & _MASK32
    return h


def fnv64a(data: bytes) -> int:
    h = _FNV64_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV64_PRIME) & _MASK64
    return h
