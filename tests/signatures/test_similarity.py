"""The similarity hint separates genuine from forged signatures on the synthetic set, and says its limits."""

from __future__ import annotations

import pytest

from signatures import reference_profile, similarity
from signatures.similarity import dtw_distance, evaluate, features
from signatures.synthetic import dataset


@pytest.fixture(scope="module")
def data():
    return dataset(people=5, genuine=8, forgeries=4, seed=21)


def test_genuine_signatures_read_typical_and_forgeries_do_not(data):
    result = evaluate(data, references=4)
    assert result["traced"]["auc"] >= 0.95
    assert result["practised"]["auc"] >= 0.9
    assert result["random"]["auc"] >= 0.95
    assert result["genuine_very_unusual"] <= 0.1


def test_every_hint_carries_its_limits(data):
    person = data[0]
    hint = similarity(person["genuine"][-1], person["genuine"][:4])
    assert hint["band"] == "typical"
    assert "不能判定" in hint["limits_zh"] and "never a verdict" in hint["limits_en"]
    assert hint["message_zh"] and hint["message_en"] and hint["references"] == 4


def test_no_reference_gives_no_hint(data):
    hint = similarity(data[0]["genuine"][0], [])
    assert hint["band"] == "no_reference" and hint["score"] is None


def test_one_reference_uses_the_absolute_distance(data):
    hint = similarity(data[0]["genuine"][1], data[0]["genuine"][:1])
    assert hint["spread"] is None and hint["band"] in {"typical", "unusual", "very_unusual"}


def test_a_stored_profile_gives_the_same_hint(data):
    refs = data[1]["genuine"][:4]
    assert similarity(data[1]["genuine"][5], reference_profile(refs)) == similarity(
        data[1]["genuine"][5], refs
    )


def test_dtw_basics(data):
    a = features(data[0]["genuine"][0])
    assert dtw_distance(a, a) == 0
    b = features(data[0]["genuine"][1])
    assert dtw_distance(a, b) == pytest.approx(dtw_distance(b, a))


def test_the_hint_ignores_where_and_how_big_the_signature_was(data):
    sig = data[2]["genuine"][0]
    moved = {
        **sig,
        "strokes": [
            [{**p, "x": p["x"] * 0.5 + 10, "y": p["y"] * 0.5 + 5} for p in s] for s in sig["strokes"]
        ],
    }
    # shape and pressure are unchanged; speed in size units per ms too
    assert dtw_distance(features(sig), features(moved)) < 1e-6
