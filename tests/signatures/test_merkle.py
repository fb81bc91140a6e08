"""The RFC 9162 log: roots and proofs match the RFC's definitions; tampering is found and located."""

from __future__ import annotations

import copy
import hashlib

import pytest

from signatures import (
    MerkleLog,
    consistency_proof,
    generate_signing_key,
    inclusion_proof,
    rotate_keys,
    sign_tree_head,
    tree_head_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
    verify_log,
    verify_records,
    verify_tree_head,
)
from signatures import offline_verifier as ov
from signatures.canonical import canonical_json

from .helpers import T, evidence, other_entries

ENTRIES = [bytes.fromhex(e) for e in other_entries(40, "rfc")]


# The RFC 9162 section 2.1 definitions, written recursively as in the RFC, to check the fast code.
def mth(d):
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return ov.leaf_hash(d[0])
    k = 1 << ((len(d) - 1).bit_length() - 1)
    return ov.node_hash(mth(d[:k]), mth(d[k:]))


def rfc_path(m, d):
    if len(d) <= 1:
        return []
    k = 1 << ((len(d) - 1).bit_length() - 1)
    return [*rfc_path(m, d[:k]), mth(d[k:])] if m < k else [*rfc_path(m - k, d[k:]), mth(d[:k])]


def rfc_subproof(m, d, b):
    if m == len(d):
        return [] if b else [mth(d)]
    k = 1 << ((len(d) - 1).bit_length() - 1)
    if m <= k:
        return [*rfc_subproof(m, d[:k], b), mth(d[k:])]
    return [*rfc_subproof(m - k, d[k:], False), mth(d[:k])]


def test_roots_and_proofs_are_those_of_rfc_9162():
    log = MerkleLog(ENTRIES)
    for n in range(len(ENTRIES) + 1):
        assert log.root(n) == mth(ENTRIES[:n]).hex()
        for m in range(n):
            proof = log.inclusion_proof(m, n)
            assert proof["path"] == [h.hex() for h in rfc_path(m, ENTRIES[:n])]
            path = [bytes.fromhex(h) for h in proof["path"]]
            assert ov.verify_inclusion(ov.leaf_hash(ENTRIES[m]), m, n, path, mth(ENTRIES[:n]))
        for m in range(1, n + 1):
            proof = log.consistency_proof(m, n)
            assert proof["path"] == [h.hex() for h in (rfc_subproof(m, ENTRIES[:n], True) if m < n else [])]
            path = [bytes.fromhex(h) for h in proof["path"]]
            assert ov.verify_consistency(m, n, mth(ENTRIES[:m]), mth(ENTRIES[:n]), path)


def test_wrong_proofs_fail():
    log = MerkleLog(ENTRIES)
    n = 27
    root = bytes.fromhex(log.root(n))
    for m in range(n):
        path = [bytes.fromhex(h) for h in log.inclusion_proof(m, n)["path"]]
        leaf = ov.leaf_hash(ENTRIES[m])
        assert not ov.verify_inclusion(leaf, (m + 1) % n, n, path, root)
        assert not ov.verify_inclusion(ov.leaf_hash(ENTRIES[(m + 1) % n]), m, n, path, root)
        # (the size only matters through the path's shape; the signed head pins the real size)
        assert not ov.verify_inclusion(leaf, m, n * 4, path, root)
        for i in range(len(path)):
            bad = list(path)
            bad[i] = bytes([bad[i][0] ^ 1]) + bad[i][1:]
            assert not ov.verify_inclusion(leaf, m, n, bad, root)
        assert not ov.verify_inclusion(leaf, m, n, [*path, path[0]], root)
    for m in range(1, n):
        path = [bytes.fromhex(h) for h in log.consistency_proof(m, n)["path"]]
        r1 = bytes.fromhex(log.root(m))
        assert not ov.verify_consistency(m, n, r1, bytes.fromhex(log.root(n - 1)), path)
        assert not ov.verify_consistency(m, n, bytes.fromhex(log.root(m + 1)), root, path) or m + 1 == n
        for i in range(len(path)):
            bad = list(path)
            bad[i] = bytes([bad[i][0] ^ 1]) + bad[i][1:]
            assert not ov.verify_consistency(m, n, r1, root, bad)


def test_plain_functions_take_a_list_or_a_range_fetcher():
    hexes = [e.hex() for e in ENTRIES]
    calls = []

    def fetch(start, end):
        calls.append((start, end))
        return hexes[start:end]

    assert tree_root(fetch, 40) == tree_root(hexes) == MerkleLog(ENTRIES).root()
    assert inclusion_proof(fetch, 7, 33) == inclusion_proof(hexes, 7, 33)
    assert consistency_proof(fetch, 5, 33) == consistency_proof(hexes, 5, 33)
    assert calls and all(e - s <= 10_000 for s, e in calls)
    log = MerkleLog.load(fetch, 40, page=7)
    assert log.root() == tree_root(hexes)


def test_sizes_outside_the_log_are_refused():
    log = MerkleLog(ENTRIES[:5])
    for bad in (lambda: log.root(6), lambda: log.inclusion_proof(5), lambda: log.consistency_proof(4, 6)):
        with pytest.raises(ValueError):
            bad()
    with pytest.raises(ValueError):
        log.append("abcd")


def test_tree_head_body_is_rfc_8785():
    ev = evidence()
    head = ev["heads"][1]
    body = {k: v for k, v in head.items() if k != "signature"}
    assert ov.simple_canonical(ov.tree_head_body(head)) == canonical_json(body)
    assert tree_head_hash(head) == hashlib.sha256(canonical_json(body)).hexdigest()


def test_inclusion_and_consistency_of_heads():
    ev = evidence()
    h1, h2 = ev["heads"]
    mh = ev["seal"]["manifest_sha256"]
    assert verify_inclusion(mh, ev["log"].inclusion_proof(6, h1["size"]), h1) == []
    assert verify_inclusion(mh, ev["log"].inclusion_proof(6), h2) == []
    (p,) = verify_inclusion(mh, ev["log"].inclusion_proof(5, h1["size"]), h1)
    assert (p["part"], p["leaf_index"]) == ("inclusion_proof", 5)
    proof = ev["log"].consistency_proof(h1["size"], h2["size"])
    assert verify_consistency(h1, h2, proof) == []
    forked = MerkleLog([*ev["entries"][:5], *other_entries(7, "fork")])
    fake = sign_tree_head(forked.size, forked.root(), T, h1, ev["key"])
    (p,) = verify_consistency(h1, fake, forked.consistency_proof(h1["size"]))
    assert (p["part"], p["code"]) == ("consistency", "consistency.broken")


def test_a_log_never_shrinks():
    ev = evidence()
    with pytest.raises(ValueError):
        sign_tree_head(3, ev["log"].root(3), T, ev["heads"][1], ev["key"])


# --- a log with many batches, then tampered ----------------------------------------------------


@pytest.fixture(scope="module")
def chain():
    key = generate_signing_key("2026-01-01T00:00:00Z")
    ring = rotate_keys(None, key, "2026-01-01T00:00:00Z")
    entries = other_entries(500, "chain")
    log, heads = MerkleLog(), []
    for batch in range(10):  # ten push batches of 50 visits
        log.extend(entries[batch * 50 : (batch + 1) * 50])
        heads.append(
            sign_tree_head(
                log.size, log.root(), f"2026-11-25T0{batch}:00:00Z", heads[-1] if heads else None, key
            )
        )
    return {"entries": entries, "heads": heads, "ring": ring, "key": key}


def test_an_untouched_chain_verifies(chain):
    result = verify_log(chain["entries"], chain["heads"], chain["ring"])
    assert result["ok"], result["problems"]
    assert result["facts"] == {"heads": 10, "entries": 500, "covered": 500}


def test_heads_signed_before_a_key_rotation_still_verify(chain):
    new = generate_signing_key("2026-06-01T00:00:00Z")
    ring = rotate_keys(chain["ring"], new, "2026-06-01T00:00:00Z")
    log = MerkleLog(chain["entries"])
    log.extend(other_entries(10, "after"))
    heads = [*chain["heads"], sign_tree_head(log.size, log.root(), T, chain["heads"][-1], new)]
    assert verify_log([*chain["entries"], *other_entries(10, "after")], heads, ring)["ok"]


def _problems(result):
    return [(p["part"], p["code"]) for p in result["problems"]]


def test_a_lost_record_is_located_to_its_batch(chain):
    entries = list(chain["entries"])
    del entries[123]
    result = verify_log(entries, chain["heads"], chain["ring"])
    first = result["problems"][0]
    assert (first["part"], first["code"], first["head"]) == ("log", "log.root_mismatch", 2)
    assert (first["first_leaf"], first["last_leaf"]) == (100, 149)
    assert ("log", "log.records_missing") in _problems(result)


def test_records_lost_at_the_end_are_named(chain):
    result = verify_log(chain["entries"][:480], chain["heads"], chain["ring"])
    assert _problems(result) == [("log", "log.records_missing")]
    assert result["problems"][0]["head"] == 9 and result["problems"][0]["log_size"] == 480


def test_reordered_records_are_located(chain):
    entries = list(chain["entries"])
    entries[260], entries[261] = entries[261], entries[260]
    result = verify_log(entries, chain["heads"], chain["ring"])
    assert _problems(result) == [("log", "log.root_mismatch")]
    assert result["problems"][0]["head"] == 5


def test_a_rewritten_record_is_located(chain):
    entries = list(chain["entries"])
    entries[499] = hashlib.sha256(b"rewritten").hexdigest()
    result = verify_log(entries, chain["heads"], chain["ring"])
    assert _problems(result) == [("log", "log.root_mismatch")]
    assert result["problems"][0]["head"] == 9


def test_a_removed_or_swapped_head_breaks_the_chain(chain):
    heads = list(chain["heads"])
    del heads[4]
    result = verify_log(chain["entries"], heads, chain["ring"])
    assert _problems(result) == [("tree_head_chain", "tree_head_chain.broken")]
    assert result["problems"][0]["head"] == 4
    heads = list(chain["heads"])
    heads[3], heads[4] = heads[4], heads[3]
    parts = {p[0] for p in _problems(verify_log(chain["entries"], heads, chain["ring"]))}
    assert parts == {"tree_head_chain"}


def test_a_forged_head_signature_is_named(chain):
    heads = copy.deepcopy(chain["heads"])
    heads[6]["timestamp"] = "2026-11-25T06:30:00Z"
    result = verify_log(chain["entries"], heads, chain["ring"])
    assert result["problems"][0]["part"] == "tree_head" and result["problems"][0]["head"] == 6
    assert result["problems"][0]["code"] == "tree_head.signature_invalid"
    assert verify_tree_head(chain["heads"][6], chain["ring"]) == []


def test_entries_after_the_last_head_are_a_fact_not_a_failure(chain):
    result = verify_log([*chain["entries"], *other_entries(3, "tail")], chain["heads"], chain["ring"])
    assert result["ok"] and result["facts"]["entries"] - result["facts"]["covered"] == 3


def test_stored_records_are_checked_against_the_log():
    ev = evidence()
    from signatures import manifest_bytes, seal

    records, entries = [], []
    for n in range(6):
        m = copy.deepcopy(ev["manifest"])
        m["visit"]["visit_id"] = f"V-{n}"
        data = manifest_bytes(m)
        records.append({"leaf_index": n, "manifest": data, "seal": seal(data, ev["key"])})
        entries.append(hashlib.sha256(data).hexdigest())
    assert verify_records(records, entries, ev["ring"])["ok"]

    rewritten = copy.deepcopy(records)
    rewritten[3]["manifest"] = rewritten[3]["manifest"].replace(b"V-3", b"V-9")
    codes = [
        (p["code"], p.get("leaf_index")) for p in verify_records(rewritten, entries, ev["ring"])["problems"]
    ]
    assert ("manifest.not_in_log", 3) in codes

    swapped = copy.deepcopy(records)
    swapped[1]["leaf_index"], swapped[2]["leaf_index"] = 2, 1
    codes = [
        (p["code"], p.get("leaf_index")) for p in verify_records(swapped, entries, ev["ring"])["problems"]
    ]
    assert ("manifest.not_in_log", 1) in codes and ("manifest.not_in_log", 2) in codes

    lost = [r for r in records if r["leaf_index"] != 4]
    (p,) = verify_records(lost, entries, ev["ring"])["problems"]
    assert p["code"] == "log.record_lost" and p["leaf_indexes"] == [4]
