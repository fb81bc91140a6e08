"""The visit record a device pushes, its schema, and the rules that classify a push.

A record is the whole of one visit as the tablet captured it: the client-made UUID, the task, the
questionnaire version, device times with the clock offset learnt at the last sync, the place, the
outcome, the answers, and references (SHA-256) to its media: signature strokes, the tablet's own
render of each signature, photos. Media travel separately, content-addressed and resumable.

``classify_push`` decides, for one record and what the server already holds under its UUID:
accepted (new), duplicate (same hash: already stored), conflict (same UUID, another hash: kept for
review, never dropped), or rejected (invalid: stays on the device with the reasons).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import jsonschema_rs

from sync.canonical import record_hash

SHA256 = r"^[0-9a-f]{64}$"
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$"
OUTCOMES = ("completed", "not_at_home", "refused", "wrong_address", "postponed")
MEDIA_KINDS = ("signature_strokes", "signature_png", "photo")
MAX_MEDIA_BYTES = 20 * 1024 * 1024

MEDIA_REF = {
    "type": "object",
    "required": ["sha256", "kind", "size", "mime"],
    "additionalProperties": False,
    "properties": {
        "sha256": {"type": "string", "pattern": SHA256},
        "kind": {"enum": list(MEDIA_KINDS)},
        "size": {"type": "integer", "minimum": 1, "maximum": MAX_MEDIA_BYTES},
        "mime": {"enum": ["application/x-huifang-strokes", "image/png", "image/jpeg"]},
        "question_id": {"type": ["string", "null"], "maxLength": 64},
        "signer": {"enum": ["holder", "insured", "specialist", None]},
        "taken_at": {"type": ["string", "null"], "pattern": TIME},
    },
}

VISIT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://huifang.local/schemas/visit-record.json",
    "title": "回访通 visit record",
    "type": "object",
    "required": [
        "uuid",
        "task_id",
        "questionnaire_version_id",
        "started_at",
        "finished_at",
        "outcome",
        "answers",
        "media",
        "hash",
    ],
    "additionalProperties": False,
    "properties": {
        "uuid": {"type": "string", "pattern": UUID},
        "hash": {"type": "string", "pattern": SHA256},
        "task_id": {"type": "integer", "minimum": 1},
        "questionnaire_version_id": {"type": ["integer", "null"], "minimum": 1},
        "started_at": {"type": "string", "pattern": TIME},
        "finished_at": {"type": "string", "pattern": TIME},
        "clock_offset_ms": {"type": ["integer", "null"], "description": "server minus device, at last sync"},
        "place": {
            "type": ["object", "null"],
            "required": ["lat", "lon", "accuracy_m", "at"],
            "additionalProperties": False,
            "properties": {
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "lon": {"type": "number", "minimum": -180, "maximum": 180},
                "accuracy_m": {"type": "number", "minimum": 0},
                "at": {"type": "string", "pattern": TIME},
            },
        },
        "place_status": {"enum": ["ok", "denied", "unavailable", "timeout", None]},
        "outcome": {"enum": list(OUTCOMES)},
        "outcome_reason": {"type": ["string", "null"], "maxLength": 500},
        "postponed_to": {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "answers": {"type": "object", "maxProperties": 500},
        "media": {"type": "array", "items": MEDIA_REF, "maxItems": 60},
        "app_version": {"type": ["string", "null"], "maxLength": 40},
    },
}
# jsonschema-rs (Rust) validates a record in ~15 µs where the pure-Python jsonschema takes ~0.5 ms:
# the push path validates every record of every device, so it is the one that matters.
_validator = jsonschema_rs.validator_for(VISIT_SCHEMA)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    message_en: str
    field: str | None = None

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "message_en": self.message_en,
            "field": self.field,
        }


def check_shape(record: dict) -> list[Problem]:
    """Schema errors and the hash check, in both languages, pointing at the field."""
    problems = []
    for error in sorted(_validator.iter_errors(record), key=lambda e: [str(p) for p in e.instance_path]):
        where = "/".join(str(part) for part in error.instance_path) or None
        problems.append(Problem("record_invalid", f"记录格式不正确：{error.message}", error.message, where))
    if problems:
        return problems
    if record_hash(record) != record["hash"]:
        problems.append(
            Problem(
                "hash_mismatch",
                "记录的校验值与内容不符，数据可能在传输中损坏",
                "The record's hash does not match its content",
                "hash",
            )
        )
    if record["outcome"] == "postponed" and not record.get("postponed_to"):
        problems.append(
            Problem(
                "postponed_to_required",
                "改期需要填写新日期",
                "A postponed visit needs the new date",
                "postponed_to",
            )
        )
    if record["started_at"] > record["finished_at"] and _same_zone(
        record["started_at"], record["finished_at"]
    ):
        problems.append(
            Problem(
                "times_inverted", "结束时间早于开始时间", "The visit ends before it starts", "finished_at"
            )
        )
    shas = [ref["sha256"] for ref in record["media"]]
    if len(shas) != len(set(shas)):
        problems.append(
            Problem("media_duplicated", "同一文件被重复引用", "The same media file is listed twice", "media")
        )
    return problems


def _same_zone(a: str, b: str) -> bool:
    zone = re.compile(r"(Z|[+-]\d{2}:\d{2})$")
    return zone.search(a).group(1) == zone.search(b).group(1)


@dataclass(frozen=True)
class Decision:
    status: str  # accepted | duplicate | conflict | rejected
    problems: list[Problem] = field(default_factory=list)


def classify_push(record: dict, stored_hash: str | None, extra_problems: list[Problem] = ()) -> Decision:
    """The outcome of pushing this record when the server holds ``stored_hash`` under its UUID."""
    problems = check_shape(record) + list(extra_problems)
    if problems:
        return Decision("rejected", problems)
    if stored_hash is None:
        return Decision("accepted")
    if stored_hash == record["hash"]:
        return Decision("duplicate")
    return Decision("conflict")
