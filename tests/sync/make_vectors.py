"""Writes tests/vectors/sync/record_hash.json: records and their hashes, for pytest and Vitest.

Run `.venv/bin/python -m tests.sync.make_vectors` after changing the canonical form (never silently:
a changed hash breaks every record already on a tablet).
"""

from __future__ import annotations

import json
from pathlib import Path

from sync.canonical import canonical_bytes, record_hash

OUT = Path(__file__).resolve().parents[1] / "vectors" / "sync" / "record_hash.json"

CASES = [
    (
        "minimal record",
        {"uuid": "0b7e6a44-2c0e-4a51-9a54-3f1d2f6f7a10", "task_id": 1, "answers": {}, "media": []},
    ),
    (
        "key order does not matter",
        {
            "media": [],
            "answers": {"b": 1, "a": 2},
            "task_id": 2,
            "uuid": "1b7e6a44-2c0e-4a51-9a54-3f1d2f6f7a10",
        },
    ),
    (
        "chinese text and escapes",
        {
            "answers": {"q1": '客户表示已收到保险合同 "犹豫期"\n第二行', "emoji": "签名✍"},
            "uuid": "2b7e6a44-2c0e-4a51-9a54-3f1d2f6f7a10",
        },
    ),
    (
        "numbers in canonical form",
        {
            "answers": {
                "int": 100,
                "float": 1.5,
                "big": 1e21,
                "small": 1e-7,
                "neg": -0.0,
                "whole_float": 2.0,
                "fen": 123456,
            }
        },
    ),
    (
        "nested lists and nulls",
        {"answers": {"multi": ["b", "a", None, True, False], "obj": {"z": [], "y": {}}}},
    ),
    ("hash member is ignored", {"uuid": "3b7e6a44-2c0e-4a51-9a54-3f1d2f6f7a10", "hash": "ignored"}),
    (
        "place with coordinates",
        {
            "place": {
                "lat": 36.651216,
                "lon": 117.120095,
                "accuracy_m": 12.5,
                "at": "2026-11-25T09:01:02+08:00",
            }
        },
    ),
]


def main() -> None:
    vectors = [
        {
            "name": name,
            "record": record,
            "canonical": canonical_bytes(record).decode(),
            "hash": record_hash(record),
        }
        for name, record in CASES
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(vectors, ensure_ascii=False, indent=2) + "\n")
    print(f"wrote {len(vectors)} vectors to {OUT}")


if __name__ == "__main__":
    main()
