"""Canonical form and hash of a sync record.

The SHA-256 of a record is taken over its JSON Canonicalization Scheme form (RFC 8785), computed by
the ``rfc8785`` package (Trail of Bits) here and by ``canonicalize`` (the RFC author's package) in
the PWA. The same bytes on the tablet and on the server, whatever the key order or number format.
The ``hash`` member itself is never part of what is hashed.
"""

from __future__ import annotations

import hashlib

import rfc8785

HASH_FIELD = "hash"


def canonical_bytes(record: dict) -> bytes:
    return rfc8785.dumps({key: value for key, value in record.items() if key != HASH_FIELD})


def record_hash(record: dict) -> str:
    return hashlib.sha256(canonical_bytes(record)).hexdigest()
