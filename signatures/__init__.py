"""Handwritten signatures and sealed evidence of 回访通, framework-free (issue #8; R4, R7, R13, R14).

Plain data in, plain data out: no Flask, no SQLAlchemy, no server import (tests/test_boundaries.py).
Checks never raise on bad evidence: they return problems, each
``{"part", "code", "message_zh", "message_en", ...where}``, and verifications return
``{"ok": bool, "problems": [...], "facts": {...}}``.

Strokes (strokes.py, render.py)
    validate_strokes(signature, limits=None) -> list[Problem]
        refuses empty, dot-like, impossibly fast, time-reversed, off-canvas or malformed input
    encode_strokes(signature) -> str / decode_strokes(text) -> signature
        delta + zigzag varint + base64url; exact at 0.1 px, 1 ms, 0.001 pressure
    encode_strokes_bytes / decode_strokes_bytes: the same without base64 (what the manifest hashes)
    render_png(signature, scale=2.0) -> bytes
        deterministic anti-aliased PNG, width following pressure

Evidence (keys.py, manifest.py)
    generate_signing_key(created_at) -> signing key; rotate_keys(keyring, new_key, at) -> keyring;
    revoke_key(keyring, key_id, at) -> keyring
    build_manifest(visit, *, media, user, device, device_time, server_time, place,
                   questionnaire_version) -> manifest
    manifest_bytes(manifest) -> canonical bytes; manifest_hash(manifest) -> hex
    seal(manifest, signing_key) -> seal; verify_seal(manifest, seal, keyring) -> list[Problem]
    verify_media(manifest, {name: bytes}) -> list[Problem]
    verify_records(records, entries, keyring) -> verdict   (stored visits against the log)

Log (merkle.py, RFC 9162)
    MerkleLog(entries) / MerkleLog.load(fetch, size): append, root, inclusion_proof, consistency_proof
    tree_root / inclusion_proof / consistency_proof(entries or fetch, ...) -> plain proofs
    sign_tree_head(size, root, timestamp, previous_head, signing_key) -> tree head
    verify_tree_head(head, keyring), verify_inclusion(entry, proof, head),
    verify_consistency(old_head, new_head, proof) -> list[Problem]
    verify_log(entries or fetch, heads, keyring, size=None) -> verdict

Bundle and report (bundle.py, report.py)
    export_bundle(*, manifest, seal, media, keyring, inclusion_proof, tree_head, signing_key,
                  latest_tree_head=None, consistency_proof=None) -> zip bytes
    verify_bundle(bundle, trusted_keys=None) -> verdict   (the same code as the zip's verify_bundle.py)
    render_report_pdf(report, font_path=DEFAULT_FONT) -> PDF bytes (Chinese, fonts embedded, QR)

Similarity hint (similarity.py) — a risk hint with its limits stated, never a verdict
    similarity(candidate, references or reference_profile(references)) -> hint
"""

from .bundle import export_bundle, verify_bundle
from .canonical import canonical_json, sha256_hex
from .keys import generate_signing_key, revoke_key, rotate_keys, signing_key_from_private_bytes
from .manifest import (
    build_manifest,
    manifest_bytes,
    manifest_hash,
    seal,
    verify_media,
    verify_records,
    verify_seal,
)
from .merkle import (
    MerkleLog,
    consistency_proof,
    inclusion_proof,
    sign_tree_head,
    tree_head_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
    verify_log,
    verify_tree_head,
)
from .render import render_png
from .report import render_report_pdf
from .similarity import reference_profile, similarity
from .strokes import (
    decode_strokes,
    decode_strokes_bytes,
    encode_strokes,
    encode_strokes_bytes,
    quantise_strokes,
    validate_strokes,
)

__all__ = [
    "MerkleLog",
    "build_manifest",
    "canonical_json",
    "consistency_proof",
    "decode_strokes",
    "decode_strokes_bytes",
    "encode_strokes",
    "encode_strokes_bytes",
    "export_bundle",
    "generate_signing_key",
    "inclusion_proof",
    "manifest_bytes",
    "manifest_hash",
    "quantise_strokes",
    "reference_profile",
    "render_png",
    "render_report_pdf",
    "revoke_key",
    "rotate_keys",
    "seal",
    "sha256_hex",
    "sign_tree_head",
    "signing_key_from_private_bytes",
    "similarity",
    "tree_head_hash",
    "tree_root",
    "validate_strokes",
    "verify_bundle",
    "verify_consistency",
    "verify_inclusion",
    "verify_log",
    "verify_media",
    "verify_records",
    "verify_seal",
    "verify_tree_head",
]
