"""Opening, owning and resolving cases.

Every other domain opens cases through ``open_case``: a questionnaire answer that signals a problem,
a reviewer's rejection, a confirming callback that was not confirmed, a letter that came back wrong.
A category marked reportable (R16) makes the case a compliance case, referred at once to the sales
department and to internal control and compliance, and linked to the policy's salesperson.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from server.audit import services as audit
from server.calendar.services import add_workdays
from server.cases.models import KINDS, OPEN_STATUSES, CaseEvent, ProblemCase
from server.dbtypes import utcnow
from server.errors import HuifangError
from server.extensions import db
from server.policies.models import Policy
from server.questionnaires.models import ProblemCategory
from server.scoping import Scope
from server.tasks.services import today
from server.users.models import User
from server.users.roles import ADMIN, COMPLIANCE_OFFICER

# Working days a case may stay open before it counts as overdue.
DUE_WORKDAYS = {"problem": 10, "compliance": 15, "re_sign": 15}


def due_in_workdays(start: date, workdays: int) -> date:
    """``workdays`` working days after ``start``; Monday to Friday when the calendar lacks the year.

    A case must open even in a year whose holiday schedule nobody has entered yet (the calendar
    refuses such dates for task due dates): weekdays are then the best estimate, never a refusal.
    """
    try:
        return add_workdays(start, workdays)
    except HuifangError:
        day, left = start, workdays
        while left:
            day += timedelta(days=1)
            if day.weekday() < 5:
                left -= 1
        return day


def category(code: str) -> ProblemCategory | None:
    found = db.session.scalars(select(ProblemCategory).where(ProblemCategory.code == code)).first()
    if found is None:  # a fresh database whose seeded categories were never loaded
        from server.questionnaires.services import ensure_problem_categories

        if ensure_problem_categories():
            found = db.session.scalars(select(ProblemCategory).where(ProblemCategory.code == code)).first()
    return found


def _event(case: ProblemCase, action: str, actor: User | None, note: str | None = None, **data) -> None:
    db.session.add(
        CaseEvent(case_id=case.id, actor_id=actor.id if actor else None, action=action, note=note, data=data)
    )


def open_case(
    kind: str,
    category_code: str,
    *,
    policy: Policy,
    summary: str,
    source: str,
    actor: User | None,
    institution_id: int | None = None,
    task_id: int | None = None,
    visit_uuid: str | None = None,
    callback_id: int | None = None,
    letter_id: int | None = None,
    question_id: str | None = None,
    followup_task_id: int | None = None,
    dedupe_key: str | None = None,
) -> ProblemCase:
    """Open a case in the current transaction (never commits); the same dedupe_key opens one case.

    A problem whose category is reportable becomes a compliance case (R16) and is referred to sales
    and to compliance at once, with the policy's salesperson linked.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown case kind {kind!r}")
    if dedupe_key:
        found = db.session.scalars(select(ProblemCase).where(ProblemCase.dedupe_key == dedupe_key)).first()
        if found is not None:
            return found
    known = category(category_code)
    if kind == "problem" and known is not None and known.reportable:
        kind = "compliance"
    case = ProblemCase(
        kind=kind,
        category=category_code,
        summary=summary[:500],
        source=source,
        status="open",
        policy_id=policy.id,
        task_id=task_id,
        visit_uuid=visit_uuid,
        callback_id=callback_id,
        letter_id=letter_id,
        question_id=question_id,
        salesperson_id=policy.salesperson_id,
        institution_id=institution_id or policy.institution_id,
        due_date=due_in_workdays(today(), DUE_WORKDAYS[kind]),
        followup_task_id=followup_task_id,
        dedupe_key=dedupe_key,
        created_by=actor.id if actor else None,
    )
    db.session.add(case)
    db.session.flush()
    _event(case, "opened", actor, summary[:1000], source=source, category=category_code)
    if kind == "compliance":
        refer(case, actor)
    audit.record(
        "case_opened",
        target=case,
        actor=actor,
        institution_id=case.institution_id,
        kind=kind,
        category=category_code,
        source=source,
    )
    return case


def refer(case: ProblemCase, actor: User | None) -> None:
    """R16: report to the sales department and to internal control and compliance, with a notice."""
    now = utcnow()
    case.referred_sales_at = case.referred_sales_at or now
    case.referred_compliance_at = case.referred_compliance_at or now
    _event(case, "referred", actor, to=["sales", "compliance"], salesperson_id=case.salesperson_id)
    from server.outbox import webhook

    webhook.publish(
        "case.referred",
        {
            "case_id": case.id,
            "kind": case.kind,
            "category": case.category,
            "policy_id": case.policy_id,
            "salesperson_id": case.salesperson_id,
            "institution_id": case.institution_id,
            "summary": case.summary,
        },
        dedupe_key=f"case.referred:{case.id}",
        institution_id=case.institution_id,
    )


def _get(scope: Scope, case_id: int) -> ProblemCase:
    return scope.get(ProblemCase, case_id, "问题件", "case")


def _open(case: ProblemCase) -> None:
    if case.status not in OPEN_STATUSES:
        raise HuifangError(
            "case_resolved",
            "该问题件已办结，不能再修改",
            "The case is resolved and can no longer be changed",
            409,
            {"status": case.status},
        )


def update(scope: Scope, actor: User, case_id: int, changes: dict) -> ProblemCase:
    """Take a case (owner, in progress), move its due date, or add a note."""
    case = _get(scope, case_id)
    _open(case)
    if "owner_id" in changes:
        owner = db.session.get(User, changes["owner_id"]) if changes["owner_id"] else None
        if changes["owner_id"] and (
            owner is None or not owner.active or not scope.contains(owner.institution)
        ):
            raise HuifangError(
                "owner_invalid",
                "负责人不存在或不在您的管辖范围内",
                "The owner does not exist or is outside your part of the organisation",
                422,
                {"fields": {"owner_id": ["unknown"]}},
            )
        _event(case, "owner", actor, from_owner=case.owner_id, to_owner=changes["owner_id"])
        case.owner_id = changes["owner_id"]
        if case.status == "open" and case.owner_id:
            case.status = "in_progress"
    if "due_date" in changes:
        _event(
            case, "due_date", actor, before=case.due_date.isoformat(), after=changes["due_date"].isoformat()
        )
        case.due_date = changes["due_date"]
    if changes.get("note"):
        _event(case, "note", actor, changes["note"])
    audit.record(
        "case_updated", target=case, actor=actor, institution_id=case.institution_id, fields=sorted(changes)
    )
    db.session.commit()
    return case


def resolve(scope: Scope, actor: User, case_id: int, resolution: str, finding: str | None) -> ProblemCase:
    """Close a case with what was done. A compliance case needs its finding, and a compliance officer."""
    case = _get(scope, case_id)
    _open(case)
    if case.kind == "compliance":
        if not actor.has_role(COMPLIANCE_OFFICER, ADMIN):
            raise HuifangError(
                "compliance_only",
                "合规问题件只能由合规专员办结",
                "Only a compliance officer can resolve a compliance case",
                403,
            )
        if finding is None:
            raise HuifangError(
                "finding_required",
                "合规问题件须写明调查结论（属实或不属实）",
                "A compliance case needs its finding: substantiated or unsubstantiated",
                422,
                {"fields": {"finding": ["required"]}},
            )
    if case.kind == "re_sign" and not resolution.strip():
        raise HuifangError("resolution_required", "请填写办理结果", "Say how the case was resolved", 422)
    case.status, case.resolution, case.finding, case.resolved_at = "resolved", resolution, finding, utcnow()
    _event(case, "resolved", actor, resolution, finding=finding)
    audit.record(
        "case_resolved", target=case, actor=actor, institution_id=case.institution_id, finding=finding
    )
    db.session.commit()
    return case


def resolve_re_sign_for_visit(task_id: int, visit_uuid: str, actor: User) -> None:
    """R15: an approved visit of a re-sign task brings the signed papers back: its case is done."""
    for case in db.session.scalars(
        select(ProblemCase).where(
            ProblemCase.kind == "re_sign",
            ProblemCase.followup_task_id == task_id,
            ProblemCase.status.in_(OPEN_STATUSES),
        )
    ):
        case.status, case.resolved_at = "resolved", utcnow()
        case.resolution = f"补签名面访已审核通过（{visit_uuid}）"
        _event(case, "re_signed", actor, case.resolution, visit_uuid=visit_uuid)


def create_manual(scope: Scope, actor: User, data: dict) -> ProblemCase:
    policy = db.session.scalars(select(Policy).where(Policy.policy_number == data["policy_number"])).first()
    if policy is None or not scope.contains(policy.institution):
        raise HuifangError(
            "policy_not_found",
            "保单不存在或不在您的管辖范围内",
            "No such policy in your part of the organisation",
            422,
            {"fields": {"policy_number": ["unknown"]}},
        )
    known = category(data["category"])
    if known is None or not known.active:
        raise HuifangError(
            "category_unknown",
            "问题分类不存在或已停用",
            "The problem category does not exist or is inactive",
            422,
            {"fields": {"category": ["unknown"]}},
        )
    case = open_case(
        data["kind"], data["category"], policy=policy, summary=data["summary"], source="manual", actor=actor
    )
    db.session.commit()
    return case


def events(case: ProblemCase) -> list[CaseEvent]:
    return list(
        db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
    )
