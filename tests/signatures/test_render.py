"""Rendering: anti-aliased, width follows pressure, and the same strokes always give the same bytes."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

from signatures import render_png

from .helpers import person_signature, wave_signature

ROOT = Path(__file__).resolve().parents[2]


def test_same_strokes_same_bytes():
    sig = person_signature(6)
    assert render_png(sig) == render_png(sig)


def test_same_bytes_in_a_fresh_process():
    sig = person_signature(6)
    code = (
        "import sys, json, hashlib; from signatures import render_png; "
        "print(hashlib.sha256(render_png(json.load(sys.stdin))).hexdigest())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(sig),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == hashlib.sha256(render_png(sig)).hexdigest()


def test_output_size_follows_the_canvas_and_scale():
    im = Image.open(io.BytesIO(render_png(wave_signature(), scale=1.5)))
    assert im.size == (900, 360) and im.mode == "L" and im.format == "PNG"
    assert not im.info  # no text, time or gamma chunks that could vary


def test_edges_are_anti_aliased():
    im = Image.open(io.BytesIO(render_png(wave_signature())))
    greys = [v for v, count in enumerate(im.histogram()) if count and 0 < v < 255]
    assert len(greys) > 50


def _ink(png: bytes) -> int:
    return sum((255 - v) * count for v, count in enumerate(Image.open(io.BytesIO(png)).histogram()))


def test_width_follows_pressure():
    light, heavy = (
        _ink(render_png(wave_signature(pressure=0.1))),
        _ink(render_png(wave_signature(pressure=0.9))),
    )
    assert heavy > 2 * light


def test_a_single_point_stroke_still_leaves_a_mark():
    sig = {"width": 100, "height": 100, "pixel_ratio": 1, "strokes": [[{"x": 50, "y": 50, "t": 0, "p": 0.5}]]}
    assert _ink(render_png(sig)) > 0
