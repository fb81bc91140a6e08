"""Appending by frontier gives the same roots as the whole-log computation, for every size."""

from __future__ import annotations

import hashlib

from signatures.merkle import MerkleLog, frontier_append, frontier_root


def test_frontier_roots_equal_whole_log_roots():
    entries = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(130)]
    log = MerkleLog()
    frontier: list[str] = []
    assert frontier_root(frontier) == log.root()
    for size, entry in enumerate(entries):
        frontier = frontier_append(frontier, size, entry)
        log.append(entry)
        assert frontier_root(frontier) == log.root(), size + 1
        assert len(frontier) == bin(size + 1).count("1")
