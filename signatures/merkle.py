"""The evidence log: an append-only Merkle tree in the manner of Certificate Transparency (RFC 9162).

Each entry is the SHA-256 of one sealed manifest, in arrival order; leaf = SHA-256(0x00 || entry),
node = SHA-256(0x01 || left || right), the tree shape and proofs are RFC 9162's (section 2.1).
After each push batch the server signs a tree head (size, root, time, the previous head's hash), so
only the head is serialised, once per batch. A visit's bundle carries its inclusion proof; a
consistency proof between two heads shows the log only grew.

Written here rather than taken from a package: the maintained Python Merkle packages (pymerkle,
for one) use their own proof layout and storage model, while the PWA, the offline verifier and any
third party need RFC 9162's plain audit paths. The verification algorithms live in
offline_verifier.py (the script that goes into every bundle) so the server and the script are one
code; tests/vectors/signatures/merkle.json holds proofs for the JavaScript side.

Plain data: entries are manifest hashes as 64-char hex (or 32 bytes); proofs are
``{"leaf_index", "tree_size", "path": [hex]}`` and ``{"first_size", "second_size", "path": [hex]}``.
A server keeping entries in a table can hand ``MerkleLog.load`` a callable that fetches a range.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from . import offline_verifier as ov
from .keys import sign
from .problems import Problem, problem, verdict

EMPTY_ROOT = hashlib.sha256(b"").digest()
Entry = str | bytes
Fetch = Callable[[int, int], Sequence[Entry]]


def _entry_bytes(entry: Entry) -> bytes:
    raw = bytes.fromhex(entry) if isinstance(entry, str) else bytes(entry)
    if len(raw) != 32:
        raise ValueError("a log entry is a 32-byte SHA-256 (64 hex characters)")
    return raw


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): where RFC 9162 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleLog:
    """An in-memory RFC 9162 tree that keeps every complete subtree hash: roots and proofs in O(log n).

    Built from the entries in arrival order (``MerkleLog(entries)``, ``append``, ``extend``, or
    ``MerkleLog.load(fetch, size)`` from a table). Historic roots and proofs for any earlier size are
    available, because complete subtrees never change in an append-only log.
    """

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        self.extend(entries)

    @classmethod
    def load(cls, fetch: Fetch, size: int, page: int = 10_000) -> MerkleLog:
        """Build from ``fetch(start, end)`` returning entries ``[start, end)``, a page at a time."""
        log = cls()
        for start in range(0, size, page):
            end = min(size, start + page)
            chunk = fetch(start, end)
            if len(chunk) != end - start:
                raise ValueError(f"fetch({start}, {end}) returned {len(chunk)} entries")
            log.extend(chunk)
        return log

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def append(self, entry: Entry) -> int:
        """Add one entry; returns its leaf index."""
        levels = self._levels
        h = ov.leaf_hash(_entry_bytes(entry))
        levels[0].append(h)
        index = len(levels[0]) - 1
        k = 0
        while index & 1:
            if len(levels) == k + 1:
                levels.append([])
            h = ov.node_hash(levels[k][index - 1], h)
            levels[k + 1].append(h)
            index >>= 1
            k += 1
        return len(levels[0]) - 1

    def extend(self, entries: Iterable[Entry]) -> None:
        for entry in entries:
            self.append(entry)

    def leaf_hash(self, index: int) -> bytes:
        return self._levels[0][index]

    def _mth(self, start: int, end: int) -> bytes:
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            return self._levels[n.bit_length() - 1][start // n]
        k = _split(n)
        return ov.node_hash(self._mth(start, start + k), self._mth(start + k, end))

    def _check_size(self, size: int | None) -> int:
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"tree size {size} outside 0..{self.size}")
        return size

    def root(self, size: int | None = None) -> str:
        """Hex root of the tree of the first ``size`` entries (default: all)."""
        size = self._check_size(size)
        return (self._mth(0, size) if size else EMPTY_ROOT).hex()

    def inclusion_proof(self, index: int, size: int | None = None) -> dict[str, Any]:
        size = self._check_size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf {index} is not in a tree of size {size}")
        path: list[bytes] = []
        start, end = 0, size
        while end - start > 1:  # RFC 9162 PATH(m, D[n]), iteratively from the root down
            k = _split(end - start)
            if index < start + k:
                path.append(self._mth(start + k, end))
                end = start + k
            else:
                path.append(self._mth(start, start + k))
                start += k
        return {"leaf_index": index, "tree_size": size, "path": [h.hex() for h in reversed(path)]}

    def consistency_proof(self, first: int, second: int | None = None) -> dict[str, Any]:
        second = self._check_size(second)
        if not 0 <= first <= second:
            raise ValueError(f"no consistency proof from size {first} to {second}")
        path: list[bytes] = []
        if 0 < first < second:
            # RFC 9162 SUBPROOF(m, D[n], true), iteratively from the root down
            m, start, end, whole = first, 0, second, True  # m stays absolute: the subtree ends at m
            while m != end:
                k = _split(end - start)
                if m - start <= k:
                    path.append(self._mth(start + k, end))
                    end = start + k
                else:
                    path.append(self._mth(start, start + k))
                    start += k
                    whole = False
            if not whole:
                path.append(self._mth(start, end))
        return {"first_size": first, "second_size": second, "path": [h.hex() for h in reversed(path)]}


# --- plain functions over entries (a list, or a callable that fetches a range) --------------------


def _log(entries: Sequence[Entry] | Fetch, size: int | None) -> MerkleLog:
    if callable(entries):
        if size is None:
            raise ValueError("give the size when entries are fetched by a callable")
        return MerkleLog.load(entries, size)
    return MerkleLog(entries if size is None else entries[:size])


def tree_root(entries: Sequence[Entry] | Fetch, size: int | None = None) -> str:
    return _log(entries, size).root()


def inclusion_proof(entries: Sequence[Entry] | Fetch, index: int, size: int | None = None) -> dict[str, Any]:
    """RFC 9162 inclusion proof of leaf ``index`` in the tree of the first ``size`` entries. O(size)."""
    return _log(entries, size).inclusion_proof(index)


def consistency_proof(
    entries: Sequence[Entry] | Fetch, first: int, second: int | None = None
) -> dict[str, Any]:
    """RFC 9162 consistency proof from the tree of ``first`` entries to that of ``second``. O(second)."""
    return _log(entries, second).consistency_proof(first)


def _hex_list(values: Any) -> list[bytes] | None:
    if not isinstance(values, list) or not all(isinstance(v, str) and ov.HEX64.match(v) for v in values):
        return None
    return [bytes.fromhex(v) for v in values]


def verify_inclusion(entry: Entry, proof: dict[str, Any], tree_head: dict[str, Any]) -> list[Problem]:
    """Problems unless ``proof`` shows ``entry`` (a manifest hash) is in the log of ``tree_head``.

    Checks the proof against the head's size and root only; check the head's signature with
    ``verify_tree_head``.
    """
    path = _hex_list(proof.get("path"))
    index, size = proof.get("leaf_index"), proof.get("tree_size")
    if path is None or not isinstance(index, int) or not isinstance(size, int):
        return [
            problem(
                "inclusion_proof",
                "inclusion_proof.malformed",
                "包含证明格式错误",
                "The inclusion proof is malformed",
            )
        ]
    root = tree_head.get("root")
    if (
        size != tree_head.get("size")
        or not isinstance(root, str)
        or not ov.HEX64.match(root)
        or not ov.verify_inclusion(ov.leaf_hash(_entry_bytes(entry)), index, size, path, bytes.fromhex(root))
    ):
        return [
            problem(
                "inclusion_proof",
                "inclusion_proof.invalid",
                f"包含证明不成立：该记录不是日志第 {index} 条（树大小 {size}）",
                f"The inclusion proof fails: the entry is not leaf {index} of the log of size {size}",
                leaf_index=index,
                tree_size=size,
            )
        ]
    return []


def verify_consistency(
    old_head: dict[str, Any], new_head: dict[str, Any], proof: dict[str, Any]
) -> list[Problem]:
    """Problems unless ``proof`` shows the log of ``new_head`` extends that of ``old_head`` (it only grew)."""
    path = _hex_list(proof.get("path"))
    sizes_match = proof.get("first_size") == old_head.get("size") and proof.get(
        "second_size"
    ) == new_head.get("size")
    roots = [h.get("root") for h in (old_head, new_head)]
    if (
        path is None
        or not sizes_match
        or not all(isinstance(r, str) and ov.HEX64.match(r) for r in roots)
        or not ov.verify_consistency(
            old_head["size"], new_head["size"], bytes.fromhex(roots[0]), bytes.fromhex(roots[1]), path
        )
    ):
        return [
            problem(
                "consistency",
                "consistency.broken",
                f"一致性证明不成立：大小为 {new_head.get('size')} 的日志"
                f"不是在大小为 {old_head.get('size')} 的日志之后追加而成",
                f"Consistency fails: the log of size {new_head.get('size')} does not extend the one of size "
                f"{old_head.get('size')}",
                first_size=old_head.get("size"),
                second_size=new_head.get("size"),
            )
        ]
    return []


# --- signed tree heads ----------------------------------------------------------------------------


def sign_tree_head(
    size: int, root: str, timestamp: str, previous_head: dict[str, Any] | None, signing_key: dict[str, str]
) -> dict[str, Any]:
    """The signed tree head after a batch: size, root, time (ISO 8601 UTC), the previous head's hash."""
    if previous_head is not None and size < previous_head["size"]:
        raise ValueError(f"a log never shrinks: size {size} after {previous_head['size']}")
    head: dict[str, Any] = {
        "type": "huifang.tree_head",
        "version": 1,
        "size": size,
        "root": root,
        "timestamp": timestamp,
        "prev_head_sha256": None if previous_head is None else ov.tree_head_hash(previous_head),
        "key_id": signing_key["key_id"],
        "alg": ov.ALG,
    }
    head["signature"] = sign(signing_key, ov.tree_head_message(head))
    return head


def tree_head_hash(head: dict[str, Any]) -> str:
    return ov.tree_head_hash(head)


def verify_tree_head(head: dict[str, Any], keyring: dict[str, Any]) -> list[Problem]:
    keys, problems = ov.keyring_index(keyring)
    return problems + ov.check_tree_head(head, keys)  # type: ignore[return-value]


def verify_log(
    entries: Sequence[Entry] | Fetch,
    heads: Sequence[dict[str, Any]],
    keyring: dict[str, Any],
    size: int | None = None,
) -> dict[str, Any]:
    """Check a whole log against its signed tree heads (oldest first). Returns a verdict with facts.

    Names what failed and where: a head's signature (``tree_head``, ``head``), a broken chain of
    heads (``tree_head_chain``: a head removed, reordered or rewritten), fewer entries than a head
    covers (``log``: records lost), or a root that no longer matches (``log``: the first batch whose
    records were removed, reordered or rewritten, with its leaf range). Entries after the last head
    are reported as a fact (not yet covered by a head), not as a problem.
    """
    keys, problems = ov.keyring_index(keyring)
    out: list[Problem] = list(problems)  # type: ignore[arg-type]
    available = (size if size is not None else 0) if callable(entries) else len(entries)
    if callable(entries) and size is None:
        available = max((h.get("size", 0) for h in heads), default=0)
    log = MerkleLog()
    prev: dict[str, Any] | None = None
    first_mismatch = None
    for n, head in enumerate(heads):
        out += ov.check_tree_head(head, keys, head=n)  # type: ignore[arg-type]
        expected_prev = None if prev is None else ov.tree_head_hash(prev)
        if head.get("prev_head_sha256") != expected_prev:
            out.append(
                problem(
                    "tree_head_chain",
                    "tree_head_chain.broken",
                    f"第 {n} 个树头没有指向前一个树头：树头被删除、调换或改写",
                    f"Tree head {n} does not name the previous head: "
                    "heads were removed, reordered or rewritten",
                    head=n,
                )
            )
        h_size = head.get("size")
        if not isinstance(h_size, int) or (prev is not None and h_size < prev.get("size", 0)):
            out.append(
                problem(
                    "tree_head_chain",
                    "tree_head_chain.shrank",
                    f"第 {n} 个树头的日志比前一个小",
                    f"Tree head {n} covers fewer records than the one before",
                    head=n,
                )
            )
            prev = head
            continue
        if h_size > available:
            out.append(
                problem(
                    "log",
                    "log.records_missing",
                    f"第 {n} 个树头覆盖 {h_size} 条记录，日志中只有 {available} 条：记录丢失",
                    f"Tree head {n} covers {h_size} records but the log holds {available}: records were lost",
                    head=n,
                    tree_size=h_size,
                    log_size=available,
                )
            )
            break
        if h_size > log.size:
            if callable(entries):
                for start in range(log.size, h_size, 10_000):
                    log.extend(entries(start, min(h_size, start + 10_000)))
            else:
                log.extend(entries[log.size : h_size])
        if first_mismatch is None and log.root(h_size) != head.get("root"):
            first_mismatch = n
            lo = prev.get("size", 0) if prev is not None else 0
            out.append(
                problem(
                    "log",
                    "log.root_mismatch",
                    f"第 {n} 个树头的根与日志不符：记录 {lo}–{h_size - 1} 之间有记录被删除、调换或改写",
                    f"Tree head {n} does not match the log: records {lo}–{h_size - 1} were removed, "
                    "reordered or rewritten",
                    head=n,
                    first_leaf=lo,
                    last_leaf=h_size - 1,
                )
            )
        prev = head
    facts = {"heads": len(heads), "entries": available, "covered": prev.get("size", 0) if prev else 0}
    result: dict[str, Any] = dict(verdict(out))
    result["facts"] = facts
    return result


# ---- appending without the whole log ---------------------------------------------------------
# A server appends a batch after every push. Recomputing the root over every stored entry grows
# with the log; the frontier (the hashes of the perfect subtrees along the right edge, largest
# first: one per set bit of the size) is all an append needs, so it is kept with each tree head.


def frontier_append(frontier: Sequence[str], size: int, entry: Entry) -> list[str]:
    """The frontier of a log of ``size`` entries after appending ``entry``."""
    stack = [bytes.fromhex(h) for h in frontier]
    node = hashlib.sha256(b"\x00" + _entry_bytes(entry)).digest()
    n = size
    while n & 1:  # equal-sized subtrees merge, like a binary counter carrying
        node = hashlib.sha256(b"\x01" + stack.pop() + node).digest()
        n >>= 1
    stack.append(node)
    return [h.hex() for h in stack]


def frontier_root(frontier: Sequence[str]) -> str:
    """The RFC 9162 root of the log the frontier describes (folding the right edge leftwards)."""
    if not frontier:
        return EMPTY_ROOT.hex()
    node = bytes.fromhex(frontier[-1])
    for left in reversed(frontier[:-1]):
        node = hashlib.sha256(b"\x01" + bytes.fromhex(left) + node).digest()
    return node.hex()
