"""Stroke format: validation refuses what cannot be a signature; the compact encoding round-trips."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signatures import (
    decode_strokes,
    decode_strokes_bytes,
    encode_strokes,
    encode_strokes_bytes,
    quantise_strokes,
    validate_strokes,
)
from signatures.strokes import from_signature_pad

from .helpers import person_signature, wave_signature


def codes(sig, limits=None) -> list[str]:
    return [p["code"] for p in validate_strokes(sig, limits)]


def test_a_real_looking_signature_is_valid():
    assert validate_strokes(wave_signature()) == []
    assert validate_strokes(person_signature(2)) == []


def test_every_problem_has_a_code_and_two_languages():
    sig = wave_signature()
    sig["strokes"][0][5]["x"] = 700
    (p,) = validate_strokes(sig)
    assert p["part"] == "strokes" and p["code"] == "strokes.outside_canvas"
    assert p["stroke"] == 0 and p["point"] == 5
    assert "画布" in p["message_zh"] and "canvas" in p["message_en"]


@pytest.mark.parametrize("strokes", [[], [[]], [[], []]])
def test_empty_signature_is_refused(strokes):
    assert codes({"width": 600, "height": 240, "pixel_ratio": 1, "strokes": strokes}) == ["strokes.empty"]


def test_a_dot_is_refused():
    dot = [{"x": 100 + i * 0.3, "y": 100, "t": 1000 + i * 8, "p": 0.5} for i in range(10)]
    assert codes({"width": 600, "height": 240, "pixel_ratio": 1, "strokes": [dot]}) == ["strokes.dot_like"]


def test_a_short_tick_is_refused():
    tick = [{"x": 100 + i * 3, "y": 100 + i * 2, "t": 1000 + i * 8, "p": 0.5} for i in range(6)]
    assert codes({"width": 600, "height": 240, "pixel_ratio": 1, "strokes": [tick]}) == ["strokes.dot_like"]


def test_impossibly_fast_strokes_are_refused():
    sig = wave_signature()
    for i, pt in enumerate(sig["strokes"][0]):
        pt["t"] = 1_764_000_000_000 + i // 20  # 150 points drawn in 8 ms
    (p,) = validate_strokes(sig)
    assert p["code"] == "strokes.too_fast" and p["stroke"] == 0


def test_a_whole_stroke_on_one_millisecond_is_too_fast():
    line = [{"x": 10 + i * 40, "y": 100, "t": 5000, "p": 0.5} for i in range(10)]
    assert codes({"width": 600, "height": 240, "pixel_ratio": 1, "strokes": [line]}) == ["strokes.too_fast"]


def test_coalesced_events_on_one_millisecond_are_not_too_fast():
    sig = wave_signature()
    for i, pt in enumerate(sig["strokes"][0]):
        pt["t"] = 1_764_000_000_000 + (i // 2) * 16  # pairs of events share a timestamp
    assert validate_strokes(sig) == []


def test_time_running_backwards_is_refused_within_and_across_strokes():
    sig = wave_signature()
    sig["strokes"][0][40]["t"] -= 100
    (p,) = validate_strokes(sig)
    assert (p["code"], p["stroke"], p["point"]) == ("strokes.time_not_monotonic", 0, 40)
    sig = wave_signature()
    sig["strokes"][1][0]["t"] = sig["strokes"][0][0]["t"]
    (p,) = validate_strokes(sig)
    assert (p["code"], p["stroke"], p["point"]) == ("strokes.time_not_monotonic", 1, 0)


@pytest.mark.parametrize(("field", "value"), [("x", -0.5), ("y", 240.5), ("x", 600.1)])
def test_points_outside_the_canvas_are_refused(field, value):
    sig = wave_signature()
    sig["strokes"][1][3][field] = value
    assert codes(sig) == ["strokes.outside_canvas"]


def test_pressure_outside_zero_to_one_is_refused():
    sig = wave_signature()
    sig["strokes"][0][0]["p"] = 1.2
    assert codes(sig) == ["strokes.pressure_out_of_range"]


@pytest.mark.parametrize(
    "bad",
    [
        None,
        {"width": 600, "height": 240, "pixel_ratio": 1},
        {"width": 0, "height": 240, "pixel_ratio": 1, "strokes": []},
        {"width": 600, "height": 240, "pixel_ratio": float("nan"), "strokes": []},
        {"width": 600, "height": 240, "pixel_ratio": 1, "strokes": [[{"x": 1, "y": 2, "t": 3}]]},
        {"width": 600, "height": 240, "pixel_ratio": 1, "strokes": [[{"x": "1", "y": 2, "t": 3, "p": 0}]]},
        {"width": 600, "height": 240, "pixel_ratio": 1, "strokes": ["abc"]},
    ],
)
def test_malformed_input_is_a_problem_not_an_exception(bad):
    (p,) = validate_strokes(bad)
    assert p["code"] in {"strokes.malformed", "strokes.canvas_invalid"}


def test_limits_can_be_tightened_per_call():
    assert codes(wave_signature()) == []
    assert codes(wave_signature(), {"max_speed": 0.5}) == ["strokes.too_fast"]


def test_signature_pad_data_converts():
    data = [{"points": [{"x": 10, "y": 20, "pressure": 0.4, "time": 100}, {"x": 90, "y": 60, "time": 140}]}]
    sig = from_signature_pad(data, 600, 240, 2)
    assert sig["strokes"][0][1] == {"x": 90, "y": 60, "t": 140, "p": 0.5}


# --- encoding -------------------------------------------------------------------------------------

coord = st.integers(min_value=-10_000, max_value=100_000).map(lambda v: v / 10)
point = st.fixed_dictionaries(
    {
        "x": coord,
        "y": coord,
        "t": st.integers(min_value=0, max_value=2**53 - 1),
        "p": st.integers(min_value=0, max_value=1000).map(lambda v: v / 1000),
    }
)
signature = st.fixed_dictionaries(
    {
        "width": st.integers(min_value=1, max_value=100_000).map(lambda v: v / 10),
        "height": st.integers(min_value=1, max_value=100_000).map(lambda v: v / 10),
        "pixel_ratio": st.integers(min_value=1, max_value=1000).map(lambda v: v / 100),
        "strokes": st.lists(st.lists(point, max_size=40), max_size=6),
    }
)


@settings(max_examples=150, deadline=None)
@given(signature)
def test_encoding_round_trips_exactly_at_the_format_precision(sig):
    text = encode_strokes(sig)
    assert text.isascii() and "=" not in text
    assert decode_strokes(text) == sig
    assert encode_strokes(decode_strokes(text)) == text
    assert decode_strokes_bytes(encode_strokes_bytes(sig)) == sig


raw_float = st.floats(min_value=-1000, max_value=60_000, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(
            st.fixed_dictionaries(
                {"x": raw_float, "y": raw_float, "t": st.integers(0, 10**13), "p": st.floats(0, 1)}
            ),
            max_size=20,
        ),
        max_size=4,
    )
)
def test_encoding_of_any_precision_gives_the_quantised_signature(strokes):
    sig = {"width": 600.04, "height": 240, "pixel_ratio": 2.625, "strokes": strokes}
    assert decode_strokes(encode_strokes(sig)) == quantise_strokes(sig)


def test_encoding_is_much_smaller_than_json():
    sig = person_signature(4)
    plain = json.dumps(sig, separators=(",", ":")).encode()
    assert len(encode_strokes(sig)) * 4 < len(plain)


@pytest.mark.parametrize("text", ["", "AA", "Ag", "!!!!", encode_strokes(wave_signature())[:-3]])
def test_broken_encodings_raise_value_error(text):
    with pytest.raises(ValueError):
        decode_strokes(text)


def test_trailing_bytes_are_refused():
    raw = encode_strokes_bytes(wave_signature()) + b"\x00"
    with pytest.raises(ValueError):
        decode_strokes_bytes(raw)


def test_encoding_does_not_change_its_input():
    sig = wave_signature()
    before = copy.deepcopy(sig)
    encode_strokes(sig)
    assert sig == before
