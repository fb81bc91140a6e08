"""Ed25519 signing keys and the public key ring, with rotation: old keys keep verifying what they sealed.

A signing key (kept secret by the server) and a key ring (public, published, put in every bundle)
are plain dicts::

    {"key_id": "...", "alg": "Ed25519", "private_key": "<64 hex>", "public_key": "<64 hex>",
     "created_at": "2026-11-25T08:00:00Z"}
    {"keys": [{"key_id", "alg", "public_key", "status": "active"|"retired"|"revoked",
               "created_at", "retired_at"?, "revoked_at"?}, ...]}

The key id is the RFC 7638 thumbprint of the key as an RFC 8037 JWK, so anyone can recompute it.
Rotation retires the active key and adds the new one: a retired key still verifies the seals and
tree heads it made; a revoked key (compromised) verifies nothing any more.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .offline_verifier import ALG, key_id


def generate_signing_key(created_at: str) -> dict[str, str]:
    private = Ed25519PrivateKey.generate()
    return _key_dict(private, created_at)


def signing_key_from_private_bytes(private_key: bytes, created_at: str) -> dict[str, str]:
    """A signing key from its 32-byte seed (e.g. read from the server's secret store)."""
    return _key_dict(Ed25519PrivateKey.from_private_bytes(private_key), created_at)


def _key_dict(private: Ed25519PrivateKey, created_at: str) -> dict[str, str]:
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    pub = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {
        "key_id": key_id(pub),
        "alg": ALG,
        "private_key": raw.hex(),
        "public_key": pub.hex(),
        "created_at": created_at,
    }


def sign(signing_key: dict[str, str], message: bytes) -> str:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(signing_key["private_key"])).sign(message).hex()


def public_entry(signing_key: dict[str, str], status: str = "active") -> dict[str, Any]:
    return {
        "key_id": signing_key["key_id"],
        "alg": ALG,
        "public_key": signing_key["public_key"],
        "status": status,
        "created_at": signing_key["created_at"],
    }


def rotate_keys(keyring: dict[str, Any] | None, new_key: dict[str, str], at: str) -> dict[str, Any]:
    """A new key ring: the active key(s) retired at ``at``, ``new_key`` active. The input is not changed."""
    keys = []
    for entry in (keyring or {}).get("keys", []):
        entry = dict(entry)
        if entry.get("status") == "active":
            entry["status"] = "retired"
            entry["retired_at"] = at
        keys.append(entry)
    if any(e["key_id"] == new_key["key_id"] for e in keys):
        raise ValueError(f"key {new_key['key_id']} is already in the key ring")
    keys.append(public_entry(new_key))
    return {"keys": keys}


def revoke_key(keyring: dict[str, Any], key_id_: str, at: str) -> dict[str, Any]:
    """A new key ring in which ``key_id_`` is revoked: nothing it signed verifies any more."""
    if not any(e["key_id"] == key_id_ for e in keyring.get("keys", [])):
        raise ValueError(f"key {key_id_} is not in the key ring")
    return {
        "keys": [
            {**e, "status": "revoked", "revoked_at": at} if e["key_id"] == key_id_ else dict(e)
            for e in keyring.get("keys", [])
        ]
    }
