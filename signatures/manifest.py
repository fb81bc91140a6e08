"""The evidence manifest of a visit: what was signed, by whom, when and where, sealed with Ed25519.

Built when a visit is received: canonical JSON (RFC 8785) of the visit record and of the SHA-256 of
every media file (signature strokes and PNGs, the tablet's own render, photos), the user, device,
device and server times, place and questionnaire version. Its SHA-256 is sealed with the server's
Ed25519 key and becomes the visit's entry in the Merkle log (merkle.py).

Store ``manifest_bytes(manifest)`` as it is: it is exactly what was hashed and sealed, and checking
a stored manifest is then a SHA-256, not a re-canonicalisation.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from . import offline_verifier as ov
from .canonical import canonical_json
from .keys import sign
from .problems import Problem, problem

MANIFEST_TYPE = "huifang.evidence_manifest"
MEDIA_KINDS = {
    "signature_strokes",
    "signature_png",
    "signature_device_png",
    "photo",
    "recording",
    "scan",
    "other",
}
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")


def _media_entry(item: Mapping[str, Any]) -> dict[str, Any]:
    name, kind = item.get("name"), item.get("kind")
    if not isinstance(name, str) or not _SAFE_NAME.match(name) or ".." in name:
        raise ValueError(f"media name {name!r} is not a safe relative path (letters, digits, _ . - and /)")
    if kind not in MEDIA_KINDS:
        raise ValueError(f"media kind {kind!r} is not one of {sorted(MEDIA_KINDS)}")
    if "data" in item:
        data = item["data"]
        digest, size = hashlib.sha256(data).hexdigest(), len(data)
    else:  # the server may have hashed the file at upload
        digest, size = item.get("sha256"), item.get("size")
        if not isinstance(digest, str) or not ov.HEX64.match(digest) or not isinstance(size, int):
            raise ValueError(f"media {name}: give data, or sha256 (64 lower-case hex) and size")
    entry = {"name": name, "kind": kind, "sha256": digest, "size": size}
    for key in ("role", "content_type"):  # role: policyholder, insured, specialist
        if item.get(key) is not None:
            entry[key] = item[key]
    return entry


def build_manifest(
    visit: Mapping[str, Any],
    *,
    media: Iterable[Mapping[str, Any]],
    user: Mapping[str, Any],
    device: Mapping[str, Any],
    device_time: str,
    server_time: str,
    place: Mapping[str, Any] | None,
    questionnaire_version: str,
) -> dict[str, Any]:
    """The manifest of one visit (plain data in, plain data out).

    ``visit`` is the visit record as JSON-able data (ids, policy, answers, outcome...); ``media``
    items are ``{"name", "kind", "data": bytes}`` or ``{"name", "kind", "sha256", "size"}``, with an
    optional ``role`` and ``content_type``. Times are ISO 8601 strings with their zone. Raises
    ``ValueError`` on unsafe media names, duplicates, or values JSON cannot hold (NaN, bytes...).
    """
    entries = sorted((_media_entry(m) for m in media), key=lambda e: e["name"])
    names = [e["name"] for e in entries]
    if len(set(names)) != len(names):
        raise ValueError("two media files share a name")
    manifest = {
        "type": MANIFEST_TYPE,
        "version": 1,
        "visit": dict(visit),
        "questionnaire_version": questionnaire_version,
        "user": dict(user),
        "device": dict(device),
        "times": {"device": device_time, "server": server_time},
        "place": None if place is None else dict(place),
        "media": entries,
    }
    try:
        canonical_json(manifest)
    except Exception as exc:  # rfc8785 raises its own types for NaN, bytes, huge ints
        raise ValueError(f"the visit cannot be put in canonical JSON: {exc}") from exc
    return manifest


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The canonical bytes that are hashed, sealed, stored and put in a bundle."""
    return canonical_json(dict(manifest))


def manifest_hash(manifest: Mapping[str, Any] | bytes) -> str:
    """Hex SHA-256 of the manifest's canonical bytes: its seal's subject and its log entry."""
    data = manifest if isinstance(manifest, bytes) else manifest_bytes(manifest)
    return hashlib.sha256(data).hexdigest()


def seal(manifest: Mapping[str, Any] | bytes, signing_key: Mapping[str, str]) -> dict[str, str]:
    """Seal a manifest: ``{"alg": "Ed25519", "key_id", "manifest_sha256", "signature"}`` (hex signature).

    The signed message is a fixed context string and the 32 raw bytes of the hash, so a seal can
    never pass for a tree head signature or the other way round.
    """
    digest = manifest_hash(manifest)
    return {
        "alg": ov.ALG,
        "key_id": signing_key["key_id"],
        "manifest_sha256": digest,
        "signature": sign(dict(signing_key), ov.seal_message(digest)),
    }


def verify_seal(
    manifest: Mapping[str, Any] | bytes, seal_: Mapping[str, Any], keyring: Mapping[str, Any]
) -> list[Problem]:
    """Problems unless the seal is a valid signature of this manifest by a known, unrevoked key.

    Names the part: ``keys`` (a key whose id is not its thumbprint), ``seal`` (unknown key id,
    revoked key, bad signature, malformed) or ``manifest`` (the manifest is not the one sealed).
    """
    keys, problems = ov.keyring_index(dict(keyring))
    out: list[Problem] = list(problems)  # type: ignore[arg-type]
    sealed = seal_.get("manifest_sha256") if isinstance(seal_, Mapping) else None
    out += ov.check_seal(sealed, dict(seal_) if isinstance(seal_, Mapping) else seal_, keys)  # type: ignore[arg-type]
    actual = manifest_hash(manifest)
    if actual != sealed:
        out.append(
            problem(
                "manifest",
                "manifest.hash_mismatch",
                "清单的哈希与封印中的不一致：清单在封印后被改动",
                "The manifest's SHA-256 differs from the sealed one: it changed after sealing",
                expected=sealed,
                actual=actual,
            )
        )
    return out


def verify_media(manifest: Mapping[str, Any], media: Mapping[str, bytes]) -> list[Problem]:
    """Problems unless every file listed in the manifest is in ``media`` (name → bytes) with its hash."""
    out: list[Problem] = []
    for entry in manifest.get("media", []):
        data = media.get(entry["name"])
        if data is None:
            out.append(
                problem(
                    "media",
                    "media.missing",
                    f"媒体文件 {entry['name']} 缺失",
                    f"Media file {entry['name']} is missing",
                    file=entry["name"],
                )
            )
        elif hashlib.sha256(data).hexdigest() != entry["sha256"]:
            out.append(
                problem(
                    "media",
                    "media.hash_mismatch",
                    f"媒体文件 {entry['name']} 的哈希与清单不符：文件被改动",
                    f"Media file {entry['name']} does not match its hash in the manifest: it was changed",
                    file=entry["name"],
                )
            )
    return out


def verify_records(
    records: Iterable[Mapping[str, Any]],
    entries: list[str] | list[bytes],
    keyring: Mapping[str, Any],
    check_seals: bool = True,
) -> dict[str, Any]:
    """Check stored visits against the log: each record's manifest bytes hash to its log entry.

    ``records`` are ``{"leaf_index", "manifest": bytes, "seal"}`` as the server stores them. Pinpoints
    a rewritten record (its leaf index), a record pointing at a wrong or missing leaf, two records on
    one leaf, and leaves with no record (a record lost). With ``check_seals`` every seal is verified.
    """
    keys, problems = ov.keyring_index(dict(keyring))
    out: list[Problem] = list(problems)  # type: ignore[arg-type]
    hex_entries = [e if isinstance(e, str) else bytes(e).hex() for e in entries]
    seen: set[int] = set()
    count = 0
    for rec in records:
        count += 1
        index, data, seal_ = rec.get("leaf_index"), rec.get("manifest"), rec.get("seal") or {}
        digest = hashlib.sha256(data).hexdigest() if isinstance(data, bytes) else None
        if not isinstance(index, int) or not 0 <= index < len(hex_entries):
            out.append(
                problem(
                    "log",
                    "log.record_outside",
                    f"记录指向不存在的日志位置 {index}",
                    f"A record points at leaf {index}, which the log does not have",
                    leaf_index=index,
                )
            )
            continue
        if index in seen:
            out.append(
                problem(
                    "log",
                    "log.record_duplicate",
                    f"两条记录指向同一日志位置 {index}",
                    f"Two records point at leaf {index}",
                    leaf_index=index,
                )
            )
        seen.add(index)
        if digest != hex_entries[index]:
            out.append(
                problem(
                    "manifest",
                    "manifest.not_in_log",
                    f"第 {index} 条记录的清单与日志不符：记录被改写或调换",
                    f"The manifest of the record at leaf {index} differs from the log: rewritten or swapped",
                    leaf_index=index,
                )
            )
        if check_seals:
            if seal_.get("manifest_sha256") != digest:
                out.append(
                    problem(
                        "seal",
                        "seal.other_manifest",
                        f"第 {index} 条记录的封印不属于它的清单",
                        f"The seal of the record at leaf {index} is not for its manifest",
                        leaf_index=index,
                    )
                )
            else:
                out += [
                    {**p, "leaf_index": index}  # type: ignore[misc]
                    for p in ov.check_seal(digest, dict(seal_), keys)
                ]
    missing = [i for i in range(len(hex_entries)) if i not in seen]
    if missing:
        out.append(
            problem(
                "log",
                "log.record_lost",
                f"{len(missing)} 个日志位置没有对应的记录，首个为第 {missing[0]} 条",
                f"{len(missing)} leaves have no record, the first at leaf {missing[0]}",
                leaf_indexes=missing[:100],
            )
        )
    return {"ok": not out, "problems": out, "facts": {"records": count, "entries": len(hex_entries)}}
