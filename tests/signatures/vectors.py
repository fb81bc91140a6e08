"""Builds the JSON test vectors of tests/vectors/signatures/ that the PWA runs too (Vitest).

``python -m tests.signatures.vectors`` rewrites them; test_vectors.py fails when the library no
longer produces exactly what the files say, so a change of format is always a visible decision.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from signatures import (
    MerkleLog,
    encode_strokes,
    encode_strokes_bytes,
    quantise_strokes,
    seal,
    sign_tree_head,
    signing_key_from_private_bytes,
    validate_strokes,
)
from signatures import offline_verifier as ov
from signatures.canonical import canonical_json

DIR = Path(__file__).resolve().parents[1] / "vectors" / "signatures"

CANONICAL_INPUTS = {
    "rfc8785 3.2.2 example": (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], '
        '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", '
        '"literals": [null, true, false]}'
    ),
    "rfc8785 3.2.3 sorting": (
        '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh", '
        '"1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", '
        '"\\u00f6": "Latin Small Letter O With Diaeresis"}'
    ),
    "numbers": "[0, -0.0, 1, -1, 1e21, 1e20, 1e-7, 0.000001, 0.1, 100.5, 1.5e300, 5e-324, 9007199254740991]",
    "chinese text and nesting": (
        '{"visit": {"answers": {"q2": "已阅读条款与免责条款", "q1": "是"}, "visit_id": "V-1"}, '
        '"place": {"lng": 117.12, "lat": 36.651, "label": "济南市历下区"}, "media": [], "empty": {}}'
    ),
    "control characters and escapes": (
        '["\\u0000\\u001f\\u007f", "tab\\tnew\\nline", "quote\\" slash/ back\\\\"]'
    ),
}


def canonical_cases() -> list[dict]:
    out = []
    for name, text in CANONICAL_INPUTS.items():
        canon = canonical_json(json.loads(text))
        out.append(
            {
                "name": name,
                "input": text,
                "canonical": canon.decode("utf-8"),
                "sha256": hashlib.sha256(canon).hexdigest(),
            }
        )
    return out


def _pt(x, y, t, p):
    return {"x": x, "y": y, "t": t, "p": p}


STROKE_SIGNATURES = {
    "empty": {"width": 600, "height": 240, "pixel_ratio": 1, "strokes": []},
    "one point": {"width": 600, "height": 240, "pixel_ratio": 2, "strokes": [[_pt(12.3, 45.6, 1000, 0.5)]]},
    "two strokes, epoch times, moving back and up": {
        "width": 600.5,
        "height": 240,
        "pixel_ratio": 2.63,
        "strokes": [
            [
                _pt(100, 100, 1764000000000, 0.2),
                _pt(110.5, 96.1, 1764000000008, 0.35),
                _pt(90.1, 80, 1764000000016, 1),
            ],
            [_pt(300, 200.9, 1764000000400, 0), _pt(299.9, 201, 1764000000400, 0.001)],
        ],
    },
    "large jumps need multi-byte varints": {
        "width": 6553.5,
        "height": 1,
        "pixel_ratio": 10,
        "strokes": [[_pt(0, 0, 0, 0), _pt(6553.5, 1, 2**40, 1), _pt(0, 0, 2**41, 0)]],
    },
}

QUANTISE_INPUTS = {
    "float noise is rounded to the format's precision": {
        "width": 600.04,
        "height": 239.96,
        "pixel_ratio": 2.625,
        "strokes": [[_pt(10.04, 20.06, 1000.4, 0.12345), _pt(10.25, 20.35, 1008.6, 0.9996)]],
    }
}


def _wave(n=120):
    import math

    return [
        _pt(round(40 + 500 * i / n, 1), round(120 + 60 * math.sin(i / 10), 1), 1000 + i * 8, 0.5)
        for i in range(n)
    ]


def validation_cases() -> list[dict]:
    base = {"width": 600, "height": 240, "pixel_ratio": 2}
    fast = [_pt(10 + i * 40, 100, 5000, 0.5) for i in range(10)]
    backwards = _wave()
    backwards[30] = {**backwards[30], "t": backwards[29]["t"] - 1}
    outside = _wave()
    outside[5] = {**outside[5], "x": 600.5}
    cases = {
        "valid wave": [_wave()],
        "empty": [],
        "dot": [[_pt(100 + i * 0.3, 100, 1000 + i * 8, 0.5) for i in range(10)]],
        "too fast": [fast],
        "time backwards": [backwards],
        "outside canvas": [outside],
        "pressure above one": [[{**p, "p": 1.5} if i == 3 else p for i, p in enumerate(_wave())]],
    }
    out = []
    for name, strokes in cases.items():
        sig = {**base, "strokes": strokes}
        problems = validate_strokes(sig)
        out.append(
            {
                "name": name,
                "signature": sig,
                "codes": [p["code"] for p in problems],
                "where": [{k: p[k] for k in ("stroke", "point") if k in p} for p in problems],
            }
        )
    return out


def stroke_cases() -> dict:
    return {
        "format": "see signatures/strokes.py: version byte 1, uvarints of width*10, height*10, "
        "pixel_ratio*100, stroke count; per stroke its point count and zigzag varint deltas of x*10, y*10, "
        "t, p*1000; base64url without padding",
        "round_trips": [
            {
                "name": name,
                "signature": sig,
                "encoded": encode_strokes(sig),
                "bytes_hex": encode_strokes_bytes(sig).hex(),
            }
            for name, sig in STROKE_SIGNATURES.items()
        ],
        "quantise": [
            {"name": name, "input": sig, "encoded": encode_strokes(sig), "decoded": quantise_strokes(sig)}
            for name, sig in QUANTISE_INPUTS.items()
        ],
        "invalid_encodings": ["", "AA", "Ag", "AQ"],
        "validation": validation_cases(),
    }


# A fixed test key (never used anywhere else): Ed25519 signatures are deterministic, so vectors are stable.
TEST_KEY = signing_key_from_private_bytes(
    hashlib.sha256(b"huifang test vector key").digest(), "2026-01-01T00:00:00Z"
)


def merkle_cases() -> dict:
    entries = [hashlib.sha256(f"entry-{i}".encode()).hexdigest() for i in range(13)]
    log = MerkleLog(entries)
    inclusion = [log.inclusion_proof(m, n) for n in range(1, 14) for m in range(n)]
    consistency = [log.consistency_proof(m, n) for n in range(1, 14) for m in range(1, n + 1)]
    head7 = sign_tree_head(7, log.root(7), "2026-11-25T02:00:00Z", None, TEST_KEY)
    head13 = sign_tree_head(13, log.root(13), "2026-11-25T03:00:00Z", head7, TEST_KEY)
    bad_inclusion = dict(log.inclusion_proof(5, 13))
    bad_inclusion["path"] = [
        bad_inclusion["path"][0][:-1] + "0" if bad_inclusion["path"][0][-1] != "0" else "1"
    ]
    manifest_sha256 = hashlib.sha256(b'{"example":"manifest"}').hexdigest()
    return {
        "hashing": "leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right), "
        "empty root = SHA-256(''); entries are the 32 raw bytes of manifest hashes; "
        "proofs as in RFC 9162 section 2.1",
        "entries": entries,
        "leaf_hashes": [ov.leaf_hash(bytes.fromhex(e)).hex() for e in entries],
        "roots": [log.root(n) for n in range(14)],
        "inclusion": [
            {**p, "entry": entries[p["leaf_index"]], "root": log.root(p["tree_size"])} for p in inclusion
        ],
        "consistency": [
            {**p, "first_root": log.root(p["first_size"]), "second_root": log.root(p["second_size"])}
            for p in consistency
        ],
        "must_fail": {
            "inclusion": [
                {
                    **log.inclusion_proof(5, 13),
                    "entry": entries[6],
                    "root": log.root(13),
                    "why": "another entry",
                },
                {
                    **log.inclusion_proof(5, 13),
                    "entry": entries[5],
                    "root": log.root(12),
                    "why": "another root",
                },
                {**bad_inclusion, "entry": entries[5], "root": log.root(13), "why": "a changed path hash"},
            ],
            "consistency": [
                {
                    **log.consistency_proof(6, 13),
                    "first_root": log.root(5),
                    "second_root": log.root(13),
                    "why": "the old root is not a prefix",
                },
                {
                    **log.consistency_proof(6, 13),
                    "first_root": log.root(6),
                    "second_root": log.root(12),
                    "why": "another new root",
                },
            ],
        },
        "key": {"key_id": TEST_KEY["key_id"], "alg": "Ed25519", "public_key": TEST_KEY["public_key"]},
        "tree_heads": [
            {
                "head": head,
                "signed_message_hex": ov.tree_head_message(head).hex(),
                "head_sha256": ov.tree_head_hash(head),
            }
            for head in (head7, head13)
        ],
        "seal": {
            "seal": seal(b'{"example":"manifest"}', TEST_KEY),
            "manifest": '{"example":"manifest"}',
            "manifest_sha256": manifest_sha256,
            "signed_message_hex": ov.seal_message(manifest_sha256).hex(),
        },
    }


FILES = {
    "canonical_json.json": canonical_cases,
    "strokes.json": stroke_cases,
    "merkle.json": merkle_cases,
}


def render(build) -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


def main() -> None:
    DIR.mkdir(parents=True, exist_ok=True)
    for name, build in FILES.items():
        (DIR / name).write_text(render(build), encoding="utf-8")


if __name__ == "__main__":
    main()
