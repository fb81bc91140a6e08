"""The evidence bundle: verifies offline, and any flipped byte in any file fails naming the right part."""

from __future__ import annotations

import io
import random
import subprocess
import sys
import zipfile

import pytest

from signatures import export_bundle, generate_signing_key, rotate_keys, verify_bundle
from signatures import offline_verifier as ov

from .helpers import evidence


@pytest.fixture(scope="module")
def ev():
    return evidence(old_key_seals=True)


def files_of(bundle: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_an_untouched_bundle_verifies(ev):
    result = verify_bundle(ev["bundle"])
    assert result["ok"], result["problems"]
    assert result["facts"]["leaf_index"] == 6 and result["facts"]["tree_size"] == 7
    assert sorted(files_of(ev["bundle"])) == sorted(
        [
            "README.txt",
            "bundle_index.json",
            "bundle_seal.json",
            "keys.json",
            "log/consistency_proof.json",
            "log/inclusion_proof.json",
            "log/latest_tree_head.json",
            "log/tree_head.json",
            "manifest.json",
            "seal.json",
            "verify_bundle.py",
            *("media/" + n for n in ev["media"]),
        ]
    )


def test_the_same_evidence_gives_the_same_zip(ev):
    again = export_bundle(
        manifest=ev["manifest"],
        seal=ev["seal"],
        media=ev["media"],
        keyring=ev["ring"],
        inclusion_proof=ev["log"].inclusion_proof(6, 7),
        tree_head=ev["heads"][0],
        signing_key=ev["key"],
        latest_tree_head=ev["heads"][1],
        consistency_proof=ev["log"].consistency_proof(7, 12),
    )
    assert again == ev["bundle"]


EXPECTED_PART = {
    "manifest.json": "manifest",
    "seal.json": "seal",
    "keys.json": "keys",
    "log/tree_head.json": "tree_head",
    "log/latest_tree_head.json": "tree_head",
    "log/inclusion_proof.json": "inclusion_proof",
    "log/consistency_proof.json": "consistency",
    "bundle_index.json": "bundle",
    "bundle_seal.json": "bundle",
    "verify_bundle.py": "bundle",
    "README.txt": "bundle",
}


def _positions(size: int, name: str) -> list[int]:
    if size <= 600:
        return list(range(size))  # every byte of the seal, the keys, the heads and the proofs
    rng = random.Random(name)
    return sorted({0, size - 1, size // 2, *(rng.randrange(size) for _ in range(30))})


def test_every_flipped_byte_fails_and_names_the_part(ev):
    files = files_of(ev["bundle"])
    checked = 0
    for name, data in files.items():
        expected = EXPECTED_PART.get(name, "media")
        for pos in _positions(len(data), name):
            changed = dict(files)
            changed[name] = data[:pos] + bytes([data[pos] ^ 0x01]) + data[pos + 1 :]
            # the files as the zip yields them (test_flips_through_the_zip covers the zip layer)
            result = ov.verify_bundle_files(changed)
            assert not result["ok"], (name, pos)
            first = result["problems"][0]
            assert first["part"] == expected, (name, pos, result["problems"])
            if expected == "media":
                assert first["file"] == name
            checked += 1
    assert checked > 2500


def test_flips_through_the_zip(ev):
    files = files_of(ev["bundle"])
    for name, data in files.items():
        changed = dict(files)
        changed[name] = data[:-1] + bytes([data[-1] ^ 0x01])
        result = verify_bundle(rezip(changed))
        assert result["problems"][0]["part"] == EXPECTED_PART.get(name, "media"), name


def test_a_corrupt_zip_names_the_file(ev):
    raw = bytearray(ev["bundle"])
    with zipfile.ZipFile(io.BytesIO(ev["bundle"])) as zf:
        info = zf.getinfo("media/photos/door.jpg")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    raw[start + info.compress_size // 2] ^= 0x01
    (p,) = verify_bundle(bytes(raw))["problems"]
    assert (p["part"], p["file"]) == ("media", "media/photos/door.jpg")
    (p,) = verify_bundle(b"not a zip")["problems"]
    assert p["code"] == "bundle.corrupt"


def test_missing_and_extra_files_are_named(ev):
    files = files_of(ev["bundle"])
    del files["media/photos/door.jpg"]
    first = verify_bundle(rezip(files))["problems"][0]
    assert (first["code"], first["file"]) == ("media.missing", "media/photos/door.jpg")
    files = files_of(ev["bundle"])
    files["media/extra.jpg"] = b"smuggled"
    first = verify_bundle(rezip(files))["problems"][0]
    assert (first["code"], first["file"]) == ("media.unlisted", "media/extra.jpg")
    files = files_of(ev["bundle"])
    del files["seal.json"]
    assert verify_bundle(rezip(files))["problems"][0]["part"] == "seal"


def test_trusted_keys_decide_which_keys_count(ev):
    assert verify_bundle(ev["bundle"], trusted_keys=ev["ring"])["ok"]
    impostor = generate_signing_key("2026-01-01T00:00:00Z")
    result = verify_bundle(ev["bundle"], trusted_keys=rotate_keys(None, impostor, "t"))
    assert result["problems"][0]["part"] == "keys" and result["problems"][0]["code"] == "keys.untrusted"
    assert "seal" in {p["part"] for p in result["problems"]}


def test_a_bundle_resealed_with_another_key_fails_against_the_trusted_keys(ev):
    impostor = generate_signing_key("2026-01-01T00:00:00Z")
    files = files_of(ev["bundle"])
    fake = export_bundle(
        manifest=files["manifest.json"],
        seal=ev["seal"],
        media=ev["media"],
        keyring=rotate_keys(None, impostor, "t"),
        inclusion_proof=ev["log"].inclusion_proof(6, 7),
        tree_head=ev["heads"][0],
        signing_key=impostor,
    )
    assert not verify_bundle(fake)["ok"]  # the seal's key is not in the bundle's own ring either
    assert not verify_bundle(fake, trusted_keys=ev["ring"])["ok"]


def test_the_standalone_script_verifies_offline(ev, tmp_path):
    (tmp_path / "evidence.zip").write_bytes(ev["bundle"])
    (tmp_path / "verify_bundle.py").write_bytes(files_of(ev["bundle"])["verify_bundle.py"])
    # -I: isolated mode, run from a folder where the signatures package cannot be imported
    run = [sys.executable, "-I", "verify_bundle.py", "evidence.zip"]
    ok = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "VERIFIED" in ok.stdout

    files = files_of(ev["bundle"])
    files["media/signatures/policyholder.png"] += b"\x00"
    (tmp_path / "evidence.zip").write_bytes(rezip(files))
    bad = subprocess.run([*run, "--json"], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode == 1
    assert '"file": "media/signatures/policyholder.png"' in bad.stdout


def test_the_script_imports_only_the_standard_library_and_cryptography():
    import ast
    from pathlib import Path

    import signatures.offline_verifier as ov

    tree = ast.parse(Path(ov.__file__).read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            roots.add(node.module.split(".")[0])
    assert roots - set(sys.stdlib_module_names) == {"cryptography"}
