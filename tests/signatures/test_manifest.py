"""The evidence manifest and its Ed25519 seal: key rotation, unknown and revoked keys, tampering."""

from __future__ import annotations

import copy

import pytest

from signatures import (
    build_manifest,
    generate_signing_key,
    manifest_bytes,
    manifest_hash,
    revoke_key,
    rotate_keys,
    seal,
    verify_media,
    verify_seal,
)
from signatures.canonical import canonical_json

from .helpers import evidence


def parts(problems) -> list[str]:
    return [p["part"] for p in problems]


def test_manifest_lists_every_media_hash_and_the_context():
    ev = evidence()
    m = ev["manifest"]
    assert [e["name"] for e in m["media"]] == sorted(ev["media"])
    assert {e["kind"] for e in m["media"]} == {
        "signature_strokes",
        "signature_png",
        "signature_device_png",
        "photo",
    }
    assert m["times"] == {"device": "2026-11-25T10:00:00+08:00", "server": "2026-11-25T02:00:05Z"}
    assert m["questionnaire_version"] and m["user"]["id"] and m["device"]["id"] and m["place"]["lat"]
    assert manifest_bytes(m) == canonical_json(m)
    assert manifest_hash(m) == manifest_hash(manifest_bytes(m))


def test_key_order_does_not_change_the_hash():
    ev = evidence()
    shuffled = dict(reversed(list(ev["manifest"].items())))
    assert manifest_hash(shuffled) == manifest_hash(ev["manifest"])


def test_a_fresh_seal_verifies():
    ev = evidence()
    assert verify_seal(ev["manifest"], ev["seal"], ev["ring"]) == []
    assert verify_media(ev["manifest"], ev["media"]) == []


def test_after_rotation_the_old_key_still_verifies_old_seals():
    ev = evidence(old_key_seals=True)
    statuses = {k["key_id"]: k["status"] for k in ev["ring"]["keys"]}
    assert statuses == {ev["key1"]["key_id"]: "retired", ev["key"]["key_id"]: "active"}
    assert ev["seal"]["key_id"] == ev["key1"]["key_id"]
    assert verify_seal(ev["manifest"], ev["seal"], ev["ring"]) == []
    assert verify_seal(ev["manifest"], seal(ev["manifest"], ev["key"]), ev["ring"]) == []


def test_unknown_key_id_fails_clearly():
    ev = evidence()
    stranger = generate_signing_key("2026-01-01T00:00:00Z")
    (p,) = verify_seal(ev["manifest"], seal(ev["manifest"], stranger), ev["ring"])
    assert (p["part"], p["code"], p["key_id"]) == ("seal", "seal.unknown_key", stranger["key_id"])


def test_a_revoked_key_verifies_nothing():
    ev = evidence()
    ring = revoke_key(ev["ring"], ev["key1"]["key_id"], "2026-12-01T00:00:00Z")
    assert [p["code"] for p in verify_seal(ev["manifest"], ev["seal"], ring)] == ["seal.revoked_key"]


def test_a_changed_manifest_is_named():
    ev = evidence()
    m = copy.deepcopy(ev["manifest"])
    m["visit"]["answers"]["q1"] = "否"
    (p,) = verify_seal(m, ev["seal"], ev["ring"])
    assert (p["part"], p["code"]) == ("manifest", "manifest.hash_mismatch")


def test_a_flipped_signature_is_named():
    ev = evidence()
    s = dict(ev["seal"])
    s["signature"] = ("1" if s["signature"][0] != "1" else "2") + s["signature"][1:]
    (p,) = verify_seal(ev["manifest"], s, ev["ring"])
    assert (p["part"], p["code"]) == ("seal", "seal.signature_invalid")


def test_a_key_whose_id_lies_is_named():
    ev = evidence()
    ring = copy.deepcopy(ev["ring"])
    ring["keys"][0]["public_key"] = generate_signing_key("x")["public_key"]
    assert parts(verify_seal(ev["manifest"], ev["seal"], ring)) == ["keys", "seal"]


def test_a_changed_media_file_is_named():
    ev = evidence()
    media = dict(ev["media"])
    media["photos/door.jpg"] = media["photos/door.jpg"][:-1] + b"\x00"
    (p,) = verify_media(ev["manifest"], media)
    assert (p["part"], p["code"], p["file"]) == ("media", "media.hash_mismatch", "photos/door.jpg")
    del media["photos/door.jpg"]
    assert [p["code"] for p in verify_media(ev["manifest"], media)] == ["media.missing"]


def test_rotating_to_a_key_already_in_the_ring_is_refused():
    key = generate_signing_key("t")
    ring = rotate_keys(None, key, "t")
    with pytest.raises(ValueError):
        rotate_keys(ring, key, "t")


def _build(**overrides):
    args = {
        "media": [],
        "user": {"id": "u"},
        "device": {"id": "d"},
        "device_time": "t",
        "server_time": "t",
        "place": None,
        "questionnaire_version": "v",
    }
    args.update(overrides)
    return build_manifest(args.pop("visit", {"visit_id": "V"}), **args)


@pytest.mark.parametrize(
    "media",
    [
        [{"name": "../etc/passwd", "kind": "photo", "data": b"x"}],
        [{"name": "/abs", "kind": "photo", "data": b"x"}],
        [{"name": "a", "kind": "video-ish", "data": b"x"}],
        [{"name": "a", "kind": "photo", "data": b"x"}, {"name": "a", "kind": "photo", "data": b"y"}],
        [{"name": "a", "kind": "photo", "sha256": "ABC", "size": 1}],
    ],
)
def test_unsafe_or_ambiguous_media_are_refused(media):
    with pytest.raises(ValueError):
        _build(media=media)


def test_values_json_cannot_hold_are_refused():
    with pytest.raises(ValueError):
        _build(visit={"amount": float("nan")})


def test_media_may_be_given_by_hash():
    m = _build(media=[{"name": "a.jpg", "kind": "photo", "sha256": "0" * 64, "size": 3}])
    assert m["media"] == [{"name": "a.jpg", "kind": "photo", "sha256": "0" * 64, "size": 3}]
