"""Server-side rendering of strokes to PNG with Pillow: anti-aliased, width following pressure, deterministic.

The same strokes give the same PNG bytes (same Pillow and zlib): a fixed canvas size, integer
supersampled geometry, LANCZOS downscaling, an 8-bit greyscale image and fixed PNG encoder settings
with no metadata (no time, no gamma chunk). The tablet's own render is kept beside it as a separate
media file; this one exists so the server can always redraw what the strokes say.
"""

from __future__ import annotations

import io
import itertools
import math
from typing import Any

from PIL import Image, ImageDraw

SUPERSAMPLE = 4  # draw at 4x, then LANCZOS down: smooth edges without depending on Pillow's AA
MIN_WIDTH = 0.6  # stroke width in CSS px at pressure 0 ...
MAX_WIDTH = 3.0  # ... and at pressure 1 (signature_pad's defaults are 0.5 and 2.5)
PNG_OPTIONS = {"format": "PNG", "optimize": False, "compress_level": 6}


def _width(pressure: float) -> float:
    return MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * min(max(pressure, 0.0), 1.0)


def render_png(signature: dict[str, Any], scale: float = 2.0) -> bytes:
    """PNG bytes of the strokes: black ink on white, ``scale`` output pixels per CSS pixel.

    The output is ``round(width*scale)`` by ``round(height*scale)`` pixels. Each segment is a
    quadrilateral whose width goes from one point's pressure to the next, with round joints.
    """
    k = scale * SUPERSAMPLE
    out_w = max(1, round(signature["width"] * scale))
    out_h = max(1, round(signature["height"] * scale))
    big = Image.new("L", (out_w * SUPERSAMPLE, out_h * SUPERSAMPLE), 255)
    draw = ImageDraw.Draw(big)
    for stroke in signature["strokes"]:
        # Geometry is rounded to whole supersampled pixels so no float noise reaches the rasteriser.
        pts = [(round(p["x"] * k), round(p["y"] * k), _width(p["p"]) * k / 2) for p in stroke]
        for x, y, r in pts:
            r = max(1, round(r))
            draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
        for (x0, y0, r0), (x1, y1, r1) in itertools.pairwise(pts):
            dx, dy = x1 - x0, y1 - y0
            length = math.hypot(dx, dy)
            if length == 0:
                continue
            nx, ny = -dy / length, dx / length
            quad = [
                (round(x0 + nx * r0), round(y0 + ny * r0)),
                (round(x1 + nx * r1), round(y1 + ny * r1)),
                (round(x1 - nx * r1), round(y1 - ny * r1)),
                (round(x0 - nx * r0), round(y0 - ny * r0)),
            ]
            draw.polygon(quad, fill=0)
    # reducing_gap: a box reduce to 2x the target first, then LANCZOS: same look, half the time.
    small = big.resize((out_w, out_h), Image.Resampling.LANCZOS, reducing_gap=2.0)
    buf = io.BytesIO()
    small.save(buf, **PNG_OPTIONS)
    return buf.getvalue()
