"""Reading received visits: scoped lists, the whole record, its media, signatures rendered again."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from server.audit import services as audit
from server.auth.models import Device
from server.errors import HuifangError, not_found
from server.extensions import db
from server.institutions.models import Institution
from server.policies.models import Policy
from server.scoping import Scope
from server.tasks.models import VisitTask
from server.tasks.views import OVERSEEING_ROLES, task_view
from server.users.models import User
from server.visits.models import MediaBlob, Visit, VisitMedia
from signatures import decode_strokes_bytes, render_png


def summary(visit: Visit) -> dict:
    return summaries([visit])[0]


def summaries(visits: list[Visit]) -> list[dict]:
    """The list view of each visit, in order, in two queries whatever the number of visits: the
    tasks with their policy and institution (one join), then the specialists."""
    if not visits:
        return []
    tasks = {
        row.id: row
        for row in db.session.execute(
            select(
                VisitTask.id,
                Policy.policy_number,
                Policy.holder_name,
                Institution.id.label("institution_id"),
                Institution.name.label("institution_name"),
            )
            .join(Policy, Policy.id == VisitTask.policy_id)
            .join(Institution, Institution.id == VisitTask.institution_id)
            .where(VisitTask.id.in_({v.task_id for v in visits}))
        )
    }
    people = {
        row.id: {"id": row.id, "display_name": row.display_name, "username": row.username}
        for row in db.session.execute(
            select(User.id, User.display_name, User.username).where(User.id.in_({v.user_id for v in visits}))
        )
    }
    out = []
    for visit in visits:
        task = tasks[visit.task_id]
        out.append(
            {
                "uuid": visit.uuid,
                "state": visit.state,
                "outcome": visit.outcome,
                "flags": visit.flags,
                "task_id": visit.task_id,
                "policy_number": task.policy_number,
                "holder_name": task.holder_name,
                "specialist": people[visit.user_id],
                "institution": {"id": task.institution_id, "name": task.institution_name},
                "started_at": visit.started_at,
                "finished_at": visit.finished_at,
                "received_at": visit.received_at,
                "submitted_at": visit.submitted_at,
                "review_state": visit.review_state,
                "review_priority": visit.review_priority,
                "reviewed_at": visit.reviewed_at,
            }
        )
    return out


def get_visit(scope: Scope, viewer: User, uuid: str) -> Visit:
    visit = db.session.scalars(scope.filter(select(Visit).where(Visit.uuid == uuid), Visit)).first()
    if visit is None or (not viewer.has_role(*OVERSEEING_ROLES) and visit.user_id != viewer.id):
        raise not_found("面访记录", "visit")
    return visit


def detail(visit: Visit, viewer: User) -> dict:
    view = summary(visit)
    task = db.session.get(VisitTask, visit.task_id)
    media = list(db.session.scalars(select(VisitMedia).where(VisitMedia.visit_uuid == visit.uuid)))
    complete = set(
        db.session.scalars(
            select(MediaBlob.sha256).where(
                MediaBlob.sha256.in_([m.sha256 for m in media]), MediaBlob.complete
            )
        )
    )
    device = db.session.get(Device, visit.device_id)
    view.update(
        {
            "record": visit.record,
            "hash": visit.hash,
            "questionnaire": _questionnaire(visit.questionnaire_version_id),
            "device": {"id": device.id, "name": device.name, "client": device.client},
            "media": [
                {
                    "sha256": m.sha256,
                    "kind": m.kind,
                    "mime": m.mime,
                    "size": m.size,
                    "question_id": m.question_id,
                    "signer": m.signer,
                    "complete": m.sha256 in complete,
                }
                for m in media
            ],
            "task": task_view(task, viewer),
        }
    )
    return view


def _questionnaire(version_id: int | None) -> dict | None:
    if version_id is None:
        return None
    from server.questionnaires.sync_hooks import render_version

    return render_version(version_id)


def list_visits(scope: Scope, viewer: User, args: dict) -> tuple[list[Visit], str | None]:
    """Newest received first; keyset on (received_at, uuid)."""
    stmt = scope.filter(select(Visit), Visit)
    if not viewer.has_role(*OVERSEEING_ROLES):
        stmt = stmt.where(Visit.user_id == viewer.id)
    for key in ("state", "review_state", "outcome", "task_id", "user_id"):
        if key in args:
            stmt = stmt.where(getattr(Visit, key) == args[key])
    if args.get("cursor"):
        try:
            received, uuid = base64.urlsafe_b64decode(args["cursor"].encode()).decode().split("|")
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise HuifangError("cursor_invalid", "分页游标无效", "The page cursor is invalid", 422) from exc
        received = datetime.fromisoformat(received)
        stmt = stmt.where(
            or_(Visit.received_at < received, and_(Visit.received_at == received, Visit.uuid < uuid))
        )
    if args.get("flagged"):
        stmt = stmt.where(func.json_array_length(Visit.flags) > 0)  # both engines have it
    rows = list(
        db.session.scalars(
            stmt.order_by(Visit.received_at.desc(), Visit.uuid.desc()).limit(args["limit"] + 1)
        )
    )
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    cursor = None
    if more:
        last = rows[-1]
        cursor = base64.urlsafe_b64encode(f"{last.received_at.isoformat()}|{last.uuid}".encode()).decode()
    return rows, cursor


def media_bytes(visit: Visit, sha: str, viewer: User) -> tuple[bytes, str]:
    from server.sync.services import store

    ref = db.session.get(VisitMedia, (visit.uuid, sha))
    blob = db.session.get(MediaBlob, sha)
    if ref is None or blob is None or not blob.complete:
        raise not_found("文件", "media file")
    with store().open(sha) as handle:
        data = handle.read()
    audit.record(
        "visit_media_viewed",
        actor=viewer,
        institution_id=visit.institution_id,
        visit=visit.uuid,
        sha256=sha,
        kind=ref.kind,
    )
    db.session.commit()
    return data, ref.mime


def signature_png(visit: Visit, signer: str, viewer: User) -> tuple[bytes, str]:
    """The signer's strokes rendered by the server (deterministic), beside the tablet's own render."""
    ref = db.session.scalars(
        select(VisitMedia).where(
            VisitMedia.visit_uuid == visit.uuid,
            VisitMedia.kind == "signature_strokes",
            VisitMedia.signer == signer,
        )
    ).first()
    if ref is None:
        raise not_found("签名", "signature")
    data, _ = media_bytes(visit, ref.sha256, viewer)
    try:
        return render_png(decode_strokes_bytes(data)), ref.sha256
    except ValueError as exc:
        raise HuifangError(
            "strokes_unreadable", "签名笔迹数据无法解析", "The signature's stroke data cannot be read", 422
        ) from exc
