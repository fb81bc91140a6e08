#!/usr/bin/env python3
"""Offline verifier of a 回访通 evidence bundle. 回访通证据包离线校验程序.

Needs only the Python standard library (3.9 or later) and the ``cryptography`` package
(``pip install cryptography``) for Ed25519. 只需 Python 标准库与 cryptography 包。

    python verify_bundle.py evidence.zip [--trusted-keys insurer_keys.json] [--json]

It checks, and names the part that fails / 逐项校验并指出出错的部分:
  keys             every public key's id is its RFC 7638 thumbprint; with --trusted-keys, that the
                   keys are the insurer's published ones (compare them out of band!)
  seal             the Ed25519 seal over the manifest hash, by a known and unrevoked key
  manifest         SHA-256 of manifest.json equals the sealed hash
  media            SHA-256 of every media file equals the manifest's entry (names the file)
  tree_head        the signed tree head of the Merkle log (RFC 9162) is signed by a known key
  inclusion_proof  the manifest hash is a leaf of that tree head (RFC 9162 section 2.1.3.2)
  consistency      if present: the later tree head extends the bundle's one (section 2.1.4.2)
  bundle           every file, this script included, is the one listed in the sealed bundle index

Exit status 0 when everything holds, 1 otherwise. Inside the project this file is
signatures/offline_verifier.py, the same code the server runs, so the two cannot drift apart.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import sys
import zipfile
import zlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ALG = "Ed25519"
SEAL_CONTEXT = b"huifang.manifest-seal.v1\x00"
HEAD_CONTEXT = b"huifang.tree-head.v1\x00"
INDEX_CONTEXT = b"huifang.bundle-index.v1\x00"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
HEX128 = re.compile(r"^[0-9a-f]{128}$")
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")

# Where each file of a bundle lives and which part a broken file belongs to.
FILE_PARTS = {
    "manifest.json": "manifest",
    "seal.json": "seal",
    "keys.json": "keys",
    "log/tree_head.json": "tree_head",
    "log/inclusion_proof.json": "inclusion_proof",
    "log/latest_tree_head.json": "tree_head",
    "log/consistency_proof.json": "consistency",
    "bundle_index.json": "bundle",
    "bundle_seal.json": "bundle",
}
REQUIRED = ("manifest.json", "seal.json", "keys.json", "log/tree_head.json", "log/inclusion_proof.json")
INDEX_FILES = ("bundle_index.json", "bundle_seal.json")


def _part_of(name: str) -> str:
    return FILE_PARTS.get(name, "media" if name.startswith("media/") else "bundle")


def _problem(part: str, code: str, zh: str, en: str, **where: Any) -> dict[str, Any]:
    return {"part": part, "code": code, "message_zh": zh, "message_en": en, **where}


# --- RFC 9162 hashing and proof verification --------------------------------------------------


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162 leaf: SHA-256(0x00 || entry). Our entries are the 32 raw bytes of a manifest hash."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes | None:
    """The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or None when the proof is ill-formed."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """True when ``path`` proves the leaf hash ``leaf`` is at ``index`` in the tree (``size``, ``root``)."""
    return root_from_inclusion(leaf, index, size, path) == root


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes, path: list[bytes]) -> bool:
    """True when ``path`` proves the tree (size2, root2) extends (size1, root1) (RFC 9162 §2.1.4.2)."""
    if not 0 <= size1 <= size2:
        return False
    if size1 == size2:
        return not path and root1 == root2
    if size1 == 0:
        return not path  # the empty tree is a prefix of every tree
    if not path:
        return False
    if size1 & (size1 - 1) == 0:  # an exact power of two: the old root is itself a node of the path
        path = [root1, *path]
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


# --- keys, seals, tree heads ----------------------------------------------------------------------


def key_id(public_key: bytes) -> str:
    """RFC 7638 JWK thumbprint of an Ed25519 public key (RFC 8037 OKP form), base64url."""
    x = base64.urlsafe_b64encode(public_key).rstrip(b"=").decode("ascii")
    jwk = '{"crv":"Ed25519","kty":"OKP","x":"' + x + '"}'
    return base64.urlsafe_b64encode(hashlib.sha256(jwk.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


_KEYS: dict[bytes, Ed25519PublicKey] = {}


def ed25519_verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        key = _KEYS.get(public_key)
        if key is None:  # loading a key costs as much as a verification: keep the few we see
            key = Ed25519PublicKey.from_public_bytes(public_key)
            if len(_KEYS) < 64:
                _KEYS[public_key] = key
        key.verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def seal_message(manifest_sha256: str) -> bytes:
    return SEAL_CONTEXT + bytes.fromhex(manifest_sha256)


def simple_canonical(value: dict[str, Any]) -> bytes:
    """RFC 8785 bytes of a flat object of ASCII strings, safe integers and null (tree heads, indexes).

    For such values JCS is sorted keys, no whitespace, the JSON escapes of Python's json module, so
    the verifier needs no canonicalisation package. Anything else is refused rather than guessed.
    """

    def ok(v: Any) -> bool:
        if v is None or isinstance(v, str):
            return v is None or v.isascii()
        if isinstance(v, bool):
            return False
        if isinstance(v, int):
            return abs(v) < 2**53
        if isinstance(v, dict):
            return all(isinstance(k, str) and k.isascii() and ok(x) for k, x in v.items())
        return False

    if not ok(value):
        raise ValueError("not a flat object of ASCII strings and safe integers")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


HEAD_FIELDS = ("type", "version", "size", "root", "timestamp", "prev_head_sha256", "key_id", "alg")


def tree_head_body(head: dict[str, Any]) -> dict[str, Any]:
    return {k: head.get(k) for k in HEAD_FIELDS}


def tree_head_hash(head: dict[str, Any]) -> str:
    """SHA-256 of the signed body of a tree head: what the next head names as its previous one."""
    return hashlib.sha256(simple_canonical(tree_head_body(head))).hexdigest()


def tree_head_message(head: dict[str, Any]) -> bytes:
    return HEAD_CONTEXT + simple_canonical(tree_head_body(head))


def keyring_index(keyring: Any) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Keys by id, and problems of keys whose id is not their thumbprint or that are malformed."""
    problems: list[dict[str, Any]] = []
    keys: dict[str, dict[str, Any]] = {}
    entries = keyring.get("keys") if isinstance(keyring, dict) else None
    if not isinstance(entries, list):
        return {}, [
            _problem("keys", "keys.malformed", "公钥列表格式错误", "The public key list is malformed")
        ]
    for n, entry in enumerate(entries):
        pub = entry.get("public_key") if isinstance(entry, dict) else None
        kid = entry.get("key_id") if isinstance(entry, dict) else None
        if not (isinstance(pub, str) and HEX64.match(pub) and isinstance(kid, str) and KEY_ID.match(kid)):
            problems.append(
                _problem(
                    "keys", "keys.malformed", f"第 {n + 1} 个公钥格式错误", f"Key {n} is malformed", key=n
                )
            )
            continue
        if entry.get("alg") != ALG:
            problems.append(
                _problem(
                    "keys",
                    "keys.algorithm",
                    f"公钥 {kid} 算法不是 Ed25519",
                    f"Key {kid} is not Ed25519",
                    key_id=kid,
                )
            )
            continue
        if key_id(bytes.fromhex(pub)) != kid:
            problems.append(
                _problem(
                    "keys",
                    "keys.id_mismatch",
                    f"公钥编号 {kid} 与公钥内容不符",
                    f"Key id {kid} is not the thumbprint of its public key",
                    key_id=kid,
                )
            )
            continue
        keys[kid] = entry
    return keys, problems


def check_signature(
    part: str,
    what_zh: str,
    what_en: str,
    signed: dict[str, Any],
    message: bytes,
    keys: dict[str, Any],
    **where: Any,
) -> list[dict[str, Any]]:
    """Problems of an Ed25519 signature (``signed`` has alg, key_id, signature) by a key of ``keys``."""
    kid, sig = signed.get("key_id"), signed.get("signature")
    if signed.get("alg") != ALG or not isinstance(sig, str) or not HEX128.match(sig):
        return [
            _problem(part, f"{part}.malformed", f"{what_zh}格式错误", f"The {what_en} is malformed", **where)
        ]
    entry = keys.get(kid) if isinstance(kid, str) else None
    if entry is None:
        return [
            _problem(
                part,
                f"{part}.unknown_key",
                f"{what_zh}使用的密钥 {kid} 不在公钥列表中",
                f"The {what_en} names key {kid}, which is not in the key ring",
                key_id=kid,
                **where,
            )
        ]
    if entry.get("status") == "revoked":
        return [
            _problem(
                part,
                f"{part}.revoked_key",
                f"{what_zh}使用的密钥 {kid} 已被吊销",
                f"The {what_en} uses key {kid}, which has been revoked",
                key_id=kid,
                **where,
            )
        ]
    if not ed25519_verify(bytes.fromhex(entry["public_key"]), bytes.fromhex(sig), message):
        return [
            _problem(
                part,
                f"{part}.signature_invalid",
                f"{what_zh}签名无效",
                f"The {what_en} signature does not verify",
                key_id=kid,
                **where,
            )
        ]
    return []


def check_seal(manifest_sha256: Any, seal: Any, keys: dict[str, Any]) -> list[dict[str, Any]]:
    if not isinstance(seal, dict) or not isinstance(manifest_sha256, str) or not HEX64.match(manifest_sha256):
        return [_problem("seal", "seal.malformed", "封印格式错误", "The seal is malformed")]
    return check_signature("seal", "封印", "seal", seal, seal_message(manifest_sha256), keys)


def check_tree_head(tree_head: Any, keys: dict[str, Any], **where: Any) -> list[dict[str, Any]]:
    head = tree_head
    try:
        well_formed = (
            isinstance(head, dict)
            and head.get("type") == "huifang.tree_head"
            and head.get("version") == 1
            and isinstance(head.get("size"), int)
            and head["size"] >= 0
            and isinstance(head.get("root"), str)
            and HEX64.match(head["root"]) is not None
            and isinstance(head.get("timestamp"), str)
            and (
                head.get("prev_head_sha256") is None or HEX64.match(str(head["prev_head_sha256"])) is not None
            )
        )
        message = tree_head_message(head) if well_formed else b""
    except ValueError:
        well_formed = False
    if not well_formed:
        return [
            _problem(
                "tree_head", "tree_head.malformed", "树头格式错误", "The tree head is malformed", **where
            )
        ]
    return check_signature("tree_head", "树头", "tree head", head, message, keys, **where)


# --- the bundle ------------------------------------------------------------------------------------


def _json(files: dict[str, bytes], name: str, problems: list[dict[str, Any]]) -> Any:
    try:
        return json.loads(files[name].decode("utf-8"))
    except (KeyError, UnicodeDecodeError, ValueError):
        part = _part_of(name)
        problems.append(
            _problem(
                part, f"{part}.malformed", f"{name} 不是有效的 JSON", f"{name} is not valid JSON", file=name
            )
        )
        return None


def _hashes(values: Any) -> list[bytes] | None:
    if not isinstance(values, list) or not all(isinstance(v, str) and HEX64.match(v) for v in values):
        return None
    return [bytes.fromhex(v) for v in values]


def read_bundle(data: bytes) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    """The files of a bundle zip, or the problem that it is not a readable zip (naming the file)."""
    files: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                try:
                    files[info.filename] = zf.read(info)
                except (zipfile.BadZipFile, zlib.error, OSError, ValueError) as exc:
                    part = _part_of(info.filename)
                    return files, [
                        _problem(
                            part,
                            "bundle.corrupt_file",
                            f"证据包中的文件 {info.filename} 已损坏",
                            f"File {info.filename} in the bundle is corrupt ({exc})",
                            file=info.filename,
                        )
                    ]
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError) as exc:
        return {}, [
            _problem(
                "bundle", "bundle.corrupt", "证据包不是有效的 zip 文件", f"The bundle is not a zip ({exc})"
            )
        ]
    return files, []


def verify_bundle_files(files: dict[str, bytes], trusted_keys: Any = None) -> dict[str, Any]:
    """Check every part of a bundle given as {name: bytes}. Returns {"ok", "problems", "facts"}."""
    problems: list[dict[str, Any]] = []
    facts: dict[str, Any] = {}
    missing = [n for n in REQUIRED if n not in files]
    for name in missing:
        part = FILE_PARTS[name]
        problems.append(
            _problem(part, "bundle.missing_file", f"证据包缺少 {name}", f"The bundle lacks {name}", file=name)
        )
    if missing:
        return {"ok": False, "problems": problems, "facts": facts}

    # keys: the bundle's own, checked against their ids; with trusted keys, only those count.
    bundle_ring = _json(files, "keys.json", problems)
    keys, key_problems = keyring_index(bundle_ring) if bundle_ring is not None else ({}, [])
    problems += key_problems
    if trusted_keys is not None:
        trusted, trusted_problems = keyring_index(trusted_keys)
        problems += [{**p, "code": "keys.trusted_malformed"} for p in trusted_problems]
        for kid in keys:
            if kid not in trusted:
                problems.append(
                    _problem(
                        "keys",
                        "keys.untrusted",
                        f"证据包中的公钥 {kid} 不在受信任的公钥列表中",
                        f"Key {kid} in the bundle is not among the trusted keys",
                        key_id=kid,
                    )
                )
        keys = trusted
    facts["key_ids"] = sorted(keys)

    # seal: valid over the hash it names; then the manifest bytes must hash to that.
    seal = _json(files, "seal.json", problems)
    sealed_hash = seal.get("manifest_sha256") if isinstance(seal, dict) else None
    if seal is not None:
        problems += check_seal(sealed_hash, seal, keys)
    manifest_sha256 = hashlib.sha256(files["manifest.json"]).hexdigest()
    facts["manifest_sha256"] = manifest_sha256
    if manifest_sha256 != sealed_hash:
        problems.append(
            _problem(
                "manifest",
                "manifest.hash_mismatch",
                "清单的哈希与封印中的不一致：清单在封印后被改动",
                "The manifest's SHA-256 differs from the sealed one: it changed after sealing",
                expected=sealed_hash,
                actual=manifest_sha256,
            )
        )

    # media: every listed file present with its hash; no unlisted files.
    manifest = _json(files, "manifest.json", problems)
    listed = manifest.get("media") if isinstance(manifest, dict) else None
    if isinstance(listed, list):
        names = set()
        for entry in listed:
            name = entry.get("name") if isinstance(entry, dict) else None
            if not isinstance(name, str):
                continue
            names.add(name)
            data = files.get("media/" + name)
            if data is None:
                problems.append(
                    _problem(
                        "media",
                        "media.missing",
                        f"媒体文件 {name} 缺失",
                        f"Media file {name} is missing",
                        file="media/" + name,
                    )
                )
            elif hashlib.sha256(data).hexdigest() != entry.get("sha256"):
                problems.append(
                    _problem(
                        "media",
                        "media.hash_mismatch",
                        f"媒体文件 {name} 的哈希与清单不符：文件被改动",
                        f"Media file {name} does not match its hash in the manifest: it was changed",
                        file="media/" + name,
                    )
                )
        for path in sorted(files):
            if path.startswith("media/") and path[len("media/") :] not in names:
                problems.append(
                    _problem(
                        "media",
                        "media.unlisted",
                        f"媒体文件 {path} 不在清单中",
                        f"Media file {path} is not listed in the manifest",
                        file=path,
                    )
                )

    # the log: a signed tree head and the manifest's inclusion proof in it.
    head = _json(files, "log/tree_head.json", problems)
    head_ok = False
    if head is not None:
        head_problems = check_tree_head(head, keys, file="log/tree_head.json")
        problems += head_problems
        head_ok = not head_problems
    proof = _json(files, "log/inclusion_proof.json", problems)
    if proof is not None and isinstance(head, dict):
        path = _hashes(proof.get("path")) if isinstance(proof, dict) else None
        index = proof.get("leaf_index") if isinstance(proof, dict) else None
        size = proof.get("tree_size") if isinstance(proof, dict) else None
        root = head.get("root")
        if path is None or not isinstance(index, int) or not isinstance(size, int) or isinstance(index, bool):
            problems.append(
                _problem(
                    "inclusion_proof",
                    "inclusion_proof.malformed",
                    "包含证明格式错误",
                    "The inclusion proof is malformed",
                )
            )
        elif (
            size != head.get("size")
            or not isinstance(root, str)
            or not HEX64.match(root)
            or not verify_inclusion(
                leaf_hash(bytes.fromhex(manifest_sha256)), index, size, path, bytes.fromhex(root)
            )
        ):
            problems.append(
                _problem(
                    "inclusion_proof",
                    "inclusion_proof.invalid",
                    f"包含证明不成立：清单不是日志第 {index} 条记录（树大小 {size}）",
                    f"The inclusion proof fails: the manifest is not leaf {index} of the log of size {size}",
                    leaf_index=index,
                    tree_size=size,
                )
            )
        else:
            facts["leaf_index"], facts["tree_size"] = index, size
    if head_ok:
        facts["tree_head_sha256"] = tree_head_hash(head)

    # optional: a later tree head and a consistency proof from the bundle's head to it.
    if "log/latest_tree_head.json" in files or "log/consistency_proof.json" in files:
        latest = _json(files, "log/latest_tree_head.json", problems)
        cproof = _json(files, "log/consistency_proof.json", problems)
        if latest is not None:
            problems += check_tree_head(latest, keys, file="log/latest_tree_head.json")
        if latest is not None and cproof is not None and isinstance(head, dict):
            path = _hashes(cproof.get("path")) if isinstance(cproof, dict) else None
            ok = (
                path is not None
                and isinstance(latest, dict)
                and cproof.get("first_size") == head.get("size")
                and cproof.get("second_size") == latest.get("size")
                and isinstance(head.get("root"), str)
                and HEX64.match(head["root"]) is not None
                and isinstance(latest.get("root"), str)
                and HEX64.match(latest["root"]) is not None
                and isinstance(head.get("size"), int)
                and isinstance(latest.get("size"), int)
                and verify_consistency(
                    head["size"],
                    latest["size"],
                    bytes.fromhex(head["root"]),
                    bytes.fromhex(latest["root"]),
                    path,
                )
            )
            if not ok:
                problems.append(
                    _problem(
                        "consistency",
                        "consistency.broken",
                        "一致性证明不成立：后来的日志不是在原日志之后追加而成",
                        "The consistency proof fails: the later log does not extend the bundle's one",
                    )
                )

    # the sealed index of every file in the bundle (this script and the readme included).
    if all(n in files for n in INDEX_FILES):
        index_doc = _json(files, "bundle_index.json", problems)
        index_seal = _json(files, "bundle_seal.json", problems)
        if isinstance(index_doc, dict) and isinstance(index_seal, dict):
            index_hash = hashlib.sha256(files["bundle_index.json"]).digest()
            problems += check_signature(
                "bundle", "证据包目录", "bundle index", index_seal, INDEX_CONTEXT + index_hash, keys
            )
            listed_files = index_doc.get("files") if isinstance(index_doc.get("files"), dict) else {}
            for name in sorted(set(files) - set(INDEX_FILES)):
                if listed_files.get(name) != hashlib.sha256(files[name]).hexdigest():
                    problems.append(
                        _problem(
                            _part_of(name),
                            "bundle.file_changed",
                            f"文件 {name} 与证据包目录不符",
                            f"File {name} does not match the bundle index",
                            file=name,
                        )
                    )
            for name in sorted(set(listed_files) - set(files)):
                problems.append(
                    _problem(
                        "bundle",
                        "bundle.missing_file",
                        f"证据包缺少 {name}",
                        f"The bundle lacks {name}",
                        file=name,
                    )
                )
    else:
        problems.append(
            _problem(
                "bundle",
                "bundle.unindexed",
                "证据包没有签名目录",
                "The bundle has no sealed index of its files",
            )
        )
    return {"ok": not problems, "problems": problems, "facts": facts}


def verify_bundle_bytes(data: bytes, trusted_keys: Any = None) -> dict[str, Any]:
    files, problems = read_bundle(data)
    if problems:
        return {"ok": False, "problems": problems, "facts": {}}
    return verify_bundle_files(files, trusted_keys)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a 回访通 evidence bundle offline / 离线校验证据包")
    parser.add_argument("bundle", help="the evidence bundle zip / 证据包 zip 文件")
    parser.add_argument(
        "--trusted-keys", help="the insurer's published public keys (keys.json) / 保险公司公布的公钥"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    with open(args.bundle, "rb") as fh:
        data = fh.read()
    trusted = None
    if args.trusted_keys:
        with open(args.trusted_keys, "rb") as fh:
            trusted = json.loads(fh.read().decode("utf-8"))
    result = verify_bundle_bytes(data, trusted)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        if result["ok"]:
            print("校验通过 / VERIFIED")
        else:
            print("校验失败 / FAILED")
            for p in result["problems"]:
                print(f"  [{p['part']}] {p['message_zh']} / {p['message_en']}")
        for key, value in sorted(result["facts"].items()):
            print(f"  {key}: {value}")
        if trusted is None:
            print("注意：未指定 --trusted-keys，只证明证据包内部一致；请核对公钥编号是否为保险公司公布的。")
            print("Note: without --trusted-keys this proves the bundle is self-consistent only;")
            print("compare the key ids with the ones the insurer publishes.")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
