"""The HMAC scheme shared by webhooks and inbound calls, against published vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.outbox import signing
from server.outbox.signing import SignatureError, sign, verify

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "webhook_signing.json").read_text())


@pytest.mark.parametrize("case", VECTORS["sign"], ids=lambda case: case["name"])
def test_sign_matches_the_published_vectors(case):
    assert sign(case["secret"].encode(), case["timestamp"], case["body"].encode()) == case["signature"]


@pytest.mark.parametrize("case", VECTORS["verify"], ids=lambda case: case["name"])
def test_verify_decides_as_the_published_vectors_say(case):
    def check():
        verify(
            case["secret"].encode(),
            case["header"],
            case["timestamp"],
            case["body"].encode(),
            now=case["now"],
            window=case.get("window", 300),
        )

    if case["expect"] == "ok":
        check()
    else:
        with pytest.raises(SignatureError) as raised:
            check()
        assert raised.value.code == case["expect"]


def test_a_signature_verifies_its_own_body_and_no_other():
    secret, body = b"s3cret", '{"event":"visit.submitted","data":{"name":"王五"}}'.encode()
    header = sign(secret, 1_800_000_000, body)
    assert header.startswith("v1=") and len(header) == 3 + 64
    verify(secret, header, "1800000000", body, now=1_800_000_000)
    verify(secret, header, 1_800_000_000, body, now=1_800_000_000)  # an int timestamp too
    with pytest.raises(SignatureError, match="signature_invalid"):
        verify(secret, header, "1800000000", body + b" ", now=1_800_000_000)


@pytest.mark.parametrize("late", [301, 3600, -301])
def test_an_old_or_future_timestamp_is_expired_even_with_a_valid_signature(late):
    header = sign(b"k", 1_800_000_000, b"{}")
    with pytest.raises(SignatureError) as raised:
        verify(b"k", header, "1800000000", b"{}", now=1_800_000_000 + late)
    assert raised.value.code == "signature_expired"


@pytest.mark.parametrize(
    "header, timestamp", [(None, "1"), ("", "1"), ("  ", "1"), ("v1=ab", None), ("v1=ab", "")]
)
def test_a_missing_signature_or_timestamp_is_signature_missing(header, timestamp):
    with pytest.raises(SignatureError) as raised:
        verify(b"k", header, timestamp, b"{}", now=1)
    assert raised.value.code == "signature_missing"


def test_digests_are_compared_in_constant_time(monkeypatch):
    calls = []
    real = signing.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signing.hmac, "compare_digest", spy)
    verify(b"k", sign(b"k", 5, b"x"), "5", b"x", now=5)
    assert calls


def test_an_unknown_error_code_is_a_programming_error():
    with pytest.raises(ValueError):
        SignatureError("nope")
