"""Sealing at receipt, the log, verification.

When a push accepts a visit, its manifest (the record in canonical JSON, the SHA-256 of every
signature and photo, user, device, device and server times, place, questionnaire version) is
sealed with the server's Ed25519 key in the same transaction. At the end of the push the batch's
manifests get their places in the log and one signed tree head covers them: only that step is
serialised, once per batch, and it costs O(log n) thanks to the stored frontier.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import insert, select, text, update

from server.auth.models import Device
from server.config import ConfigError
from server.dbtypes import utcnow
from server.errors import HuifangError
from server.evidence.models import EvidenceKey, EvidenceRecord, TreeHead
from server.extensions import db
from server.users.models import User
from server.visits.models import MediaBlob, Visit, VisitMedia
from signatures import keys as sigkeys
from signatures.manifest import build_manifest, manifest_hash, seal, verify_media, verify_seal
from signatures.merkle import (
    frontier_append,
    frontier_root,
    inclusion_proof,
    sign_tree_head,
    verify_inclusion,
    verify_log,
)

_LOG_LOCK = 0x4855494C  # "HUIL"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def signing_key() -> dict:
    """The server's sealing key: HUIFANG_EVIDENCE_KEY (64 hex), else a file kept in the instance folder.

    Production must set the variable or provide the file from a secret store; a development
    instance makes its own key once. Registering the public half makes old seals verifiable forever.
    """
    key = current_app.extensions.get("huifang_evidence_key")
    if key is None:
        raw = current_app.config.get("HUIFANG_EVIDENCE_KEY") or ""
        path = Path(current_app.instance_path) / "evidence_key"
        if not raw and path.exists():
            raw = path.read_text().strip()
        if not raw:
            if current_app.config["HUIFANG_ENV"] == "production":
                raise ConfigError("HUIFANG_EVIDENCE_KEY (or instance/evidence_key) is required in production")
            raw = os.urandom(32).hex()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(raw)
            path.chmod(0o600)
        key = sigkeys.signing_key_from_private_bytes(bytes.fromhex(raw), _iso(utcnow()))
        current_app.extensions["huifang_evidence_key"] = key
    # Every seal must stay verifiable: the public half is in the key ring before it signs anything.
    registered = db.session.get(EvidenceKey, key["key_id"])
    if registered is None:
        db.session.add(
            EvidenceKey(key_id=key["key_id"], public_key=key["public_key"], created_at=key["created_at"])
        )
        db.session.flush()
    else:
        key["created_at"] = registered.created_at
    return key


def keyring() -> dict:
    return {
        "keys": [
            {
                "key_id": row.key_id,
                "alg": "Ed25519",
                "public_key": row.public_key,
                "status": row.status,
                "created_at": row.created_at,
            }
            for row in db.session.scalars(select(EvidenceKey).order_by(EvidenceKey.created_at))
        ]
    }


def _manifest(visit_row: dict, user: User, device: Device) -> dict:
    record = visit_row["record"]
    return build_manifest(
        {
            "uuid": record["uuid"],
            "record": record,
            "record_sha256": record["hash"],
            "task_id": visit_row["task_id"],
            "institution_id": visit_row["institution_id"],
        },
        media=[
            {
                "name": f"{ref['kind']}/{ref['sha256']}",
                "kind": ref["kind"],
                "sha256": ref["sha256"],
                "size": ref["size"],
                "role": ref.get("signer"),
                "content_type": ref["mime"],
            }
            for ref in record["media"]
        ],
        user={"id": user.id, "username": user.username, "display_name": user.display_name},
        device={"id": device.id, "device_uuid": device.device_uuid, "name": device.name},
        device_time=record["finished_at"],
        server_time=_iso(visit_row["received_at"]),
        place=record.get("place"),
        questionnaire_version=str(record.get("questionnaire_version_id")),
    )


def seal_received(visit_rows: list[dict], user: User, device: Device) -> None:
    """Seal the manifests of visits just accepted (same transaction as the visits). No commit."""
    if not visit_rows:
        return
    key = signing_key()
    rows = []
    for visit_row in visit_rows:
        manifest = _manifest(visit_row, user, device)
        rows.append(
            {
                "visit_uuid": visit_row["uuid"],
                "manifest": manifest,
                "manifest_hash": manifest_hash(manifest),
                "seal": seal(manifest, key),
            }
        )
    db.session.execute(insert(EvidenceRecord), rows)


def extend_log() -> TreeHead | None:
    """Give unlogged manifests their places and sign one tree head over them. No commit."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOG_LOCK})
    pending = db.session.execute(
        select(EvidenceRecord.visit_uuid, EvidenceRecord.manifest_hash)
        .where(EvidenceRecord.leaf_index.is_(None))
        .order_by(EvidenceRecord.created_at, EvidenceRecord.visit_uuid)
    ).all()
    if not pending:
        return None
    last = db.session.scalars(select(TreeHead).order_by(TreeHead.size.desc()).limit(1)).first()
    size, frontier = (last.size, list(last.frontier)) if last else (0, [])
    for uuid, digest in pending:
        db.session.execute(
            update(EvidenceRecord).where(EvidenceRecord.visit_uuid == uuid).values(leaf_index=size)
        )
        frontier = frontier_append(frontier, size, digest)
        size += 1
    head = sign_tree_head(
        size, frontier_root(frontier), _iso(utcnow()), last.head if last else None, signing_key()
    )
    row = TreeHead(size=size, head=head, frontier=frontier)
    db.session.add(row)
    return row


# ---- verification ----------------------------------------------------------------------------


def _fetch(start: int, end: int) -> list[str]:
    return list(
        db.session.scalars(
            select(EvidenceRecord.manifest_hash)
            .where(EvidenceRecord.leaf_index >= start, EvidenceRecord.leaf_index < end)
            .order_by(EvidenceRecord.leaf_index)
        )
    )


def latest_head() -> TreeHead | None:
    return db.session.scalars(select(TreeHead).order_by(TreeHead.size.desc()).limit(1)).first()


def visit_media(uuid: str) -> dict[str, bytes]:
    from server.sync.services import store

    out = {}
    for ref in db.session.scalars(select(VisitMedia).where(VisitMedia.visit_uuid == uuid)):
        blob = db.session.get(MediaBlob, ref.sha256)
        if blob is not None and blob.complete:
            with store().open(ref.sha256) as handle:
                out[f"{ref.kind}/{ref.sha256}"] = handle.read()
    return out


def verify_visit(uuid: str) -> dict:
    """Recompute everything about one visit and say which part, if any, does not hold."""
    record = db.session.get(EvidenceRecord, uuid)
    visit = db.session.get(Visit, uuid)
    if record is None or visit is None:
        raise HuifangError("evidence_missing", "该面访没有证据记录", "No evidence record for this visit", 404)
    problems = []
    if record.manifest.get("visit", {}).get("record") != visit.record:
        problems.append(
            {
                "part": "record",
                "code": "record_changed",
                "message_zh": "面访记录与封存时不一致",
                "message_en": "The stored visit record differs from the sealed one",
            }
        )
    problems += [dict(p) for p in verify_seal(record.manifest, record.seal, keyring())]
    problems += [dict(p) for p in verify_media(record.manifest, visit_media(uuid))]
    head = latest_head()
    if record.leaf_index is None or head is None:
        problems.append(
            {
                "part": "log",
                "code": "not_logged",
                "message_zh": "尚未记入证据日志",
                "message_en": "Not in the evidence log yet",
            }
        )
    else:
        proof = inclusion_proof(_fetch, record.leaf_index, head.size)
        problems += [dict(p) for p in verify_inclusion(record.manifest_hash, proof, head.head)]
    return {
        "ok": not problems,
        "problems": problems,
        "leaf_index": record.leaf_index,
        "manifest_sha256": record.manifest_hash,
        "tree_size": head.size if head else 0,
    }


def verify_chain() -> dict:
    """Every tree head signed and linked, every root recomputed from the stored manifests."""
    heads = [row.head for row in db.session.scalars(select(TreeHead).order_by(TreeHead.size))]
    if not heads:
        return {"ok": True, "problems": [], "size": 0}
    result = verify_log(_fetch, heads, keyring(), size=heads[-1]["size"])
    # The manifests themselves: each stored hash must still be the hash of the stored manifest.
    mismatched = [
        row.leaf_index
        for row in db.session.scalars(select(EvidenceRecord).where(EvidenceRecord.leaf_index.is_not(None)))
        if manifest_hash(row.manifest) != row.manifest_hash
    ]
    problems = list(result.get("problems", []))
    problems += [
        {
            "part": "manifest",
            "code": "manifest_changed",
            "leaf_index": index,
            "message_zh": "封存后的证据清单被修改",
            "message_en": "A sealed manifest was changed",
        }
        for index in mismatched
    ]
    return {"ok": not problems, "problems": problems, "size": heads[-1]["size"]}
