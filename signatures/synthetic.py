"""Synthetic signatures for tests, benchmarks and demo data: people, their signatures and forgeries.

There is no public set of Chinese signatures with pressure that we may ship, so the similarity hint
is measured on signatures made by a model instead (the limits this puts on the figures are stated
in similarity.py and bench/RESULTS.md).

A "person" is a sigma-lognormal model of their signature (Plamondon's kinematic theory of rapid
movements): each stroke is a sum of lognormal velocity pulses, each with a start time, distance,
start and end angle, log-time delay and log-response time; plus a personal pressure habit (level,
how much pressure drops with speed, how it ramps at pen-down). A genuine signature draws the
person's model with natural variation (timing, amplitude, angles, tempo, position). A forger sees one
genuine signature as an image and copies its shape well (small smooth errors) but not its dynamics:
they trace it slower, slowing at corners, with hesitations and their own pressure habit.
"""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

SAMPLE_MS = 8  # pointer events at about 120 Hz
T0 = 1_764_000_000_000  # an epoch millisecond to start clocks at


def make_person(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    strokes = []
    for _ in range(rng.randint(2, 3)):
        comps, t0 = [], 0.0
        theta = rng.uniform(0, 2 * math.pi)
        for _ in range(rng.randint(7, 13)):
            t0 += rng.uniform(0.05, 0.11)
            turn = rng.uniform(-2.2, 2.2)
            comps.append(
                {
                    "t0": t0,
                    "D": rng.uniform(50, 150),
                    "ts": theta,
                    "te": theta + turn,
                    "mu": math.log(rng.uniform(0.1, 0.2)),
                    "sigma": rng.uniform(0.2, 0.4),
                }
            )
            theta += turn + rng.uniform(-2.0, 2.0)
        strokes.append({"comps": comps, "start": (rng.uniform(60, 300), rng.uniform(70, 170))})
    return {
        "seed": seed,
        "strokes": strokes,
        "gap_ms": rng.uniform(120, 350),
        "pressure": {
            "level": rng.uniform(0.35, 0.75),
            "speed_drop": rng.uniform(0.1, 0.5),
            "ramp_ms": rng.uniform(20, 80),
            "wobble": rng.uniform(0.0, 0.12),
        },
    }


def _lognormal_velocity(c: dict[str, float], t: float) -> tuple[float, float]:
    dt = t - c["t0"]
    if dt <= 0:
        return 0.0, c["ts"]
    z = (math.log(dt) - c["mu"]) / c["sigma"]
    speed = c["D"] / (c["sigma"] * math.sqrt(2 * math.pi) * dt) * math.exp(-0.5 * z * z)
    angle = c["ts"] + (c["te"] - c["ts"]) * 0.5 * (1 + math.erf(z / math.sqrt(2)))
    return speed, angle


def _pressure(habit: dict[str, float], since_down_ms: float, speed: float, phase: float) -> float:
    ramp = min(1.0, 0.35 + since_down_ms / habit["ramp_ms"])
    p = habit["level"] * ramp * (1 - habit["speed_drop"] * min(speed / 1.5, 1.0))
    p += habit["wobble"] * math.sin(phase)
    return min(1.0, max(0.02, p))


def _canvas(strokes: list[list[dict[str, float]]]) -> dict[str, Any]:
    """Fit the strokes in a 600x240 canvas (the field app's signature pad)."""
    xs = [p["x"] for s in strokes for p in s]
    ys = [p["y"] for s in strokes for p in s]
    w, h = max(xs) - min(xs), max(ys) - min(ys)
    k = min(1.0, 560 / max(w, 1), 200 / max(h, 1))
    dx, dy = 300 - k * (min(xs) + w / 2), 120 - k * (min(ys) + h / 2)
    for s in strokes:
        for p in s:
            p["x"] = round(min(600.0, max(0.0, p["x"] * k + dx)), 1)
            p["y"] = round(min(240.0, max(0.0, p["y"] * k + dy)), 1)
    return {"width": 600, "height": 240, "pixel_ratio": 2, "strokes": strokes}


def genuine_signature(person: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One signature by ``person``, with the variation of a real person signing again."""
    tempo = math.exp(rng.gauss(0, 0.06))
    scale = rng.gauss(1, 0.04)
    habit = {**person["pressure"], "level": person["pressure"]["level"] * rng.gauss(1, 0.04)}
    ox, oy = rng.gauss(0, 6), rng.gauss(0, 4)
    strokes, t = [], float(T0 + rng.randint(0, 10**6))
    for stroke in person["strokes"]:
        comps = [
            {
                "t0": c["t0"] + rng.gauss(0, 0.008),
                "D": c["D"] * rng.gauss(1, 0.05) * scale,
                "ts": c["ts"] + rng.gauss(0, 0.05),
                "te": c["te"] + rng.gauss(0, 0.05),
                "mu": c["mu"] + rng.gauss(0, 0.04),
                "sigma": max(0.1, c["sigma"] + rng.gauss(0, 0.015)),
            }
            for c in stroke["comps"]
        ]
        end = max(c["t0"] + math.exp(c["mu"] + 3 * c["sigma"]) for c in comps)
        x, y = stroke["start"][0] * scale + ox, stroke["start"][1] * scale + oy
        points, s, phase = [], 0.0, rng.uniform(0, 6.28)
        step = SAMPLE_MS / 1000 / tempo  # model seconds per sample: a faster tempo covers more
        while s <= end:
            vx = vy = 0.0
            for c in comps:
                v, a = _lognormal_velocity(c, s)
                vx += v * math.cos(a)
                vy += v * math.sin(a)
            speed = math.hypot(vx, vy) * tempo / 1000  # px/ms
            points.append(
                {
                    "x": x,
                    "y": y,
                    "t": round(t),
                    "p": round(_pressure(habit, len(points) * SAMPLE_MS, speed, phase), 3),
                }
            )
            phase += 0.15
            x += vx * step
            y += vy * step
            s += step
            t += SAMPLE_MS + rng.choice((0, 0, 0, 1, -1))
        strokes.append(points)
        t += person["gap_ms"] * rng.gauss(1, 0.1)
    return _canvas(strokes)


def forged_signature(
    target: dict[str, Any], forger_seed: int, rng: random.Random, practised: bool = False
) -> dict[str, Any]:
    """A forgery of ``target``'s signature by someone who copies a genuine one they can see.

    A tracing forger goes slowly (0.12–0.35 px/ms; genuine signing averages about 0.25 and peaks
    near 1); a practised one has learned to write it at the genuine pace (0.6–1.1x the person's
    mean speed) but still with an even rhythm of their own and their own pressure.
    """
    model = genuine_signature(target, rng)  # what the forger looks at: shape only
    f = random.Random(forger_seed)
    if practised:
        seg = [
            math.hypot(b["x"] - a["x"], b["y"] - a["y"]) / max(1, b["t"] - a["t"])
            for s in model["strokes"]
            for a, b in itertools.pairwise(s)
        ]
        speed_px_ms = sum(seg) / len(seg) * f.uniform(0.6, 1.1)
    else:
        speed_px_ms = f.uniform(0.12, 0.35)
    habit = {
        "level": f.uniform(0.35, 0.85),
        "speed_drop": f.uniform(0.0, 0.2),
        "ramp_ms": f.uniform(40, 150),
        "wobble": f.uniform(0.0, 0.05),
    }
    wobble_amp, wobble_freq = f.uniform(1.0, 3.0), f.uniform(0.01, 0.03)
    strokes, t = [], float(T0 + rng.randint(0, 10**6))
    for stroke in model["strokes"]:
        path = [(p["x"], p["y"]) for p in stroke]
        out, dist_total, phase = [], 0.0, rng.uniform(0, 6.28)
        seg, along = 0, 0.0
        x, y = path[0]
        while True:
            # slow at corners: look at the turn between this segment and the next
            turn = 0.0
            if 0 < seg < len(path) - 1:
                a1 = math.atan2(path[seg][1] - path[seg - 1][1], path[seg][0] - path[seg - 1][0])
                a2 = math.atan2(path[seg + 1][1] - path[seg][1], path[seg + 1][0] - path[seg][0])
                turn = abs(math.remainder(a2 - a1, math.tau))
            v = speed_px_ms * (1 - 0.6 * min(turn, 1.0)) * rng.uniform(0.7, 1.3)
            if not practised and rng.random() < 0.02:  # a hesitation: look back at the model
                t += rng.uniform(60, 250)
            off = wobble_amp * math.sin(dist_total * wobble_freq + phase)
            out.append(
                {
                    "x": x + off,
                    "y": y - off,
                    "t": round(t),
                    "p": round(_pressure(habit, len(out) * SAMPLE_MS, v, phase), 3),
                }
            )
            step = max(v, 0.02) * SAMPLE_MS
            dist_total += step
            # walk `step` px along the polyline
            while seg < len(path) - 1:
                sx, sy = path[seg + 1][0] - path[seg][0], path[seg + 1][1] - path[seg][1]
                seg_len = math.hypot(sx, sy)
                if along + step <= seg_len:
                    along += step
                    x, y = (
                        path[seg][0] + sx * along / max(seg_len, 1e-9),
                        path[seg][1] + sy * along / max(seg_len, 1e-9),
                    )
                    break
                step -= seg_len - along
                seg, along = seg + 1, 0.0
            if seg >= len(path) - 1:
                break
            t += SAMPLE_MS
        strokes.append(out)
        t += f.uniform(300, 900)
    return _canvas(strokes)


def dataset(people: int, genuine: int, forgeries: int, seed: int = 8) -> list[dict[str, Any]]:
    """``[{"person", "genuine": [signature], "forged": [{"kind", "signature"}]}]``; forgeries
    alternate between a tracing forger and a practised one."""
    rng = random.Random(seed)
    out = []
    for n in range(people):
        person = make_person(seed * 1000 + n)
        out.append(
            {
                "person": n,
                "genuine": [genuine_signature(person, rng) for _ in range(genuine)],
                "forged": [
                    {
                        "kind": "practised" if k % 2 else "traced",
                        "signature": forged_signature(
                            person, seed * 7919 + n * 31 + k, rng, practised=bool(k % 2)
                        ),
                    }
                    for k in range(forgeries)
                ],
            }
        )
    return out
