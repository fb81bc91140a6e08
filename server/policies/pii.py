"""ID numbers at rest: encrypted (AES-256-GCM), and found through keyed hashes.

A policy's ID numbers are stored encrypted (``server.dbtypes.EncryptedText`` columns): a copy of the
database or of a backup shows ``v1.<key id>.<nonce+ciphertext+tag>``, not a number. The key is
derived from HUIFANG_PII_KEY (HKDF-SHA256, its own label); values written under an earlier key stay
readable while that key is listed in HUIFANG_PII_OLD_KEYS, and ``flask --app server search
rehash-ids`` re-encrypts them (and re-hashes) under the current one.

Keyed hashes of ID numbers: find a policy by ID number without an index of clear ID numbers.

``policy.holder_id_hash`` and ``policy.insured_id_hash`` hold HMAC-SHA256(HUIFANG_PII_KEY, number) in
hex. A search for an ID number hashes what was typed and looks the hash up (an indexed equality); the
index holds no ID number a reader of the database could use, and without the key the hashes cannot
be reversed by trying the (small) space of valid ID numbers.

Every write of a policy keeps the hashes: the bulk upsert (server.policies.services, which intake
uses) computes them for its rows, and an ORM listener on Policy covers everything else (the demo,
tests, one-off fixes). A new key needs every hash made again: ``flask --app server search rehash-ids``.
"""

from __future__ import annotations

import base64
import hmac
import os
from collections.abc import Callable
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from server.errors import HuifangError

HASHED = (("holder_id_number", "holder_id_hash"), ("insured_id_number", "insured_id_hash"))


def canonical(value: str) -> str:
    """The form that is hashed: stored numbers are already normalised; typed ones may not be."""
    return "".join(value.split()).upper()


def hasher(key: str | bytes | None = None) -> Callable[[str | None], str | None]:
    """A function number → hex hash with the key looked up once (bulk writes hash thousands)."""
    if key is None:
        key = current_app.config["HUIFANG_PII_KEY"]
    raw = key.encode() if isinstance(key, str) else key

    def digest(value: str | None) -> str | None:
        if not value:
            return None
        return hmac.digest(raw, canonical(value).encode(), "sha256").hex()

    return digest


def id_hash(value: str | None) -> str | None:
    return hasher()(value)


def fill(row: dict, digest: Callable[[str | None], str | None]) -> dict:
    """Set the hash columns of a row of Policy values from its ID numbers (where it has them)."""
    for number, hashed in HASHED:
        if number in row:
            row[hashed] = digest(row[number])
    return row


# ---- encryption at rest -------------------------------------------------------------------------

PREFIX = "v1."


@lru_cache(maxsize=16)
def _cipher(key: str) -> tuple[str, AESGCM]:
    """(key id, cipher) of a PII key: the key id says which key wrote a value."""
    raw = key.encode()
    derived = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"huifang pii encryption v1").derive(raw)
    kid = hmac.digest(derived, b"key id", "sha256").hex()[:8]
    return kid, AESGCM(derived)


def _keys() -> tuple[str, list[str]]:
    config = current_app.config
    old = [k.strip() for k in (config.get("HUIFANG_PII_OLD_KEYS") or "").split(",") if k.strip()]
    return config["HUIFANG_PII_KEY"], old


def encrypt(value: str | None, key: str | None = None) -> str | None:
    """``v1.<kid>.<base64url(nonce + ciphertext + tag)>``; a random nonce, so equal numbers differ
    (look them up by their hash). An already encrypted value is returned as it is."""
    if value is None or value == "" or value.startswith(PREFIX):
        return value
    kid, cipher = _cipher(key or _keys()[0])
    nonce = os.urandom(12)
    sealed = cipher.encrypt(nonce, value.encode(), kid.encode())
    return f"{PREFIX}{kid}.{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"


class PiiKeyMissing(HuifangError):
    """A value written under a key that is neither HUIFANG_PII_KEY nor in HUIFANG_PII_OLD_KEYS: an
    operator's mistake (a key changed without keeping the old one), answered as a clear 500."""

    def __init__(self, kid: str):
        super().__init__(
            "pii_key_missing",
            "无法解密证件号码：缺少当初加密所用的密钥，请联系系统管理员",
            "Cannot decrypt ID numbers: the key that encrypted them is missing; ask the administrator",
            500,
            {"key_id": kid, "hint": "add the old key to HUIFANG_PII_OLD_KEYS"},
        )


def decrypt(value: str | None) -> str | None:
    if value is None or not value.startswith(PREFIX):
        return value  # not encrypted (written before encryption came in): read as it is
    kid, _, body = value[len(PREFIX) :].partition(".")
    current, old = _keys()
    for key in (current, *old):
        key_id, cipher = _cipher(key)
        if key_id == kid:
            data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return cipher.decrypt(data[:12], data[12:], kid.encode()).decode()
    raise PiiKeyMissing(kid)
