"""Shared test data for the signatures library: a signature, keys, and one visit's sealed evidence."""

from __future__ import annotations

import hashlib
import math
import random

from signatures import (
    MerkleLog,
    build_manifest,
    encode_strokes_bytes,
    export_bundle,
    generate_signing_key,
    manifest_hash,
    render_png,
    rotate_keys,
    seal,
    sign_tree_head,
)
from signatures.synthetic import genuine_signature, make_person

T = "2026-11-25T02:00:00Z"


def wave_signature(points: int = 300, pressure: float | None = None) -> dict:
    pts = [
        {
            "x": round(40 + 520 * i / points, 1),
            "y": round(120 + 70 * math.sin(i / 18), 1),
            "t": 1_764_000_000_000 + i * 8,
            "p": pressure if pressure is not None else round(0.3 + 0.4 * abs(math.sin(i / 25)), 3),
        }
        for i in range(points)
    ]
    return {"width": 600, "height": 240, "pixel_ratio": 2, "strokes": [pts[:150], pts[150:]]}


def person_signature(seed: int = 1) -> dict:
    return genuine_signature(make_person(seed), random.Random(seed))


def other_entries(n: int, salt: str = "visit") -> list[str]:
    return [hashlib.sha256(f"{salt}-{i}".encode()).hexdigest() for i in range(n)]


def evidence(old_key_seals: bool = False) -> dict:
    """One visit received, sealed, logged and bundled; with ``old_key_seals`` the key rotated since."""
    key1 = generate_signing_key("2026-01-01T00:00:00Z")
    ring = rotate_keys(None, key1, "2026-01-01T00:00:00Z")
    sig = person_signature(3)
    strokes = encode_strokes_bytes(sig)
    png = render_png(sig)
    media = {
        "signatures/policyholder.strokes": strokes,
        "signatures/policyholder.png": png,
        "signatures/policyholder.device.png": b"\x89PNG-from-the-tablet",
        "photos/door.jpg": bytes(random.Random(5).randrange(256) for _ in range(3000)),
    }
    kinds = {
        "signatures/policyholder.strokes": "signature_strokes",
        "signatures/policyholder.png": "signature_png",
        "signatures/policyholder.device.png": "signature_device_png",
        "photos/door.jpg": "photo",
    }
    manifest = build_manifest(
        {
            "visit_id": "V-2026-000123",
            "policy_no": "P3701002026000001",
            "visit_type": "new_business",
            "outcome": "completed",
            "answers": {"q1": "是", "q2": "已阅读条款与免责条款"},
        },
        media=[{"name": n, "kind": kinds[n], "data": d, "role": "policyholder"} for n, d in media.items()],
        user={"id": "u-17", "name": "王芳", "role": "specialist"},
        device={"id": "tab-0042", "model": "HUAWEI MatePad"},
        device_time="2026-11-25T10:00:00+08:00",
        server_time="2026-11-25T02:00:05Z",
        place={"lat": 36.651, "lng": 117.12, "accuracy_m": 12, "label": "济南市历下区"},
        questionnaire_version="new-business-2026.3",
    )
    the_seal = seal(manifest, key1)
    key = key1
    if old_key_seals:
        key = generate_signing_key("2026-06-01T00:00:00Z")
        ring = rotate_keys(ring, key, "2026-06-01T00:00:00Z")
    entries = [*other_entries(6), manifest_hash(manifest), *other_entries(5, "later")]
    log = MerkleLog(entries[:7])
    head1 = sign_tree_head(log.size, log.root(), T, None, key)
    log.extend(entries[7:])
    head2 = sign_tree_head(log.size, log.root(), "2026-11-25T03:00:00Z", head1, key)
    bundle = export_bundle(
        manifest=manifest,
        seal=the_seal,
        media=media,
        keyring=ring,
        inclusion_proof=log.inclusion_proof(6, head1["size"]),
        tree_head=head1,
        signing_key=key,
        latest_tree_head=head2,
        consistency_proof=log.consistency_proof(head1["size"], head2["size"]),
    )
    return {
        "key": key,
        "key1": key1,
        "ring": ring,
        "manifest": manifest,
        "seal": the_seal,
        "media": media,
        "entries": entries,
        "log": log,
        "heads": [head1, head2],
        "bundle": bundle,
        "signature": sig,
        "png": png,
    }
