"""The stroke format of a handwritten signature, its validation and its compact encoding.

A signature is plain data::

    {"width": 600, "height": 240, "pixel_ratio": 2,
     "strokes": [[{"x": 12.5, "y": 80.0, "t": 1764000000000, "p": 0.5}, ...], ...]}

``width``/``height`` are the canvas size in CSS pixels, ``pixel_ratio`` the device's
``devicePixelRatio``; each stroke is the points from pen-down to pen-up with ``x``/``y`` in CSS pixels
(origin top left), ``t`` in integer milliseconds (any origin, e.g. ``PointerEvent.timeStamp`` plus
``performance.timeOrigin``) and ``p`` the pressure 0–1 (0.5 where the device reports none).

The format is defined at fixed precision: x, y, width and height to 0.1 px, t to 1 ms, p to 0.001,
pixel_ratio to 0.01. ``encode_strokes`` rounds to it, ``decode_strokes`` gives back exactly the rounded
values, so ``decode(encode(s)) == quantise_strokes(s)`` and ``encode(decode(e)) == e``.

Encoding (version 1), then base64url without padding::

    0x01, uvarint(width*10), uvarint(height*10), uvarint(pixel_ratio*100), uvarint(stroke count),
    per stroke uvarint(point count), then per point zigzag varints of the deltas of
    (x*10, y*10, t, p*1000) from the previous point (the first point's deltas are from (0, 0, 0, 0)).

Varints are LEB128 (7 bits a byte, low first); zigzag maps 0, -1, 1, -2 to 0, 1, 2, 3. An absolute
epoch time needs 41 bits: a JavaScript decoder must use arithmetic (or BigInt), not 32-bit shifts.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from .problems import Problem, problem

FORMAT_VERSION = 1
XY_SCALE = 10
P_SCALE = 1000
PR_SCALE = 100

# Limits of what a person can sign (all in CSS px / ms). A CSS px is about 0.26 mm at 96 dpi and
# between 0.15 and 0.2 mm on the tablets we target, so these are generous bounds, not tight ones.
LIMITS: dict[str, float] = {
    "min_ink_length": 40.0,  # px of pen travel: less is a dot, a tick or a slip
    "min_box_side": 20.0,  # px: the larger side of the ink's bounding box
    "max_speed": 10.0,  # px/ms ≈ 2.6 m/s at 96 dpi; fast flourishes reach about 1 m/s
    "speed_window_ms": 10.0,  # speed is measured over windows of at least this long
    "max_points": 50_000,
    "max_strokes": 500,
}


# --- plain helpers -----------------------------------------------------------------------------


def _q(value: float, scale: int) -> int:
    return round(value * scale)


def quantise_strokes(signature: dict[str, Any]) -> dict[str, Any]:
    """The signature at the format's precision (what a decode gives back)."""
    return {
        "width": _q(signature["width"], XY_SCALE) / XY_SCALE,
        "height": _q(signature["height"], XY_SCALE) / XY_SCALE,
        "pixel_ratio": _q(signature["pixel_ratio"], PR_SCALE) / PR_SCALE,
        "strokes": [
            [
                {
                    "x": _q(pt["x"], XY_SCALE) / XY_SCALE,
                    "y": _q(pt["y"], XY_SCALE) / XY_SCALE,
                    "t": round(pt["t"]),
                    "p": _q(pt["p"], P_SCALE) / P_SCALE,
                }
                for pt in stroke
            ]
            for stroke in signature["strokes"]
        ],
    }


def from_signature_pad(data: list[dict[str, Any]], width: float, height: float, pixel_ratio: float) -> dict:
    """Convert signature_pad's ``toData()`` (groups of ``{x, y, pressure, time}``) to this format."""
    return {
        "width": width,
        "height": height,
        "pixel_ratio": pixel_ratio,
        "strokes": [
            [{"x": p["x"], "y": p["y"], "t": p["time"], "p": p.get("pressure", 0.5)} for p in group["points"]]
            for group in data
        ],
    }


# --- validation --------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _shape_problems(signature: Any, limits: dict[str, float]) -> list[Problem]:
    if not isinstance(signature, dict):
        return [
            problem("strokes", "strokes.malformed", "签名数据格式错误", "Signature data is not an object")
        ]
    for key in ("width", "height", "pixel_ratio"):
        if not _is_number(signature.get(key)) or signature[key] <= 0:
            return [
                problem(
                    "strokes",
                    "strokes.canvas_invalid",
                    f"画布参数 {key} 缺失或不是正数",
                    f"Canvas field {key} is missing or not a positive number",
                    field=key,
                )
            ]
    strokes = signature.get("strokes")
    if not isinstance(strokes, list):
        return [problem("strokes", "strokes.malformed", "缺少笔画列表", "The strokes list is missing")]
    if len(strokes) > limits["max_strokes"]:
        return [
            problem(
                "strokes",
                "strokes.too_many",
                f"笔画过多（{len(strokes)} 笔）",
                f"Too many strokes ({len(strokes)})",
                count=len(strokes),
            )
        ]
    total = 0
    for i, stroke in enumerate(strokes):
        if not isinstance(stroke, list):
            return [
                problem(
                    "strokes",
                    "strokes.malformed",
                    f"第 {i + 1} 笔格式错误",
                    f"Stroke {i} is not a list",
                    stroke=i,
                )
            ]
        total += len(stroke)
        for j, pt in enumerate(stroke):
            if not isinstance(pt, dict) or not all(_is_number(pt.get(k)) for k in ("x", "y", "t", "p")):
                return [
                    problem(
                        "strokes",
                        "strokes.malformed",
                        f"第 {i + 1} 笔第 {j + 1} 点缺少 x、y、t 或 p",
                        f"Stroke {i} point {j} lacks a numeric x, y, t or p",
                        stroke=i,
                        point=j,
                    )
                ]
    if total > limits["max_points"]:
        return [
            problem(
                "strokes",
                "strokes.too_many",
                f"采样点过多（{total} 点）",
                f"Too many points ({total})",
                count=total,
            )
        ]
    return []


def validate_strokes(signature: Any, limits: dict[str, float] | None = None) -> list[Problem]:
    """Decide whether captured strokes can stand as a signature. Returns problems; ``[]`` means valid.

    Refuses: malformed data, a bad canvas, no ink, points outside the canvas, pressure outside 0–1,
    time running backwards (within a stroke or from one stroke to the next), dot-like input (too
    little pen travel or too small a bounding box) and pen speed beyond a physical limit.
    """
    lim = {**LIMITS, **(limits or {})}
    shape = _shape_problems(signature, lim)
    if shape:
        return shape
    out: list[Problem] = []
    strokes = signature["strokes"]
    if not any(strokes):
        return [problem("strokes", "strokes.empty", "签名为空", "The signature is empty")]
    w, h = signature["width"], signature["height"]
    prev_t: float | None = None
    ink = 0.0
    xs: list[float] = []
    ys: list[float] = []
    for i, stroke in enumerate(strokes):
        win_d = win_t = 0.0
        for j, pt in enumerate(stroke):
            x, y, t, p = pt["x"], pt["y"], pt["t"], pt["p"]
            if not (0 <= x <= w and 0 <= y <= h):
                out.append(
                    problem(
                        "strokes",
                        "strokes.outside_canvas",
                        f"第 {i + 1} 笔第 {j + 1} 点在画布之外",
                        f"Stroke {i} point {j} lies outside the canvas",
                        stroke=i,
                        point=j,
                    )
                )
                return out
            if not 0 <= p <= 1:
                out.append(
                    problem(
                        "strokes",
                        "strokes.pressure_out_of_range",
                        f"第 {i + 1} 笔第 {j + 1} 点压力不在 0–1 之间",
                        f"Stroke {i} point {j} has a pressure outside 0–1",
                        stroke=i,
                        point=j,
                    )
                )
                return out
            if prev_t is not None and t < prev_t:
                out.append(
                    problem(
                        "strokes",
                        "strokes.time_not_monotonic",
                        f"第 {i + 1} 笔第 {j + 1} 点的时间早于前一点",
                        f"Stroke {i} point {j} is earlier than the point before it",
                        stroke=i,
                        point=j,
                    )
                )
                return out
            if j > 0:
                prev = stroke[j - 1]
                d = math.hypot(x - prev["x"], y - prev["y"])
                ink += d
                win_d += d
                win_t += t - prev_t
                if win_t >= lim["speed_window_ms"] or j == len(stroke) - 1:
                    # Short windows count as lasting speed_window_ms: pointer events are often
                    # coalesced on one millisecond, and that must not read as infinite speed.
                    speed = win_d / max(win_t, lim["speed_window_ms"])
                    if speed > lim["max_speed"]:
                        out.append(
                            problem(
                                "strokes",
                                "strokes.too_fast",
                                f"第 {i + 1} 笔在第 {j + 1} 点附近速度为 {speed:.1f} 像素/毫秒，"
                                "超出手写的可能",
                                f"Stroke {i} near point {j} moves at {speed:.1f} px/ms, "
                                "faster than a hand can",
                                stroke=i,
                                point=j,
                                speed=round(speed, 2),
                            )
                        )
                        return out
                    win_d = win_t = 0.0
            prev_t = t
            xs.append(x)
            ys.append(y)
    box = max(max(xs) - min(xs), max(ys) - min(ys))
    if ink < lim["min_ink_length"] or box < lim["min_box_side"]:
        out.append(
            problem(
                "strokes",
                "strokes.dot_like",
                "签名过短或过小，像一个点或一笔划过，请重新签名",
                "The signature is too short or too small (a dot or a slip); please sign again",
                ink_length=round(ink, 1),
                box_side=round(box, 1),
            )
        )
    return out


# --- compact encoding --------------------------------------------------------------------------


def _uvarint(out: bytearray, value: int) -> None:
    if value < 0:
        raise ValueError("uvarint of a negative number")
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def _zigzag(value: int) -> int:
    return value * 2 if value >= 0 else -value * 2 - 1


def _unzigzag(value: int) -> int:
    return value // 2 if value % 2 == 0 else -(value + 1) // 2


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def uvarint(self) -> int:
        shift = result = 0
        while True:
            if self.pos >= len(self.data):
                raise ValueError("truncated stroke encoding")
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise ValueError("varint too long in stroke encoding")


def encode_strokes_bytes(signature: dict[str, Any]) -> bytes:
    """The binary encoding (see the module doc); ``encode_strokes`` is its base64url text."""
    out = bytearray([FORMAT_VERSION])
    _uvarint(out, _q(signature["width"], XY_SCALE))
    _uvarint(out, _q(signature["height"], XY_SCALE))
    _uvarint(out, _q(signature["pixel_ratio"], PR_SCALE))
    _uvarint(out, len(signature["strokes"]))
    px = py = pt_ = pp = 0
    for stroke in signature["strokes"]:
        _uvarint(out, len(stroke))
        for point in stroke:
            x, y = _q(point["x"], XY_SCALE), _q(point["y"], XY_SCALE)
            t, p = round(point["t"]), _q(point["p"], P_SCALE)
            for value, prev in ((x, px), (y, py), (t, pt_), (p, pp)):
                _uvarint(out, _zigzag(value - prev))
            px, py, pt_, pp = x, y, t, p
    return bytes(out)


def decode_strokes_bytes(data: bytes) -> dict[str, Any]:
    if not data or data[0] != FORMAT_VERSION:
        raise ValueError("unknown stroke encoding version")
    r = _Reader(data)
    r.pos = 1
    width, height, ratio = r.uvarint(), r.uvarint(), r.uvarint()
    strokes = []
    x = y = t = p = 0
    for _ in range(r.uvarint()):
        stroke = []
        for _ in range(r.uvarint()):
            x += _unzigzag(r.uvarint())
            y += _unzigzag(r.uvarint())
            t += _unzigzag(r.uvarint())
            p += _unzigzag(r.uvarint())
            stroke.append({"x": x / XY_SCALE, "y": y / XY_SCALE, "t": t, "p": p / P_SCALE})
        strokes.append(stroke)
    if r.pos != len(data):
        raise ValueError("trailing bytes after stroke encoding")
    return {
        "width": width / XY_SCALE,
        "height": height / XY_SCALE,
        "pixel_ratio": ratio / PR_SCALE,
        "strokes": strokes,
    }


def encode_strokes(signature: dict[str, Any]) -> str:
    """Compact text of a signature: the binary encoding in base64url without padding."""
    return base64.urlsafe_b64encode(encode_strokes_bytes(signature)).rstrip(b"=").decode("ascii")


def decode_strokes(text: str) -> dict[str, Any]:
    """Back from ``encode_strokes``; raises ``ValueError`` on text that is not a valid encoding."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("stroke encoding is not base64url") from exc
    return decode_strokes_bytes(raw)
