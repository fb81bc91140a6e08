"""Benchmarks of the signatures library (issue #8): sizes, rendering, sealing, the 100,000-visit log.

Run with ``.venv/bin/python -m bench.signatures_bench [--visits 100000] [--people 20]``. Pure library
calls in one process, no database, no network. Prints Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import platform
import random
import statistics
import time

from signatures import (
    MerkleLog,
    build_manifest,
    encode_strokes,
    encode_strokes_bytes,
    export_bundle,
    generate_signing_key,
    manifest_bytes,
    render_png,
    render_report_pdf,
    rotate_keys,
    seal,
    sign_tree_head,
    similarity,
    verify_bundle,
    verify_log,
    verify_records,
    verify_seal,
)
from signatures.similarity import evaluate, reference_profile
from signatures.synthetic import dataset, genuine_signature, make_person


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def row(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"| {name} | {len(samples)} | {statistics.median(ordered):.2f} | {p95:.2f} | {ordered[-1]:.2f} |"


def once(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100, help="visits per push batch (one tree head each)")
    parser.add_argument("--people", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(8)
    print(f"Python {platform.python_version()}, {platform.machine()}\n")

    # --- sizes -------------------------------------------------------------------------------
    sigs = [genuine_signature(make_person(s), rng) for s in range(50)]
    js = [len(json.dumps(s, separators=(",", ":")).encode()) for s in sigs]
    js_pretty = [len(json.dumps(s).encode()) for s in sigs]
    gz = [len(gzip.compress(json.dumps(s, separators=(",", ":")).encode(), mtime=0)) for s in sigs]
    raw = [len(encode_strokes_bytes(s)) for s in sigs]
    text = [len(encode_strokes(s)) for s in sigs]
    pts = [sum(len(st) for st in s["strokes"]) for s in sigs]
    print("### Encoded size per signature (50 synthetic signatures, median)\n")
    print(f"points per signature: median {statistics.median(pts):.0f} (min {min(pts)}, max {max(pts)})\n")
    print("| form | bytes | vs compact JSON |\n| --- | ---: | ---: |")
    base = statistics.median(js)
    for name, sizes in [
        ("JSON (`json.dumps` default separators)", js_pretty),
        ("JSON compact", js),
        ("JSON compact, gzip", gz),
        ("encoded, binary (what is hashed and stored)", raw),
        ("encoded, base64url text (what travels in JSON)", text),
    ]:
        m = statistics.median(sizes)
        print(f"| {name} | {m:.0f} | {m / base:.1%} |")
    print(
        f"\nbytes per point (binary): {statistics.median(r / p for r, p in zip(raw, pts, strict=True)):.2f}\n"
    )

    # --- per visit -----------------------------------------------------------------------------
    key1 = generate_signing_key("2026-01-01T00:00:00Z")
    ring = rotate_keys(None, key1, "2026-01-01T00:00:00Z")
    sig = sigs[0]
    png = render_png(sig)
    photo = bytes(rng.randrange(256) for _ in range(200_000))
    media = {
        "signatures/policyholder.strokes": encode_strokes_bytes(sig),
        "signatures/policyholder.png": png,
        "photos/door.jpg": photo,
    }
    kinds = ["signature_strokes", "signature_png", "photo"]

    def build():
        return build_manifest(
            {"visit_id": "V-1", "policy_no": "P1", "answers": {f"q{i}": "是" for i in range(20)}},
            media=[{"name": n, "kind": k, "data": d} for (n, d), k in zip(media.items(), kinds, strict=True)],
            user={"id": "u-1", "name": "王芳"},
            device={"id": "tab-1"},
            device_time="2026-11-25T10:00:00+08:00",
            server_time="2026-11-25T02:00:05Z",
            place={"lat": 36.65, "lng": 117.12, "accuracy_m": 12},
            questionnaire_version="nb-2026.3",
        )

    manifest = build()
    the_seal = seal(manifest, key1)
    log = MerkleLog([hashlib.sha256(str(i).encode()).hexdigest() for i in range(999)])
    log.append(the_seal["manifest_sha256"])
    head = sign_tree_head(log.size, log.root(), "2026-11-25T02:00:06Z", None, key1)
    bundle = export_bundle(
        manifest=manifest,
        seal=the_seal,
        media=media,
        keyring=ring,
        inclusion_proof=log.inclusion_proof(999),
        tree_head=head,
        signing_key=key1,
    )
    report = {
        "visit": [{"label": "保单号", "value": "P1"}],
        "answers": [{"question": f"问题 {i}", "answer": "是"} for i in range(20)],
        "signatures": [{"label": "投保人签名", "png": png, "sha256": hashlib.sha256(png).hexdigest()}],
        "manifest_sha256": the_seal["manifest_sha256"],
    }
    render_report_pdf(report)  # font registration once
    print("### Per signature and per visit\n")
    print(f"signature canvas 600x240 CSS px rendered at scale 2 (1200x480 PNG, {len(png)} bytes); ")
    print(f"visit with 3 media files (one a 200 KB photo), bundle {len(bundle)} bytes\n")
    print("| operation | n | p50 ms | p95 ms | max ms |\n| --- | ---: | ---: | ---: | ---: |")
    print(row("validate + encode strokes", timed(lambda: encode_strokes(sig), 200)))
    print(
        row("render PNG (4x supersampled, LANCZOS)", timed(lambda: render_png(sigs[rng.randrange(50)]), 50))
    )
    print(row("build manifest (hash media, RFC 8785)", timed(build, 200)))
    print(row("seal (Ed25519)", timed(lambda: seal(manifest, key1), 500)))
    print(row("verify seal", timed(lambda: verify_seal(manifest, the_seal, ring), 500)))
    print(row("export bundle (zip)", timed(lambda: export_bundle(
        manifest=manifest, seal=the_seal, media=media, keyring=ring,
        inclusion_proof=log.inclusion_proof(999), tree_head=head, signing_key=key1), 50)))  # fmt: skip
    print(row("verify bundle (every part)", timed(lambda: verify_bundle(bundle), 100)))
    print(row("PDF report", timed(lambda: render_report_pdf(report), 10)))
    print()

    # --- the log of many visits ------------------------------------------------------------------
    n = args.visits
    template = manifest_bytes(manifest)
    t_make, datas = once(lambda: [template.replace(b'"V-1"', f'"V-{i}"'.encode()) for i in range(n)])
    entries = [hashlib.sha256(d).hexdigest() for d in datas]
    t_seal, seals = once(lambda: [seal(d, key1) for d in datas])
    t_build, big = once(lambda: MerkleLog(entries))
    heads = []
    t_heads_start = time.perf_counter()
    pos = 0
    tmp = MerkleLog()
    while pos < n:
        tmp.extend(entries[pos : pos + args.batch])
        pos = tmp.size
        heads.append(
            sign_tree_head(tmp.size, tmp.root(), "2026-11-25T02:00:00Z", heads[-1] if heads else None, key1)
        )
    t_heads = time.perf_counter() - t_heads_start
    t_log, result = once(lambda: verify_log(entries, heads, ring))
    assert result["ok"], result["problems"][:3]
    fetched = lambda s, e: entries[s:e]  # noqa: E731 - what a table-backed fetch returns
    t_log_fetch, result2 = once(lambda: verify_log(fetched, heads, ring, size=n))
    assert result2["ok"]
    records = [
        {"leaf_index": i, "manifest": d, "seal": s} for i, (d, s) in enumerate(zip(datas, seals, strict=True))
    ]
    t_rec, result3 = once(lambda: verify_records(records, entries, ring))
    assert result3["ok"]
    t_rec_noseal, _ = once(lambda: verify_records(records, entries, ring, check_seals=False))
    tampered = list(entries)
    tampered[n // 2], tampered[n // 2 + 1] = tampered[n // 2 + 1], tampered[n // 2]
    t_bad, bad = once(lambda: verify_log(tampered, heads, ring))
    first = bad["problems"][0]
    proofs = timed(lambda: big.inclusion_proof(rng.randrange(n)), 1000)
    cons = timed(lambda: big.consistency_proof(rng.randrange(1, n)), 1000)
    t_cold, _ = once(lambda: MerkleLog.load(fetched, n).inclusion_proof(n // 3))

    print(f"### A log of {n:,} manifests, a tree head every {args.batch} visits ({len(heads):,} heads)\n")
    print("| operation | seconds | per visit µs |\n| --- | ---: | ---: |")
    for name, secs in [
        (f"seal {n:,} manifests (Ed25519 sign)", t_seal),
        (f"build the Merkle tree of {n:,} entries", t_build),
        (f"build + sign {len(heads):,} tree heads batch by batch", t_heads),
        ("**verify the log**: every head's signature and chain link, every root recomputed", t_log),
        ("the same, entries fetched in pages of 10,000 by a callable", t_log_fetch),
        ("**verify the records**: every manifest re-hashed against its leaf + every seal", t_rec),
        ("the same without the seals (hashes only)", t_rec_noseal),
        ("verify a log with two records swapped (finds the batch)", t_bad),
        ("cold inclusion proof: load all entries, build, prove", t_cold),
    ]:
        print(f"| {name} | {secs:.2f} | {secs / n * 1e6:.1f} |")
    print(f"\n(making the {n:,} manifest byte strings took {t_make:.2f} s and is not counted)\n")
    print(f"swapped records found as: `{first['code']}` at head {first['head']}, leaves "
          f"{first['first_leaf']}–{first['last_leaf']}\n")  # fmt: skip
    print(
        "| operation on the built tree | n | p50 ms | p95 ms | max ms |\n| --- | ---: | ---: | ---: | ---: |"
    )
    print(row("inclusion proof", proofs))
    print(row("consistency proof", cons))
    print()

    # --- similarity -------------------------------------------------------------------------------
    data = dataset(people=args.people, genuine=10, forgeries=6, seed=8)
    t_eval, ev = once(lambda: evaluate(data, references=5))
    profile = reference_profile(data[0]["genuine"][:5])
    cmp_ms = timed(lambda: similarity(data[0]["genuine"][7], profile), 50)
    print(f"### Similarity hint on the synthetic set ({args.people} people, 5 references each)\n")
    c = ev["counts"]
    print(f"genuine {c['genuine']}, traced forgeries {c['traced']}, practised forgeries {c['practised']}, "
          f"random (another person's genuine) {c['random']}; evaluation took {t_eval:.1f} s\n")  # fmt: skip
    print("| impostors | ROC AUC | EER | EER threshold | flagged (score > 1.6) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for kind in ("traced", "practised", "random"):
        r = ev[kind]
        print(f"| {kind} | {r['auc']:.3f} | {r['eer']:.1%} | {r['eer_threshold']} | {r['not_typical']:.1%} |")
    print(f"\ngenuine flagged (score > 1.6): {ev['genuine_not_typical']:.1%}; "
          f"genuine 'very unusual' (> 2.4): {ev['genuine_very_unusual']:.1%}\n")  # fmt: skip
    for kind, scores in ev["scores"].items():
        s = sorted(scores)
        q = [s[int(p * (len(s) - 1))] for p in (0, 0.05, 0.5, 0.95, 1)]
        print(f"- {kind} scores min/5%/median/95%/max: " + " / ".join(f"{v:.2f}" for v in q))
    print()
    print("| operation | n | p50 ms | p95 ms | max ms |\n| --- | ---: | ---: | ---: | ---: |")
    print(row("similarity vs a stored 5-reference profile", cmp_ms))
    print(
        row(
            "reference profile of 5 signatures (10 DTWs)",
            timed(lambda: reference_profile(data[1]["genuine"][:5]), 10),
        )
    )


if __name__ == "__main__":
    main()
