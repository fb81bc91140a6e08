"""Keyed hashes of ID numbers: find a policy by ID number without an index of clear ID numbers.

``policy.holder_id_hash`` and ``policy.insured_id_hash`` hold HMAC-SHA256(HUIFANG_PII_KEY, number) in
hex. A search for an ID number hashes what was typed and looks the hash up (an indexed equality); the
index holds no ID number a reader of the database could use, and without the key the hashes cannot
be reversed by trying the (small) space of valid ID numbers.

Every write of a policy keeps the hashes: the bulk upsert (server.policies.services, which intake
uses) computes them for its rows, and an ORM listener on Policy covers everything else (the demo,
tests, one-off fixes). A new key needs every hash made again: ``flask --app server search rehash-ids``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from flask import current_app

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
