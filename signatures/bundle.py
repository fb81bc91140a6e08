"""The evidence bundle of one visit: a zip a third party checks offline with the script inside it.

Layout (every JSON file canonical, the zip itself deterministic: same input, same bytes)::

    manifest.json                 the sealed manifest, byte for byte
    seal.json                     {"alg", "key_id", "manifest_sha256", "signature"}
    media/<name>                  every file the manifest lists (strokes, PNGs, photos)
    keys.json                     the public key ring (a third party compares the ids out of band)
    log/tree_head.json            the signed tree head the visit's manifest is included in
    log/inclusion_proof.json      RFC 9162 inclusion proof of the manifest hash in that head
    log/latest_tree_head.json     optional: a later head ...
    log/consistency_proof.json    ... and the proof that it extends the bundle's head
    verify_bundle.py              the standalone verifier (Python standard library + cryptography)
    README.txt                    how to run it, in Chinese and English
    bundle_index.json             SHA-256 of every file above
    bundle_seal.json              Ed25519 signature of the index by the exporting key
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import offline_verifier as ov
from .canonical import canonical_json
from .keys import sign
from .manifest import manifest_bytes

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)

README = """回访通证据包 / Huifang evidence bundle
====================================

本证据包包含一次上门回访的清单、签名与照片、服务器封印、公钥以及证明该记录在防篡改日志中的证明。
离线校验（需要 Python 3.9 以上及 cryptography 包：pip install cryptography）：

    python verify_bundle.py 本文件.zip --trusted-keys 保险公司公布的公钥.json

This bundle holds a visit's manifest, its signatures and photos, the server's seal, the public keys
and the proof that the record is in the tamper-evident log. To check it offline (Python 3.9 or later
and the cryptography package: pip install cryptography):

    python verify_bundle.py this-file.zip --trusted-keys keys-published-by-the-insurer.json

Without --trusted-keys the script proves the bundle is consistent in itself; compare the key ids it
prints with the ones the insurer publishes. Any changed byte in any file makes it fail and name the
part: keys, seal, manifest, media (with the file), tree_head, inclusion_proof, consistency, bundle.
"""


def _verifier_source() -> bytes:
    return (Path(__file__).parent / "offline_verifier.py").read_bytes()


def _write(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    zf.writestr(info, data, compresslevel=9)


def export_bundle(
    *,
    manifest: Mapping[str, Any] | bytes,
    seal: Mapping[str, Any],
    media: Mapping[str, bytes],
    keyring: Mapping[str, Any],
    inclusion_proof: Mapping[str, Any],
    tree_head: Mapping[str, Any],
    signing_key: Mapping[str, str],
    latest_tree_head: Mapping[str, Any] | None = None,
    consistency_proof: Mapping[str, Any] | None = None,
) -> bytes:
    """The zip bytes of a visit's evidence bundle (see the module doc for its layout).

    ``media`` maps the manifest's media names to their bytes. ``signing_key`` seals the bundle's
    index (the server's current key); the manifest's own seal may be by an older key.
    """
    files: dict[str, bytes] = {
        "manifest.json": manifest if isinstance(manifest, bytes) else manifest_bytes(manifest),
        "seal.json": canonical_json(dict(seal)),
        "keys.json": canonical_json(dict(keyring)),
        "log/tree_head.json": canonical_json(dict(tree_head)),
        "log/inclusion_proof.json": canonical_json(dict(inclusion_proof)),
        "verify_bundle.py": _verifier_source(),
        "README.txt": README.encode("utf-8"),
    }
    if (latest_tree_head is None) != (consistency_proof is None):
        raise ValueError("give both latest_tree_head and consistency_proof, or neither")
    if latest_tree_head is not None and consistency_proof is not None:
        files["log/latest_tree_head.json"] = canonical_json(dict(latest_tree_head))
        files["log/consistency_proof.json"] = canonical_json(dict(consistency_proof))
    for name, data in media.items():
        files["media/" + name] = data
    index = canonical_json(
        {
            "type": "huifang.bundle_index",
            "version": 1,
            "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
        }
    )
    files["bundle_index.json"] = index
    files["bundle_seal.json"] = canonical_json(
        {
            "alg": ov.ALG,
            "key_id": signing_key["key_id"],
            "signature": sign(dict(signing_key), ov.INDEX_CONTEXT + hashlib.sha256(index).digest()),
        }
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(files):
            _write(zf, name, files[name])
    return buf.getvalue()


def verify_bundle(bundle: bytes, trusted_keys: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check every part of a bundle: ``{"ok", "problems": [{part, code, message_zh, ...}], "facts"}``.

    The same code as the ``verify_bundle.py`` inside the zip. With ``trusted_keys`` (the insurer's
    published key ring) only those keys count; without, the bundle's own keys are used.
    """
    return ov.verify_bundle_bytes(bundle, None if trusted_keys is None else dict(trusted_keys))
