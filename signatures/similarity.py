"""A signature similarity hint: how a new signature compares with the same person's earlier ones.

Dynamic time warping (DTW) over resampled, normalised sequences of x, y, pressure and speed. It is
a **risk hint for reviewers and phone agents, never a verdict**: it cannot say who signed. It only
says whether the new signature's shape *and* its dynamics (rhythm, speed, pressure) look like the
references. The limits, which every result carries in Chinese and English:

- measured on synthetic signatures (synthetic.py: a sigma-lognormal model of people, and forgers
  who trace the shape slowly with their own pressure), not on real customers: real figures will be
  worse, and thresholds must be re-checked on real reviewed cases before anyone relies on them;
- pressure depends on the device (a finger or mouse reports a constant): references from another
  device kind weaken the comparison;
- a practised forger who learned the rhythm, or a customer signing while ill, hurried or on a
  different surface, can move the score either way;
- with fewer than two references the spread of the person's own signing is unknown and the hint is
  weaker; with none there is no hint at all.

DTW written here (a banded O(n·w) loop): the maintained package (dtaidistance) ships no wheel for
this platform and compiles C at install time, which the project's machines must not need.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

N_POINTS = 96  # each signature is resampled to this many pen-down samples
BAND = 12  # Sakoe-Chiba band: how far in samples the alignment may drift
WEIGHTS = {"x": 1.0, "y": 1.0, "p": 1.5, "speed": 1.0}
SPEED_SCALE = 250.0  # normalised size units per ms → order 1
# Bands on the ratio of the candidate's distance to the references' own spread, chosen on the
# synthetic set (bench/RESULTS.md: 2% of genuine signatures scored above 1.6, none above 2.4).
# Re-set them on real reviewed cases before relying on them.
TYPICAL_MAX = 1.6
UNUSUAL_MAX = 2.4
SINGLE_REFERENCE_TYPICAL = 0.55  # absolute DTW distance when only one reference exists
SINGLE_REFERENCE_UNUSUAL = 0.85

LIMITS_ZH = (
    "仅为风险提示，不能判定签名真伪：基于合成数据测得，未经真实案例验证；压力取决于设备；"
    "熟练的模仿者或客户身体、环境变化都会影响结果；参考签名少于两份时提示较弱。"
)
LIMITS_EN = (
    "A risk hint, never a verdict on who signed: measured on synthetic data, not yet on real cases; "
    "pressure depends on the device; a practised forger, or a customer who is ill, hurried or on "
    "another surface, moves the score either way; with fewer than two references the hint is weak."
)


def features(signature: dict[str, Any], n: int = N_POINTS) -> list[tuple[float, float, float, float]]:
    """Pen-down samples resampled evenly in pen-down time: (x, y, pressure, speed), normalised.

    x and y are centred and divided by the larger of their standard deviations (shape, not size
    or place); speed is in those size units per ms (tempo kept: slow tracing shows); pressure raw.
    """
    pts: list[tuple[float, float, float, float, float]] = []  # pen-down time, x, y, p, speed
    clock = 0.0
    for stroke in signature["strokes"]:
        for j, p in enumerate(stroke):
            if j:
                clock += max(0.0, p["t"] - stroke[j - 1]["t"])
            a, b = stroke[max(0, j - 1)], stroke[min(len(stroke) - 1, j + 1)]
            dt = b["t"] - a["t"]
            speed = math.hypot(b["x"] - a["x"], b["y"] - a["y"]) / dt if dt > 0 else 0.0
            pts.append((clock, p["x"], p["y"], p["p"], speed))
        clock += 1.0  # keep time strictly growing across a pen lift
    if len(pts) < 2:
        raise ValueError("a signature needs at least two points to compare")
    mx = sum(p[1] for p in pts) / len(pts)
    my = sum(p[2] for p in pts) / len(pts)
    sx = math.sqrt(sum((p[1] - mx) ** 2 for p in pts) / len(pts))
    sy = math.sqrt(sum((p[2] - my) ** 2 for p in pts) / len(pts))
    size = max(sx, sy, 1e-6)
    total = pts[-1][0]
    out, k = [], 0
    for i in range(n):
        target = total * i / (n - 1)
        while k < len(pts) - 2 and pts[k + 1][0] < target:
            k += 1
        a, b = pts[k], pts[k + 1]
        f = 0.0 if b[0] == a[0] else min(1.0, max(0.0, (target - a[0]) / (b[0] - a[0])))
        x, y, pr, sp = (a[m] + (b[m] - a[m]) * f for m in range(1, 5))
        out.append(
            (
                WEIGHTS["x"] * (x - mx) / size,
                WEIGHTS["y"] * (y - my) / size,
                WEIGHTS["p"] * pr,
                WEIGHTS["speed"] * sp / size * SPEED_SCALE / 100,
            )
        )
    return out


def dtw_distance(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]], band: int = BAND) -> float:
    """Banded DTW with Euclidean point cost on 4-feature samples, divided by the sequence length."""
    n, m = len(a), len(b)
    w = max(band, abs(n - m))
    inf = math.inf
    sqrt = math.sqrt
    prev = [inf] * (m + 1)
    prev[0] = 0.0
    for i in range(1, n + 1):
        cur = [inf] * (m + 1)
        a0, a1, a2, a3 = a[i - 1]
        left = inf
        for j in range(max(1, i - w), min(m, i + w) + 1):
            b0, b1, b2, b3 = b[j - 1]
            best = prev[j - 1]
            if prev[j] < best:
                best = prev[j]
            if left < best:
                best = left
            left = sqrt((a0 - b0) ** 2 + (a1 - b1) ** 2 + (a2 - b2) ** 2 + (a3 - b3) ** 2) + best
            cur[j] = left
        prev = cur
    return prev[m] / max(n, m)


def reference_profile(references: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The features of a person's reference signatures and their own spread (mean pairwise DTW).

    Plain data a server may keep beside the person, so each new signature costs one DTW a reference.
    """
    rf = [features(r) for r in references]
    pairs = [dtw_distance(rf[i], rf[j]) for i in range(len(rf)) for j in range(i + 1, len(rf))]
    return {"features": rf, "spread": max(sum(pairs) / len(pairs), 0.05) if pairs else None}


def similarity(
    candidate: dict[str, Any], references: Sequence[dict[str, Any]] | dict[str, Any]
) -> dict[str, Any]:
    """Compare a signature with the same person's earlier ones (or their ``reference_profile``)::

    {"band": "typical" | "unusual" | "very_unusual" | "no_reference",
     "score": ratio (or distance with one reference), "distance", "spread", "references": n,
     "message_zh", "message_en", "limits_zh", "limits_en"}
    """
    profile = references if isinstance(references, dict) else reference_profile(references)
    rf = profile["features"]
    base = {"references": len(rf), "limits_zh": LIMITS_ZH, "limits_en": LIMITS_EN}
    if not rf:
        return {
            **base,
            "band": "no_reference",
            "score": None,
            "distance": None,
            "spread": None,
            "message_zh": "系统中没有该客户以往的签名，无法比较",
            "message_en": "No earlier signature of this customer to compare with",
        }
    cf = features(candidate)
    distance = sum(dtw_distance(cf, r) for r in rf) / len(rf)
    spread = profile["spread"]
    if spread is not None:
        score, lo, hi = distance / spread, TYPICAL_MAX, UNUSUAL_MAX
    else:
        spread, score, lo, hi = None, distance, SINGLE_REFERENCE_TYPICAL, SINGLE_REFERENCE_UNUSUAL
    if score <= lo:
        band, zh, en = (
            "typical",
            "与该客户以往签名的形状和书写动态相近",
            "Shape and writing dynamics are close to this customer's earlier signatures",
        )
    elif score <= hi:
        band, zh, en = (
            "unusual",
            "与以往签名有差异，建议回访时向客户核实是否本人签名",
            "Differs from earlier signatures: ask the customer in the callback whether they signed",
        )
    else:
        band, zh, en = (
            "very_unusual",
            "与以往签名差异明显（常见于照着描摹的签名），建议重点核实",
            "Differs clearly from earlier signatures (as traced copies do): check with care",
        )
    return {
        **base,
        "band": band,
        "score": round(score, 3),
        "distance": round(distance, 4),
        "spread": None if spread is None else round(spread, 4),
        "message_zh": zh,
        "message_en": en,
    }


def roc_auc(genuine_scores: Sequence[float], impostor_scores: Sequence[float]) -> float:
    """Probability that an impostor scores higher (more different) than a genuine signature."""
    wins = sum((i > g) + 0.5 * (i == g) for g in genuine_scores for i in impostor_scores)
    return wins / (len(genuine_scores) * len(impostor_scores))


def equal_error_rate(
    genuine_scores: Sequence[float], impostor_scores: Sequence[float]
) -> tuple[float, float]:
    """(EER, threshold): where genuine signatures flagged equals impostors passed."""
    best = (2.0, 1.0, 0.0)  # (|FRR - FAR|, EER, threshold)
    for th in sorted(set(genuine_scores) | set(impostor_scores)):
        frr = sum(g > th for g in genuine_scores) / len(genuine_scores)
        far = sum(i <= th for i in impostor_scores) / len(impostor_scores)
        if abs(frr - far) < best[0]:
            best = (abs(frr - far), (frr + far) / 2, th)
    return best[1], best[2]


def evaluate(data: list[dict[str, Any]], references: int = 5) -> dict[str, Any]:
    """Scores and separation on a dataset from ``synthetic.dataset``: each person's first
    ``references`` genuine signatures are the references; their other genuine ones, the forgeries
    of them, and one genuine signature of each other person (a "random forgery") are scored."""
    scores: dict[str, list[float]] = {"genuine": [], "traced": [], "practised": [], "random": []}
    for person in data:
        profile = reference_profile(person["genuine"][:references])
        scores["genuine"] += [similarity(s, profile)["score"] for s in person["genuine"][references:]]
        for forgery in person["forged"]:
            scores[forgery["kind"]].append(similarity(forgery["signature"], profile)["score"])
        others = [o for o in data if o is not person][:5]
        scores["random"] += [similarity(o["genuine"][-1], profile)["score"] for o in others]
    genuine = scores["genuine"]
    out: dict[str, Any] = {"people": len(data), "references": references, "counts": {}, "scores": scores}
    for kind in ("traced", "practised", "random"):
        if scores[kind]:
            eer, th = equal_error_rate(genuine, scores[kind])
            out["counts"][kind] = len(scores[kind])
            out[kind] = {
                "auc": round(roc_auc(genuine, scores[kind]), 4),
                "eer": round(eer, 4),
                "eer_threshold": round(th, 3),
                "not_typical": round(sum(s > TYPICAL_MAX for s in scores[kind]) / len(scores[kind]), 4),
            }
    out["counts"]["genuine"] = len(genuine)
    out["genuine_not_typical"] = round(sum(g > TYPICAL_MAX for g in genuine) / len(genuine), 4)
    out["genuine_very_unusual"] = round(sum(g > UNUSUAL_MAX for g in genuine) / len(genuine), 4)
    return out
