"""Canonical JSON (RFC 8785, JSON Canonicalization Scheme) and SHA-256, the bytes every hash is taken over.

The ``rfc8785`` package (Trail of Bits, also used by ``sync/``) does the work; the PWA uses the RFC
author's ``canonicalize`` package, and tests/vectors/signatures/canonical_json.json proves they agree.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of a JSON value (dict, list, str, int, float, bool, None). Raises on NaN/inf."""
    return rfc8785.dumps(value)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
