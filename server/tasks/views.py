"""What a caller sees of a task: masked personal data, computed overdue flag, list queries."""

from __future__ import annotations

import base64
import binascii
from datetime import date

from sqlalchemy import and_, case, func, or_, select

from server.calendar.services import WorkCalendar
from server.errors import HuifangError
from server.extensions import db
from server.institutions.models import Institution
from server.policies.facts import identity_masked
from server.policies.masking import mask_phone, sees_personal_data
from server.policies.models import Policy
from server.scoping import Scope
from server.tasks.models import OPEN_STATUSES, TaskEvent, VisitTask
from server.tasks.services import today
from server.users.models import User, UserRole
from server.users.roles import ADMIN, COMPLIANCE_OFFICER, PHONE_AGENT, REVIEWER, SPECIALIST, SUPERVISOR

# Roles that look at the whole subtree's tasks; a specialist alone sees the tasks assigned to them.
OVERSEEING_ROLES = (SUPERVISOR, ADMIN, REVIEWER, PHONE_AGENT, COMPLIANCE_OFFICER)


def _person(user: User | None):
    return (
        None
        if user is None
        else {"id": user.id, "display_name": user.display_name, "username": user.username}
    )


def _last_review(task: VisitTask) -> dict | None:
    from server.review.services import decision_view, latest_decision

    return decision_view(latest_decision(task.id))


def task_view(task: VisitTask, viewer: User) -> dict:
    policy = task.policy
    full = sees_personal_data(viewer) or task.assignee_id == viewer.id  # the visitor calls ahead
    return {
        "id": task.id,
        "item": task.item,
        "source": task.source,
        "status": task.status,
        "questionnaire_code": task.questionnaire_code,
        "questionnaire_version_id": task.questionnaire_version_id,
        "institution": {
            "id": task.institution.id,
            "name": task.institution.name,
            "level": task.institution.level,
        },
        "assignee": _person(task.assignee),
        "due_date": task.due_date,
        "due_rule": task.due_rule,
        "overdue": task.status in OPEN_STATUSES and task.due_date < today(),
        "event_date": task.event_date,
        "amount_fen": task.amount_fen,
        "paid_to_other": task.paid_to_other,
        "external_ref": task.external_ref,
        "notes": task.notes,
        "created_at": task.created_at,
        # Why head office sent the visit back (R14): the specialist sees it on the tablet.
        "review": _last_review(task) if task.status == "returned" else None,
        "policy": {
            "id": policy.id,
            "policy_number": policy.policy_number,
            "product_name": policy.product_name,
            "product_type": policy.product_type,
            "channel": policy.channel,
            "holder_name": policy.holder_name,
            "holder_phone": policy.holder_phone if full else mask_phone(policy.holder_phone),
            # The region only for most roles: the last digits are what the identity check asks for.
            "holder_id_number": (
                policy.holder_id_number
                if sees_personal_data(viewer)
                else identity_masked(policy.holder_id_number)
            ),
            "holder_address": policy.holder_address,
            "insured_name": policy.insured_name,
            "pays_on_death": policy.pays_on_death,
            "premium_fen": policy.premium_fen,
            "grace_end": policy.grace_end,
            "cooling_off_end": policy.cooling_off_end,
            "salesperson_name": policy.salesperson.name if policy.salesperson else None,
        },
    }


def task_detail(task: VisitTask, viewer: User) -> dict:
    view = task_view(task, viewer)
    events = db.session.scalars(select(TaskEvent).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id))
    actors = {}
    view["events"] = []
    for event in events:
        if event.actor_id and event.actor_id not in actors:
            actors[event.actor_id] = db.session.get(User, event.actor_id)
        view["events"].append(
            {
                "at": event.at,
                "action": event.action,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "actor": _person(actors.get(event.actor_id)),
                "data": event.data,
            }
        )
    return view


def get_task(scope: Scope, viewer: User, task_id: int) -> VisitTask:
    task = scope.get(VisitTask, task_id, "任务", "task")
    if not viewer.has_role(*OVERSEEING_ROLES) and task.assignee_id != viewer.id:
        raise HuifangError("not_found", "任务不存在", "Task not found", 404)
    return task


def _cursor(task: VisitTask) -> str:
    return base64.urlsafe_b64encode(f"{task.due_date.isoformat()}|{task.id}".encode()).decode()


def _after(cursor: str):
    try:
        due, ident = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        due_day, ident = date.fromisoformat(due), int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise HuifangError("cursor_invalid", "分页游标无效", "The page cursor is invalid", 422) from exc
    return or_(VisitTask.due_date > due_day, and_(VisitTask.due_date == due_day, VisitTask.id > ident))


def list_tasks(scope: Scope, viewer: User, args: dict) -> tuple[list[VisitTask], str | None]:
    """Tasks in scope, earliest due first (keyset on due date and id: stable while tasks arrive)."""
    stmt = scope.filter(select(VisitTask), VisitTask)
    if not viewer.has_role(*OVERSEEING_ROLES):
        stmt = stmt.where(VisitTask.assignee_id == viewer.id)
    if args.get("status"):
        stmt = stmt.where(VisitTask.status.in_(args["status"]))
    for key in ("item", "source", "assignee_id"):
        if key in args:
            stmt = stmt.where(getattr(VisitTask, key) == args[key])
    if args.get("unassigned"):
        stmt = stmt.where(VisitTask.assignee_id.is_(None))
    if "institution_id" in args:
        root = scope.get(Institution, args["institution_id"], "机构", "institution")
        stmt = stmt.where(VisitTask.institution_id.in_(Scope(root.path).institution_ids()))
    if args.get("overdue"):
        stmt = stmt.where(VisitTask.status.in_(OPEN_STATUSES), VisitTask.due_date < today())
    if "due_from" in args:
        stmt = stmt.where(VisitTask.due_date >= args["due_from"])
    if "due_to" in args:
        stmt = stmt.where(VisitTask.due_date <= args["due_to"])
    if args.get("q"):
        q = args["q"].strip()
        matching = select(Policy.id).where(or_(Policy.policy_number == q, Policy.holder_name.like(f"%{q}%")))
        stmt = stmt.where(VisitTask.policy_id.in_(matching))
    if args.get("cursor"):
        stmt = stmt.where(_after(args["cursor"]))
    limit = args["limit"]
    rows = list(db.session.scalars(stmt.order_by(VisitTask.due_date, VisitTask.id).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, _cursor(rows[-1]) if more else None


def team_load(scope: Scope) -> list[dict]:
    """Each specialist in scope with open, overdue and soon-due task counts (supervisors' view)."""
    now = today()
    try:
        soon = WorkCalendar.load().add_workdays(now, 5)
    except HuifangError as err:
        if err.code != "calendar_year_unknown":
            raise
        soon = None  # next year's schedule not entered yet: "due soon" cannot be counted, the rest can
    people = list(
        db.session.scalars(
            scope.filter(select(User), User)
            .where(User.active.is_(True), User.role_rows.any(UserRole.role == SPECIALIST))
            .order_by(User.id)
        )
    )
    counts = {
        row.assignee_id: row
        for row in db.session.execute(
            select(
                VisitTask.assignee_id,
                func.count().label("open"),
                func.sum(case((VisitTask.due_date < now, 1), else_=0)).label("overdue"),
                func.sum(
                    case((and_(VisitTask.due_date >= now, VisitTask.due_date <= soon), 1), else_=0)
                ).label("due_soon"),
            )
            .where(VisitTask.assignee_id.in_([p.id for p in people]), VisitTask.status.in_(OPEN_STATUSES))
            .group_by(VisitTask.assignee_id)
        )
    }
    out = []
    for person in people:
        row = counts.get(person.id)
        out.append(
            {
                "user": _person(person),
                "institution_name": person.institution.name,
                "institution_id": person.institution_id,
                "open": row.open if row else 0,
                "overdue": int(row.overdue or 0) if row else 0,
                "due_soon": None if soon is None else (int(row.due_soon or 0) if row else 0),
            }
        )
    return out
