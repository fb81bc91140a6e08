"""The JSON vectors the PWA also runs: the library still produces them, and they mean what they say."""

from __future__ import annotations

import json

import pytest

from signatures import decode_strokes, encode_strokes, verify_seal, verify_tree_head
from signatures import offline_verifier as ov

from . import vectors


def load(name: str):
    return json.loads((vectors.DIR / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(vectors.FILES))
def test_vector_files_are_what_the_library_produces(name):
    assert (vectors.DIR / name).read_text(encoding="utf-8") == vectors.render(vectors.FILES[name]), (
        f"run `python -m tests.signatures.vectors` if the change of {name} is intended"
    )


def test_canonical_json_matches_rfc_8785_examples():
    cases = {c["name"]: c for c in load("canonical_json.json")}
    assert cases["rfc8785 3.2.2 example"]["canonical"] == (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    keys = list(json.loads(cases["rfc8785 3.2.3 sorting"]["canonical"]))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_stroke_vectors_round_trip():
    data = load("strokes.json")
    for case in data["round_trips"]:
        assert decode_strokes(case["encoded"]) == case["signature"]
        assert encode_strokes(case["signature"]) == case["encoded"]
    for case in data["quantise"]:
        assert decode_strokes(case["encoded"]) == case["decoded"]
    for bad in data["invalid_encodings"]:
        with pytest.raises(ValueError):
            decode_strokes(bad)
    assert {c["name"]: c["codes"] for c in data["validation"]}["valid wave"] == []


def _b(values):
    return [bytes.fromhex(v) for v in values]


def test_merkle_vectors_verify_and_the_bad_ones_fail():
    data = load("merkle.json")
    for p in data["inclusion"]:
        leaf = ov.leaf_hash(bytes.fromhex(p["entry"]))
        assert ov.verify_inclusion(
            leaf, p["leaf_index"], p["tree_size"], _b(p["path"]), bytes.fromhex(p["root"])
        )
    for p in data["consistency"]:
        assert ov.verify_consistency(
            p["first_size"],
            p["second_size"],
            bytes.fromhex(p["first_root"]),
            bytes.fromhex(p["second_root"]),
            _b(p["path"]),
        )
    for p in data["must_fail"]["inclusion"]:
        leaf = ov.leaf_hash(bytes.fromhex(p["entry"]))
        assert not ov.verify_inclusion(
            leaf, p["leaf_index"], p["tree_size"], _b(p["path"]), bytes.fromhex(p["root"])
        )
    for p in data["must_fail"]["consistency"]:
        assert not ov.verify_consistency(
            p["first_size"],
            p["second_size"],
            bytes.fromhex(p["first_root"]),
            bytes.fromhex(p["second_root"]),
            _b(p["path"]),
        )
    ring = {"keys": [{**data["key"], "status": "active"}]}
    for h in data["tree_heads"]:
        assert verify_tree_head(h["head"], ring) == []
        assert ov.tree_head_message(h["head"]).hex() == h["signed_message_hex"]
    assert data["tree_heads"][1]["head"]["prev_head_sha256"] == data["tree_heads"][0]["head_sha256"]
    assert verify_seal(data["seal"]["manifest"].encode(), data["seal"]["seal"], ring) == []
