"""Pull, push and media, with the rules of the ``sync`` package and the server's own checks.

Push stores each record inside its own savepoint, so one bad record never costs the others and
nothing is ever half-written; the batch commits once. The server re-validates everything: the
record's shape and hash, that the task exists and was this specialist's, and (through the
questionnaire domain when a validator is registered) the answers against their version.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import date

from flask import current_app
from PIL import Image, UnidentifiedImageError
from sqlalchemy import delete, insert, or_, select
from sqlalchemy.exc import IntegrityError

from server.audit import services as audit
from server.auth.models import Device
from server.dbtypes import utcnow
from server.errors import HuifangError
from server.evidence import services as evidence
from server.extensions import db
from server.policies.facts import build_facts, for_device
from server.tasks.models import OPEN_STATUSES, TaskEvent, VisitTask
from server.tasks.views import task_view
from server.users.models import User
from server.visits.models import ChangeLog, MediaBlob, MediaChunk, Visit, VisitConflict, VisitMedia
from sync.media import BlobStore, ChunkRefused, LocalDiskStore, S3Store, UploadState, assemble, check_chunk
from sync.records import Problem, classify_push

MAX_PUSH_RECORDS = 100
PULL_VISIBLE = (*OPEN_STATUSES, "submitted")

# Hooks other domains register (the questionnaire domain validates answers against their version).
# Each takes (record, task, user) and returns (problems, flags): problems reject the record, flags
# keep it and tell the reviewer (an identity mismatch is evidence, not a reason to lose the visit).
record_validators: list[Callable] = []
# The questionnaire version a task's visit should use, by questionnaire code (registered likewise).
version_lookup: list[Callable[[str], int | None]] = []
# Called with each visit the moment it becomes whole (the review domain flags it and queues it).
submitted_hooks: list[Callable[[Visit], None]] = []
# Called with the UUID of a visit that received a second, different record (kept as a conflict).
conflict_hooks: list[Callable[[str], None]] = []


def current_version_for(code: str) -> int | None:
    for lookup in version_lookup:
        found = lookup(code)
        if found is not None:
            return found
    return None


def store() -> BlobStore:
    """The blob store of this app: an S3-compatible bucket when configured, else the local disk."""
    config = current_app.config
    cached = current_app.extensions.get("huifang_blob_store")
    if cached is None:
        if config["HUIFANG_S3_BUCKET"]:
            cached = S3Store(
                config["HUIFANG_S3_BUCKET"],
                prefix=config["HUIFANG_S3_PREFIX"],
                endpoint_url=config["HUIFANG_S3_ENDPOINT_URL"],
                region_name=config["HUIFANG_S3_REGION"],
            )
        else:
            cached = LocalDiskStore(config["HUIFANG_MEDIA_DIR"])
        current_app.extensions["huifang_blob_store"] = cached
    return cached


# ---- pull -------------------------------------------------------------------------------------


def _task_payload(task: VisitTask, user: User) -> dict:
    view = task_view(task, user)
    view["facts"] = for_device(build_facts(task.policy, task))
    if view["questionnaire_version_id"] is None:
        view["questionnaire_version_id"] = current_version_for(task.questionnaire_code)
    return view


def pull(user: User, cursor: int, limit: int) -> dict:
    rows = list(
        db.session.scalars(
            select(ChangeLog)
            .where(ChangeLog.seq > cursor, or_(ChangeLog.user_id == user.id, ChangeLog.user_id.is_(None)))
            .order_by(ChangeLog.seq)
            .limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    changes = []
    for row in rows:
        if row.kind == "task":
            task = db.session.get(VisitTask, row.entity_id)
            if task is not None and task.assignee_id == user.id and task.status in PULL_VISIBLE:
                changes.append(
                    {"seq": row.seq, "kind": "task", "id": task.id, "data": _task_payload(task, user)}
                )
            else:
                changes.append({"seq": row.seq, "kind": "tombstone", "id": row.entity_id, "data": None})
        elif row.kind == "tombstone":
            changes.append({"seq": row.seq, "kind": "tombstone", "id": row.entity_id, "data": None})
        else:  # questionnaire_version and later kinds: the owning domain renders them
            renderer = pull_renderers.get(row.kind)
            data = renderer(row.entity_id) if renderer else None
            changes.append({"seq": row.seq, "kind": row.kind, "id": row.entity_id, "data": data})
    return {
        "changes": changes,
        "next_cursor": rows[-1].seq if rows else cursor,
        "more": more,
        "server_time": utcnow(),
    }


pull_renderers: dict[str, Callable[[int], dict | None]] = {}


# ---- push -------------------------------------------------------------------------------------


def _task_problems(
    record: dict, user: User, tasks: dict[int, VisitTask] | None = None
) -> tuple[VisitTask | None, list[Problem], list[str]]:
    task_id = record.get("task_id")
    if tasks is not None:
        task = tasks.get(task_id) if isinstance(task_id, int) else None
    else:
        task = db.session.get(VisitTask, task_id) if isinstance(task_id, int) else None
    if task is None:
        return None, [Problem("task_unknown", "任务不存在", "No such task", "task_id")], []
    flags = []
    if task.assignee_id != user.id:
        ever = db.session.scalars(
            select(TaskEvent.id).where(
                TaskEvent.task_id == task.id,
                or_(
                    TaskEvent.data["assignee_id"].as_integer() == user.id,
                    TaskEvent.data["previous_assignee_id"].as_integer() == user.id,
                ),
            )
        ).first()
        if ever is None:
            return (
                task,
                [
                    Problem(
                        "task_not_yours",
                        "该任务从未分配给您",
                        "This task was never assigned to you",
                        "task_id",
                    )
                ],
                [],
            )
        flags.append("task_reassigned")  # reassigned while the device was offline: kept and flagged
    if task.status == "cancelled":
        flags.append("task_cancelled")
    return task, [], flags


def _missing_media(shas: list[str]) -> list[str]:
    if not shas:
        return []
    complete = set(
        db.session.scalars(select(MediaBlob.sha256).where(MediaBlob.sha256.in_(shas), MediaBlob.complete))
    )
    return [sha for sha in shas if sha not in complete]


# A visit the reviewer returned or rejected no longer counts: the visit after it is expected.
_STILL_COUNTS = or_(Visit.review_state.is_(None), Visit.review_state.not_in(("returned", "rejected")))


def _store_visit(record: dict, task: VisitTask, user: User, device: Device, flags: list[str]) -> Visit:
    others = db.session.scalars(select(Visit.uuid).where(Visit.task_id == task.id, _STILL_COUNTS)).first()
    if others is not None:
        flags = [*flags, "second_visit_for_task"]  # both are kept; the reviewer decides
    visit = Visit(
        uuid=record["uuid"],
        hash=record["hash"],
        task_id=task.id,
        user_id=user.id,
        device_id=device.id,
        institution_id=task.institution_id,
        questionnaire_version_id=record.get("questionnaire_version_id"),
        outcome=record["outcome"],
        flags=flags,
        record=record,
        started_at=record["started_at"],
        finished_at=record["finished_at"],
    )
    db.session.add(visit)
    for ref in record["media"]:
        db.session.add(
            VisitMedia(
                visit_uuid=visit.uuid,
                sha256=ref["sha256"],
                kind=ref["kind"],
                mime=ref["mime"],
                size=ref["size"],
                question_id=ref.get("question_id"),
                signer=ref.get("signer"),
            )
        )
    db.session.flush()
    evidence.seal_received(
        [
            {
                "uuid": visit.uuid,
                "record": record,
                "task_id": task.id,
                "institution_id": task.institution_id,
                "received_at": visit.received_at,
            }
        ],
        user,
        device,
    )
    return visit


def _submit_if_whole(visit: Visit) -> None:
    """A visit counts as submitted only once every one of its media files is complete."""
    if visit.state == "submitted":
        return
    shas = list(db.session.scalars(select(VisitMedia.sha256).where(VisitMedia.visit_uuid == visit.uuid)))
    if _missing_media(shas):
        return
    visit.state, visit.submitted_at = "submitted", utcnow()
    _advance_task(visit)


def _advance_task(visit: Visit) -> None:
    """A whole visit moves its task on: completed → submitted; postponed → the new due date."""
    for hook in submitted_hooks:
        hook(visit)
    task = db.session.get(VisitTask, visit.task_id)
    record = visit.record
    before = task.status
    if visit.outcome == "completed" and task.status in ("assigned", "returned"):
        task.status = "submitted"
    elif visit.outcome == "postponed" and task.status in OPEN_STATUSES and record.get("postponed_to"):
        task.due_date = date.fromisoformat(record["postponed_to"])
        task.due_rule = f"专员改期：{record.get('outcome_reason') or ''}".strip("：")
    db.session.add(
        TaskEvent(
            task_id=task.id,
            actor_id=visit.user_id,
            action=f"visit_{visit.outcome}",
            from_status=before,
            to_status=task.status,
            data={"visit_uuid": visit.uuid, "flags": visit.flags},
        )
    )


def push(user: User, device: Device, records: list[dict]) -> dict:
    """Decide every record of the batch, then write the accepted ones together.

    A batch costs a handful of queries whatever its size: what is already stored, the tasks, the
    media already complete are read once; accepted visits and their media are inserted in bulk.
    Only when that bulk write collides with a concurrent push of the same UUID does the batch fall
    back to one savepoint per record, which turns the collision into a duplicate or a conflict.
    """
    if len(records) > MAX_PUSH_RECORDS:
        raise HuifangError(
            "push_too_large",
            f"每次最多提交 {MAX_PUSH_RECORDS} 条记录",
            f"At most {MAX_PUSH_RECORDS} records per push",
            413,
        )
    records = [record if isinstance(record, dict) else {} for record in records]
    plan = _plan(records, user)
    savepoint = db.session.begin_nested()
    try:
        results = _write(plan, user, device)
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        results = [_push_one(record, user, device) for record in records]
    evidence.extend_log()  # one signed tree head for the whole batch
    db.session.commit()
    return {"results": results, "server_time": utcnow()}


def _ints(values) -> set[int]:
    return {v for v in values if isinstance(v, int) and not isinstance(v, bool)}


def _plan(records: list[dict], user: User) -> list[tuple[dict, object, VisitTask | None, list[str]]]:
    uuids = [r.get("uuid") for r in records if isinstance(r.get("uuid"), str)]
    stored = (
        dict(db.session.execute(select(Visit.uuid, Visit.hash).where(Visit.uuid.in_(uuids))).all())
        if uuids
        else {}
    )
    task_ids = _ints(r.get("task_id") for r in records)
    tasks = {t.id: t for t in db.session.scalars(select(VisitTask).where(VisitTask.id.in_(task_ids)))}
    plan, decided = [], {}
    for record in records:
        uuid = record.get("uuid") if isinstance(record.get("uuid"), str) else None
        task, problems, flags = None, [], []
        if "task_id" in record:
            task, problems, flags = _task_problems(record, user, tasks)
        if task is not None and not problems:
            for validator in record_validators:
                found, raised = validator(record, task, user)
                problems, flags = problems + found, flags + raised
        # A UUID twice in one batch is judged against the first copy, as if pushed twice.
        decision = classify_push(record, decided.get(uuid, stored.get(uuid)), problems)
        if decision.status == "accepted":
            decided[uuid] = record["hash"]
        plan.append((record, decision, task, flags))
    return plan


def _write(plan, user: User, device: Device) -> list[dict]:
    accepted = [
        (record, task, flags) for record, decision, task, flags in plan if decision.status == "accepted"
    ]
    all_shas = {
        ref["sha256"]
        for record, decision, _, _ in plan
        if decision.status in ("accepted", "duplicate")
        for ref in record["media"]
    }
    complete = (
        set(
            db.session.scalars(
                select(MediaBlob.sha256).where(MediaBlob.sha256.in_(all_shas), MediaBlob.complete)
            )
        )
        if all_shas
        else set()
    )
    visited = (
        set(
            db.session.scalars(
                select(Visit.task_id).where(
                    Visit.task_id.in_({task.id for _, task, _ in accepted}), _STILL_COUNTS
                )
            )
        )
        if accepted
        else set()
    )
    now = utcnow()
    visit_rows, media_rows, whole = [], [], []
    for record, task, flags in accepted:
        if task.id in visited:
            flags = [*flags, "second_visit_for_task"]  # both are kept; the reviewer decides
        visited.add(task.id)
        is_whole = all(ref["sha256"] in complete for ref in record["media"])
        visit_rows.append(
            {
                "uuid": record["uuid"],
                "hash": record["hash"],
                "task_id": task.id,
                "user_id": user.id,
                "device_id": device.id,
                "institution_id": task.institution_id,
                "questionnaire_version_id": record.get("questionnaire_version_id"),
                "outcome": record["outcome"],
                "state": "submitted" if is_whole else "awaiting_media",
                "flags": flags,
                "record": record,
                "started_at": record["started_at"],
                "finished_at": record["finished_at"],
                "received_at": now,
                "submitted_at": now if is_whole else None,
            }
        )
        media_rows += [
            {
                "visit_uuid": record["uuid"],
                "sha256": ref["sha256"],
                "kind": ref["kind"],
                "mime": ref["mime"],
                "size": ref["size"],
                "question_id": ref.get("question_id"),
                "signer": ref.get("signer"),
            }
            for ref in record["media"]
        ]
        if is_whole:
            whole.append(record["uuid"])
    if visit_rows:
        db.session.execute(insert(Visit), visit_rows)
        evidence.seal_received(visit_rows, user, device)
    if media_rows:
        db.session.execute(insert(VisitMedia), media_rows)
    if whole:
        for visit in db.session.scalars(select(Visit).where(Visit.uuid.in_(whole))):
            _advance_task(visit)

    results = []
    for record, decision, _, _ in plan:
        uuid = record.get("uuid") if isinstance(record.get("uuid"), str) else None
        if decision.status == "conflict":
            _keep_conflict(record, user, device)
        elif decision.status == "rejected":
            audit.record("visit_rejected", actor=user, uuid=uuid, codes=[p.code for p in decision.problems])
        result = {
            "uuid": uuid,
            "status": decision.status,
            "problems": [p.as_dict() for p in decision.problems],
        }
        if decision.status in ("accepted", "duplicate"):
            missing = [ref["sha256"] for ref in record["media"] if ref["sha256"] not in complete]
            result["missing_media"] = missing
            result["state"] = "awaiting_media" if missing else "submitted"
        results.append(result)
    return results


def _keep_conflict(record: dict, user: User, device: Device) -> None:
    uuid = record["uuid"]
    for hook in conflict_hooks:
        hook(uuid)
    already = db.session.scalars(
        select(VisitConflict.id).where(VisitConflict.uuid == uuid, VisitConflict.hash == record["hash"])
    ).first()
    if already is None:
        db.session.add(
            VisitConflict(uuid=uuid, hash=record["hash"], record=record, user_id=user.id, device_id=device.id)
        )
        stored = db.session.get(Visit, uuid)
        audit.record(
            "visit_conflict", actor=user, uuid=uuid, stored_hash=stored.hash, pushed_hash=record["hash"]
        )


def _push_one(record: dict, user: User, device: Device) -> dict:
    uuid = record.get("uuid") if isinstance(record.get("uuid"), str) else None
    task, problems, flags = _task_problems(record, user) if "task_id" in record else (None, [], [])
    if task is not None and not problems:
        for validator in record_validators:
            found, raised = validator(record, task, user)
            problems, flags = problems + found, flags + raised
    for attempt in range(2):
        savepoint = db.session.begin_nested()
        try:
            existing = db.session.get(Visit, uuid) if uuid else None
            decision = classify_push(record, existing.hash if existing else None, problems)
            if decision.status == "accepted":
                visit = _store_visit(record, task, user, device, flags)
                _submit_if_whole(visit)
            elif decision.status == "conflict":
                _keep_conflict(record, user, device)
            elif decision.status == "rejected":
                audit.record(
                    "visit_rejected",
                    actor=user,
                    uuid=uuid,
                    codes=[problem.code for problem in decision.problems],
                )
            savepoint.commit()
            break
        except IntegrityError:
            # Another request stored the same UUID a moment ago: look again, it is now a duplicate
            # or a conflict.
            savepoint.rollback()
            if attempt:
                raise
    result = {"uuid": uuid, "status": decision.status, "problems": [p.as_dict() for p in decision.problems]}
    if decision.status in ("accepted", "duplicate"):
        result["missing_media"] = _missing_media([ref["sha256"] for ref in record["media"]])
        result["state"] = db.session.get(Visit, uuid).state
    return result


def status(user: User, uuids: list[str]) -> list[dict]:
    """Where the caller's visits stand, without sending them again: state and the media still lacking.

    Unknown UUIDs (and other users' visits) answer ``unknown``: the device pushes them again.
    """
    visits = {
        visit.uuid: visit
        for visit in db.session.scalars(select(Visit).where(Visit.uuid.in_(uuids), Visit.user_id == user.id))
    }
    shas = {ref["sha256"] for visit in visits.values() for ref in visit.record["media"]}
    complete = (
        set(
            db.session.scalars(select(MediaBlob.sha256).where(MediaBlob.sha256.in_(shas), MediaBlob.complete))
        )
        if shas
        else set()
    )
    answers = []
    for uuid in uuids:
        visit = visits.get(uuid)
        if visit is None:
            answers.append({"uuid": uuid, "state": "unknown", "hash": None, "missing_media": []})
            continue
        missing = [ref["sha256"] for ref in visit.record["media"] if ref["sha256"] not in complete]
        answers.append({"uuid": uuid, "state": visit.state, "hash": visit.hash, "missing_media": missing})
    return answers


# ---- media ------------------------------------------------------------------------------------


def _state(blob: MediaBlob | None, sha: str) -> UploadState:
    if blob is None:
        return UploadState(sha, None, 0, False)
    return UploadState(sha, blob.total, blob.offset, blob.complete)


def media_state(sha: str) -> UploadState:
    blob = db.session.get(MediaBlob, sha)
    if blob is not None and not blob.complete and blob.offset == blob.total:
        _finish(blob)  # every byte arrived but the server stopped before finishing: finish now
        db.session.commit()
    return _state(blob, sha)


def _locked_blob(sha: str) -> MediaBlob | None:
    return db.session.scalars(select(MediaBlob).where(MediaBlob.sha256 == sha).with_for_update()).first()


# What a blob declared as an image must be, by the mime its visits gave it (sync/records.py).
_IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}


def _content_problem(sha: str, spooled) -> HuifangError | None:
    """A blob the visits call a photo or a signature image must be one (by content, not by name),
    within Pillow's pixel limit (HUIFANG_MAX_IMAGE_PIXELS: decompression bombs). Strokes are
    checked when the evidence is sealed. Leaves the file at position 0."""
    mimes = set(db.session.scalars(select(VisitMedia.mime).where(VisitMedia.sha256 == sha).distinct()))
    wanted = sorted({_IMAGE_FORMATS[m] for m in mimes if m in _IMAGE_FORMATS})
    if not wanted:
        return None
    problem = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(spooled, formats=wanted) as image:
                if image.width * image.height > (Image.MAX_IMAGE_PIXELS or 0) > 0:
                    problem = "too_large"
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        problem = "too_large"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        problem = "not_image"
    finally:
        spooled.seek(0)
    if problem is None:
        return None
    mime = " / ".join(sorted(m for m in mimes if m in _IMAGE_FORMATS))
    if problem == "too_large":
        return HuifangError(
            "media_image_too_large",
            "图像像素过多，已丢弃，请重新拍摄或缩小后上传",
            "The image has too many pixels; discarded, retake or resize it",
            422,
            {"offset": 0, "total": None, "state": "missing", "mime": mime},
        )
    return HuifangError(
        "media_content_invalid",
        f"文件内容不是声明的图像格式（{mime}），已丢弃",
        f"The bytes are not the image format the visit declared ({mime}); discarded",
        422,
        {"offset": 0, "total": None, "state": "missing", "mime": mime},
    )


def _finish(blob: MediaBlob) -> None:
    """Join the staged chunks, verify them against the name, hand them to the blob store."""
    sha = blob.sha256
    chunks = db.session.scalars(
        select(MediaChunk.data)
        .where(MediaChunk.sha256 == sha)
        .order_by(MediaChunk.offset)
        .execution_options(yield_per=16)
    )
    spooled, ok = assemble(chunks, sha)
    db.session.execute(delete(MediaChunk).where(MediaChunk.sha256 == sha))
    if not ok:
        db.session.delete(blob)
        db.session.commit()
        raise HuifangError(
            "hash_mismatch",
            "文件内容与其 SHA-256 不符，已丢弃，请重新上传",
            "The bytes do not match their SHA-256; discarded, upload again",
            422,
            {"offset": 0, "total": None, "state": "missing"},
        )
    problem = _content_problem(sha, spooled)
    if problem is not None:
        spooled.close()
        db.session.delete(blob)
        db.session.commit()
        raise problem
    with spooled:
        store().put(sha, spooled)
    blob.complete, blob.completed_at = True, utcnow()
    db.session.flush()
    _submit_waiting(sha)


def _whole_in_one(user: User, sha: str, data: bytes) -> UploadState:
    """The usual case for signatures: the blob arrives whole in one request; no staging needed."""
    spooled, ok = assemble([data], sha)
    if not ok:
        db.session.rollback()
        raise HuifangError(
            "hash_mismatch",
            "文件内容与其 SHA-256 不符，已丢弃，请重新上传",
            "The bytes do not match their SHA-256; discarded, upload again",
            422,
            {"offset": 0, "total": None, "state": "missing"},
        )
    problem = _content_problem(sha, spooled)
    if problem is not None:
        spooled.close()
        db.session.rollback()
        raise problem
    with spooled:
        store().put(sha, spooled)
    blob = MediaBlob(
        sha256=sha,
        total=len(data),
        offset=len(data),
        complete=True,
        completed_at=utcnow(),
        uploaded_by=user.id,
    )
    db.session.add(blob)
    db.session.flush()
    _submit_waiting(sha)
    db.session.commit()
    return _state(blob, sha)


def _submit_waiting(sha: str) -> None:
    waiting = db.session.scalars(
        select(Visit)
        .join(VisitMedia, VisitMedia.visit_uuid == Visit.uuid)
        .where(VisitMedia.sha256 == sha, Visit.state == "awaiting_media")
    )
    for visit in waiting:
        _submit_if_whole(visit)


def upload_chunk(user: User, sha: str, offset: int, total: int, data: bytes) -> UploadState:
    blob = _locked_blob(sha)  # one writer per blob at a time (SQLite serialises writers anyway)
    state = _state(blob, sha)
    try:
        check_chunk(state, offset, total, len(data))
    except ChunkRefused as refused:
        db.session.rollback()
        raise HuifangError(
            refused.problem.code,
            refused.problem.message,
            refused.problem.message_en,
            refused.status,
            {"offset": refused.state.offset, "total": refused.state.total, "state": refused.state.state},
        ) from refused
    if state.complete:
        return state
    if blob is None and offset == 0 and len(data) == total:
        return _whole_in_one(user, sha, data)
    if blob is None:
        blob = MediaBlob(sha256=sha, total=total, offset=0, uploaded_by=user.id)
        db.session.add(blob)
        db.session.flush()
    db.session.add(MediaChunk(sha256=sha, offset=offset, data=data))
    blob.offset = offset + len(data)
    if blob.offset == blob.total:
        _finish(blob)
    db.session.commit()
    return _state(blob, sha)
