"""The review queue and a reviewer's decisions on returned visits (R14, R16).

- approve: the visit stands. Problems its answers signal become cases, a re-sign task's case is
  done (R15), and a confirming phone callback is created (R14).
- return: back to the specialist with reasons; the task reaches the tablet again at its next sync.
- reject: the visit does not count. A problem case is opened and the task is open again for a
  supervisor to give to someone (the specialist who made it loses it).
Every decision is audited and kept; a decided visit cannot be decided again.
"""

from __future__ import annotations

import base64
import binascii

from sqlalchemy import and_, func, or_, select

from server.audit import services as audit
from server.cases import services as cases
from server.dbtypes import utcnow
from server.errors import HuifangError
from server.extensions import db
from server.policies.facts import build_facts
from server.questionnaires.models import QuestionnaireVersion
from server.questionnaires.submission import problems_found
from server.review import flags as review_flags
from server.review.models import REASONS, ReviewDecision
from server.scoping import Scope
from server.sync import changes
from server.sync import services as sync
from server.tasks.models import TaskEvent, VisitTask
from server.users.models import User
from server.visits.models import Visit


def register() -> None:
    if review_flags.flag_on_submission not in sync.submitted_hooks:
        sync.submitted_hooks.append(review_flags.flag_on_submission)
        sync.conflict_hooks.append(review_flags.flag_conflict)


# The queue's total is counted up to this many visits: an index-only scan of at most this many
# entries of ix_visit_review_pending (~5 ms on PostgreSQL), whatever the backlog of a province.
COUNT_CAP = 10_000


def pending_count(scope: Scope, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many visits of the subtree wait for review, counted up to ``cap``; and whether there
    are more than that (the count then stops at ``cap``)."""
    waiting = (
        scope.filter(select(Visit.uuid), Visit)
        .where(Visit.review_state == "pending")
        .limit(cap + 1)
        .subquery()
    )
    n = db.session.scalar(select(func.count()).select_from(waiting))
    return min(n, cap), n > cap


def _cursor(visit: Visit) -> str:
    raw = f"{visit.review_priority}|{visit.submitted_at.isoformat()}|{visit.uuid}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def queue(scope: Scope, args: dict) -> tuple[list[Visit], str | None]:
    """Pending completed visits of the subtree: riskiest first, then oldest (keyset paginated)."""
    stmt = scope.filter(select(Visit), Visit).where(Visit.review_state == "pending")
    if args.get("flagged"):
        stmt = stmt.where(Visit.review_priority > 0)
    if args.get("cursor"):
        try:
            priority, submitted, uuid = base64.urlsafe_b64decode(args["cursor"].encode()).decode().split("|")
            from datetime import datetime

            priority, submitted = int(priority), datetime.fromisoformat(submitted)
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise HuifangError("cursor_invalid", "分页游标无效", "The page cursor is invalid", 422) from exc
        stmt = stmt.where(
            or_(
                Visit.review_priority < priority,
                and_(Visit.review_priority == priority, Visit.submitted_at > submitted),
                and_(Visit.review_priority == priority, Visit.submitted_at == submitted, Visit.uuid > uuid),
            )
        )
    rows = list(
        db.session.scalars(
            stmt.order_by(Visit.review_priority.desc(), Visit.submitted_at, Visit.uuid).limit(
                args["limit"] + 1
            )
        )
    )
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    return rows, _cursor(rows[-1]) if more else None


def latest_decision(task_id: int) -> ReviewDecision | None:
    return db.session.scalars(
        select(ReviewDecision).where(ReviewDecision.task_id == task_id).order_by(ReviewDecision.id.desc())
    ).first()


def decision_view(decision: ReviewDecision | None) -> dict | None:
    """What the specialist's tablet and the console show of a decision: reasons in both languages."""
    if decision is None:
        return None
    reviewer = db.session.get(User, decision.reviewer_id)
    return {
        "id": decision.id,
        "visit_uuid": decision.visit_uuid,
        "decision": decision.decision,
        "reasons": [
            {"code": code, "text": REASONS[code][0], "text_en": REASONS[code][1]}
            for code in decision.reasons
            if code in REASONS
        ],
        "note": decision.note,
        "reviewer": {"id": reviewer.id, "display_name": reviewer.display_name},
        "at": decision.at,
    }


def history(visit_uuid: str) -> list[dict]:
    return [
        decision_view(d)
        for d in db.session.scalars(
            select(ReviewDecision).where(ReviewDecision.visit_uuid == visit_uuid).order_by(ReviewDecision.id)
        )
    ]


def _locked_visit(scope: Scope, uuid: str) -> Visit:
    stmt = scope.filter(select(Visit).where(Visit.uuid == uuid), Visit)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()  # two reviewers at once: the second waits, then sees it decided
    visit = db.session.scalars(stmt).first()
    if visit is None:
        from server.errors import not_found

        raise not_found("面访记录", "visit")
    return visit


def decide(
    scope: Scope, reviewer: User, uuid: str, decision: str, reasons: list[str], note: str | None
) -> Visit:
    visit = _locked_visit(scope, uuid)
    if visit.review_state != "pending":
        raise HuifangError(
            "visit_not_reviewable",
            "该面访不在待审核状态（可能已审核，或资料尚未传齐）",
            "The visit is not waiting for review (already decided, or its files are not all in)",
            409,
            {"review_state": visit.review_state, "state": visit.state},
        )
    if decision in ("return", "reject") and not reasons:
        raise HuifangError(
            "reasons_required",
            "退回或不通过须选择原因",
            "Returning or rejecting a visit needs at least one reason",
            422,
            {"fields": {"reasons": ["required"]}},
        )
    if "other" in reasons and not (note or "").strip():
        raise HuifangError(
            "note_required",
            "选择“其他”时请写明说明",
            "With the reason 'other', write a note",
            422,
            {"fields": {"note": ["required"]}},
        )
    task = db.session.get(VisitTask, visit.task_id)
    row = ReviewDecision(
        visit_uuid=visit.uuid,
        task_id=task.id,
        reviewer_id=reviewer.id,
        decision=decision,
        reasons=reasons,
        note=note,
        flags=list(visit.flags),
    )
    db.session.add(row)
    visit.reviewed_at = utcnow()
    before = task.status
    if decision == "approve":
        visit.review_state = "approved"
        _approve(visit, task, reviewer)
    elif decision == "return":
        visit.review_state = "returned"
        task.status = "returned"
        changes.task_moved(task, task.assignee_id)  # the holder pulls it again, with the reasons
    else:
        visit.review_state = "rejected"
        _reject(visit, task, reviewer, reasons, note)
    db.session.add(
        TaskEvent(
            task_id=task.id,
            actor_id=reviewer.id,
            action=f"review_{decision}",
            from_status=before,
            to_status=task.status,
            data={"visit_uuid": visit.uuid, "reasons": reasons},
        )
    )
    audit.record(
        f"visit_{decision}d" if decision != "return" else "visit_returned",
        actor=reviewer,
        institution_id=visit.institution_id,
        visit=visit.uuid,
        task=task.id,
        reasons=reasons,
        flags=list(visit.flags),
    )
    db.session.commit()
    return visit


def _approve(visit: Visit, task: VisitTask, reviewer: User) -> None:
    from server.callbacks import services as callbacks

    task.status = "approved"
    version = db.session.get(QuestionnaireVersion, visit.questionnaire_version_id or 0)
    if version is not None:
        facts = build_facts(task.policy, task)
        for found in problems_found(version, facts, visit.record.get("answers") or {}):
            cases.open_case(
                "problem",
                found["category"],
                policy=task.policy,
                summary=f"面访问卷第 {found['question_id']} 题反映问题",
                source="visit",
                actor=reviewer,
                institution_id=task.institution_id,
                task_id=task.id,
                visit_uuid=visit.uuid,
                question_id=found["question_id"],
                dedupe_key=f"visit:{visit.uuid}:{found['question_id']}:{found['category']}",
            )
    if task.source == "re_sign":
        cases.resolve_re_sign_for_visit(task.id, visit.uuid, reviewer)
    callbacks.request_confirmation(visit, task, reviewer)


def _reject(visit: Visit, task: VisitTask, reviewer: User, reasons: list[str], note: str | None) -> None:
    text = "；".join(REASONS[r][0] for r in reasons if r in REASONS)
    cases.open_case(
        "problem",
        "visit_rejected",
        policy=task.policy,
        summary=f"面访审核不通过：{text}" + (f"（{note}）" if note else ""),
        source="review",
        actor=reviewer,
        institution_id=task.institution_id,
        task_id=task.id,
        visit_uuid=visit.uuid,
        dedupe_key=f"review:{visit.uuid}",
    )
    previous = task.assignee_id
    task.status, task.assignee_id = "unassigned", None
    changes.task_moved(task, previous)  # the specialist's tablet drops it; a supervisor reassigns
