"""HMAC-SHA256 signatures of webhook and inbound bodies, with no framework.

The signed content is ``f"{timestamp}.".encode() + body``: the unix time in seconds at which the
request was sent, a dot, and the raw body bytes exactly as sent. The header value is
``v1=<lowercase hex digest>``; during a secret rotation a sender may send several, separated by
commas (``v1=abc…,v1=def…``), and one match is enough. The timestamp travels in its own header and
must lie within ``window`` seconds of the receiver's clock, which bounds how long a captured request
can be replayed. Test vectors: tests/vectors/webhook_signing.json.
"""

from __future__ import annotations

import hashlib
import hmac
import re

SCHEME = "v1"
DEFAULT_WINDOW = 300  # seconds either side of the receiver's clock

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


class SignatureError(Exception):
    """A signature that does not prove the body; ``code`` says why."""

    CODES = ("signature_missing", "signature_invalid", "signature_expired")

    def __init__(self, code: str):
        if code not in self.CODES:
            raise ValueError(f"unknown signature error code {code!r}")
        super().__init__(code)
        self.code = code


def digest(secret: bytes, timestamp: int, body: bytes) -> str:
    """The lowercase hex HMAC-SHA256 of ``f"{timestamp}.{body}"``."""
    return hmac.new(secret, f"{int(timestamp)}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The X-Huifang-Signature header value for this body sent at this time: ``v1=<hex>``."""
    return f"{SCHEME}={digest(secret, timestamp, body)}"


def verify(
    secret: bytes,
    header_signature: str | None,
    timestamp: str | int | None,
    body: bytes,
    *,
    now: int,
    window: int = DEFAULT_WINDOW,
) -> None:
    """Return when a ``v1`` signature in the header matches and the timestamp is fresh; raise otherwise.

    Codes, checked in this order: ``signature_missing`` (no signature or no timestamp),
    ``signature_invalid`` (a malformed timestamp, or no signature that matches), ``signature_expired``
    (a matching signature whose timestamp is more than ``window`` seconds from ``now``). The digests
    are compared in constant time.
    """
    if not header_signature or not str(header_signature).strip() or timestamp in (None, ""):
        raise SignatureError("signature_missing")
    if isinstance(timestamp, bool) or not (
        isinstance(timestamp, int) or _TIMESTAMP.fullmatch(str(timestamp).strip())
    ):
        raise SignatureError("signature_invalid")
    sent = int(str(timestamp).strip())
    expected = digest(secret, sent, body).encode()
    matched = False
    for part in str(header_signature).split(","):
        scheme, _, value = part.strip().partition("=")
        value = value.strip().lower()
        if scheme.strip() != SCHEME or not _HEX_DIGEST.fullmatch(value):
            continue
        # Every candidate is compared (no early exit), each in constant time.
        matched |= hmac.compare_digest(expected, value.encode())
    if not matched:
        raise SignatureError("signature_invalid")
    if abs(int(now) - sent) > window:
        raise SignatureError("signature_expired")
