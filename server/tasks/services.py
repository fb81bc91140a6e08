"""Visit tasks: creation in bulk, the status life cycle, assignment, R12 re-contact."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from server.audit import services as audit
from server.calendar.services import WorkCalendar
from server.dbtypes import utcnow
from server.errors import HuifangError
from server.extensions import db
from server.intake import bulk
from server.policies.models import Policy, PolicyChange, Salesperson
from server.policies.phones import normalise_phone
from server.scoping import Scope
from server.sync import changes
from server.tasks.models import OPEN_STATUSES, TaskEvent, VisitTask
from server.tasks.rules import QuestionnaireChooser, due_date
from server.users.models import User, UserRole
from server.users.roles import SPECIALIST

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """Dates of the business are Beijing dates, whatever the server's zone."""
    return datetime.now(SHANGHAI).date()


@dataclass
class TaskSpec:
    policy_id: int
    item: str
    source: str
    institution_id: int
    event_date: date | None = None
    amount_fen: int | None = None
    paid_to_other: bool = False
    external_ref: str | None = None
    due_date: date | None = None
    notes: str | None = None


def initial_status(source: str) -> str:
    # R12: a failed phone callback first goes to other departments to re-confirm the contact details.
    return "recontact" if source == "phone_failed" else "unassigned"


def existing_external_refs(refs: list[str]) -> set[str]:
    """Which of these intake references are already tasks."""
    return bulk.present(VisitTask.external_ref, refs)


# What create_tasks needs of each policy: its facts for the questionnaire and the due date.
_POLICY_FACTS = (Policy.id, Policy.product_type, Policy.channel, Policy.grace_end, Policy.cooling_off_end)


def create_tasks(specs: list[TaskSpec], *, actor_id: int | None, batch_id: int | None) -> list[int]:
    """Insert tasks in bulk with their questionnaire, due date and a 'created' event. No commit.

    Everything is worked out (and a due date in a year the calendar does not know raises) before
    anything is written. PostgreSQL: ids from the sequence and rows by COPY (server.intake.bulk);
    SQLite: one multi-row INSERT ... RETURNING. Either way the ids come back in the order given.
    """
    if not specs:
        return []
    calendar = WorkCalendar.load()
    chooser = QuestionnaireChooser()
    questionnaire = functools.cache(chooser.choose)  # a few combinations, thousands of tasks
    policy_ids = sorted({spec.policy_id for spec in specs})
    policies = {}
    for chunk in bulk.batches(policy_ids):
        policies.update(
            {
                row.id: row
                for row in db.session.execute(select(*_POLICY_FACTS).where(bulk.among(Policy.id, chunk)))
            }
        )
    now_day, now = today(), utcnow()
    rows = []
    for spec in specs:
        policy = policies[spec.policy_id]
        if spec.due_date is not None:
            due, rule = spec.due_date, "由来源系统指定"
        else:
            due, rule = due_date(
                calendar,
                item=spec.item,
                today=now_day,
                grace_end=spec.event_date
                if spec.item in ("grace_period", "lapse") and spec.event_date
                else policy.grace_end,
                cooling_off_end=policy.cooling_off_end,
            )
        rows.append(
            {
                "policy_id": spec.policy_id,
                "item": spec.item,
                "source": spec.source,
                "questionnaire_code": questionnaire(
                    spec.item, policy.product_type, policy.channel, spec.source
                ),
                "institution_id": spec.institution_id,
                "status": initial_status(spec.source),
                "due_date": due,
                "due_rule": rule,
                "event_date": spec.event_date,
                "amount_fen": spec.amount_fen,
                "paid_to_other": spec.paid_to_other,
                "external_ref": spec.external_ref,
                "batch_id": batch_id,
                "notes": spec.notes,
                "questionnaire_version_id": None,
                "assignee_id": None,
                "created_at": now,
                "updated_at": now,
            }
        )
    table = VisitTask.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        ids = bulk.allocate_ids(table, len(rows))
        for task_id, row in zip(ids, rows, strict=True):
            row["id"] = task_id
        bulk.insert_rows(table, rows)
    else:
        # Core, not the ORM's bulk insert (which splits rows whose None values differ into
        # separate statements): one multi-row INSERT ... RETURNING, ids in the order given.
        ids = list(
            db.session.scalars(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows)
        )
    bulk.insert_rows(
        TaskEvent.__table__,
        [
            {
                "task_id": task_id,
                "actor_id": actor_id,
                "action": "created",
                "from_status": None,
                "to_status": row["status"],
                "at": now,
                "data": {"batch_id": batch_id, "due_rule": row["due_rule"]},
            }
            for task_id, row in zip(ids, rows, strict=True)
        ],
    )
    return ids


def _event(task: VisitTask, action: str, actor: User | None, from_status=None, **data) -> None:
    db.session.add(
        TaskEvent(
            task_id=task.id,
            actor_id=actor.id if actor else None,
            action=action,
            from_status=from_status,
            to_status=task.status,
            data=data,
        )
    )


def _not_open(task: VisitTask) -> HuifangError:
    return HuifangError(
        "task_not_open",
        "该任务已结束或已转出，不能再分配",
        "The task is no longer open for assignment",
        409,
        {"status": task.status},
    )


# ---- assignment -------------------------------------------------------------------------------


def assignment_conflict(task: VisitTask, user: User) -> HuifangError | None:
    """R13: the visitor is never a salesperson, never the policy's seller, never reachable by its phone."""
    if not user.active or SPECIALIST not in user.roles:
        return HuifangError(
            "assignee_not_specialist",
            "只能分配给在岗的客户服务专员",
            "Tasks go to active customer service specialists only",
            422,
            {"user_id": user.id},
        )
    policy = task.policy
    phone = user.phone and normalise_phone(user.phone)
    if phone:
        customer_phones = {policy.holder_phone, policy.insured_phone} - {None}
        if phone in customer_phones:
            return HuifangError(
                "assignee_is_customer_contact",
                "该专员的手机号与客户联系电话相同，不能承担此回访",
                "The specialist's phone is the customer's contact phone",
                409,
                {"user_id": user.id},
            )
        seller_phones = set(db.session.scalars(select(Salesperson.phone).where(Salesperson.phone == phone)))
        if seller_phones:
            return HuifangError(
                "assignee_is_salesperson",
                "该专员登记为销售人员，销售人员不得上门回访",
                "The specialist is registered as a salesperson; salespersons may not visit",
                409,
                {"user_id": user.id},
            )
    return None


def assign(
    scope: Scope, actor: User, task_ids: list[int], assignee_id: int, reason: str | None
) -> list[VisitTask]:
    """Assign (or reassign) tasks to one specialist; all or nothing."""
    assignee = scope.get(User, assignee_id, "专员", "specialist")
    tasks = [scope.get(VisitTask, task_id, "任务", "task") for task_id in task_ids]
    problems = {}
    for task in tasks:
        if task.status not in ("unassigned", "assigned", "returned"):
            problems[task.id] = _not_open(task).to_dict()
            continue
        # Same branch of the tree: a county specialist for a county task, or a city's for its counties.
        if not (
            task.institution.is_within(assignee.institution)
            or assignee.institution.is_within(task.institution)
        ):
            problems[task.id] = HuifangError(
                "assignee_out_of_area",
                "该专员不属于任务所在机构",
                "The specialist does not belong to the task's institution",
                422,
            ).to_dict()
            continue
        conflict = assignment_conflict(task, assignee)
        if conflict is not None:
            problems[task.id] = conflict.to_dict()
    if problems:
        raise HuifangError(
            "assignment_refused",
            "部分任务不能分配给该专员，未做任何分配",
            "Some tasks cannot go to this specialist; nothing was assigned",
            409,
            {"tasks": problems},
        )
    for task in tasks:
        before, previous = task.status, task.assignee_id
        task.assignee_id = assignee.id
        if task.status == "unassigned":
            task.status = "assigned"
        action = "assigned" if previous is None else "reassigned"
        _event(
            task, action, actor, before, assignee_id=assignee.id, previous_assignee_id=previous, reason=reason
        )
        changes.task_moved(task, previous)
    audit.record("tasks_assigned", actor=actor, assignee_id=assignee.id, task_ids=task_ids)
    db.session.commit()
    return tasks


def open_load(user_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(VisitTask.assignee_id, func.count())
        .where(VisitTask.assignee_id.in_(user_ids), VisitTask.status.in_(OPEN_STATUSES))
        .group_by(VisitTask.assignee_id)
    )
    return {user_id: count for user_id, count in rows}


def auto_assign(scope: Scope, actor: User, task_ids: list[int] | None) -> dict:
    """Rule-based assignment: each unassigned task goes to the least-loaded eligible specialist of
    its own institution's subtree (its county, or its city when assigned at city level). Tasks
    with no eligible specialist stay unassigned and are reported."""
    stmt = scope.filter(select(VisitTask).where(VisitTask.status == "unassigned"), VisitTask)
    if task_ids:
        stmt = stmt.where(VisitTask.id.in_(task_ids))
    tasks = list(db.session.scalars(stmt.order_by(VisitTask.due_date, VisitTask.id)))
    specialists = list(
        db.session.scalars(
            scope.filter(select(User), User).where(
                User.active.is_(True), User.role_rows.any(UserRole.role == SPECIALIST)
            )
        )
    )
    load = open_load([s.id for s in specialists])
    assigned, skipped = {}, {}
    for task in tasks:
        area = Scope(task.institution.path)
        candidates = [
            s for s in specialists if area.contains(s.institution) and assignment_conflict(task, s) is None
        ]
        if not candidates:
            skipped[task.id] = "no_eligible_specialist"
            continue
        chosen = min(candidates, key=lambda s: (load.get(s.id, 0), s.id))
        load[chosen.id] = load.get(chosen.id, 0) + 1
        task.assignee_id, task.status = chosen.id, "assigned"
        _event(task, "assigned", actor, "unassigned", assignee_id=chosen.id, rule="auto_least_loaded")
        changes.task_moved(task, None)
        assigned[task.id] = chosen.id
    audit.record("tasks_auto_assigned", actor=actor, assigned=len(assigned), skipped=len(skipped))
    db.session.commit()
    return {"assigned": assigned, "skipped": skipped}


# ---- R12 re-contact ---------------------------------------------------------------------------


def recontact(scope: Scope, actor: User, task_id: int, outcome: str, phone: str | None, note: str | None):
    """R12: other departments re-confirmed the contact details of a failed phone callback.

    A new phone sends the case back to the phone callback (to_phone); none sends it to a visit
    (unassigned) or, when asked, to a letter callback (to_letter).
    """
    task = scope.get(VisitTask, task_id, "任务", "task")
    if task.status != "recontact":
        raise HuifangError(
            "task_not_in_recontact",
            "该任务不在联系方式复核环节",
            "The task is not waiting for contact re-confirmation",
            409,
            {"status": task.status},
        )
    before = task.status
    if outcome == "phone_updated":
        if not phone:
            raise HuifangError(
                "phone_required", "请填写核实后的新电话", "The re-confirmed phone number is required", 422
            )
        policy = task.policy
        new = normalise_phone(phone)
        if new != policy.holder_phone:
            db.session.add(
                PolicyChange(
                    policy_id=policy.id,
                    field="holder_phone",
                    old_value=policy.holder_phone,
                    new_value=new,
                    source="recontact",
                    actor_id=actor.id,
                )
            )
            policy.holder_phone = new
        task.status = "to_phone"
    elif outcome == "no_phone":
        task.status = "unassigned"
    else:  # letter: the questionnaire goes by post (R13), with its letter ready to print
        from server.letters import services as letters

        letters.create_for_task(task, actor, reason=note or "联系方式复核：改为信函回访")
    _event(task, "recontact", actor, before, outcome=outcome, note=note)
    audit.record("task_recontact", target=task, institution_id=task.institution_id, outcome=outcome)
    db.session.commit()
    return task


def cancel(scope: Scope, actor: User, task_id: int, reason: str) -> VisitTask:
    task = scope.get(VisitTask, task_id, "任务", "task")
    if task.status not in OPEN_STATUSES:
        raise _not_open(task)
    before = task.status
    task.status = "cancelled"
    _event(task, "cancelled", actor, before, reason=reason)
    if task.assignee_id:
        changes.record("tombstone", task.id, task.assignee_id)
    audit.record("task_cancelled", target=task, institution_id=task.institution_id, reason=reason)
    db.session.commit()
    return task
