"""The confirming phone callback (R14) and what its outcome sets in motion.

An approved visit creates one callback. A phone agent (or the call centre, through the signed,
idempotent outcome API) records attempts. Unreached attempts are retried on later working days, at
another time of day; after the last one the customer gets a letter instead (R13). A reached
customer's answers decide the outcome, and every outcome but "confirmed" opens its follow-up:

- not_visited: a problem case (the visit may be forged), and the task is open again;
- signature_not_genuine: a problem case and a re-sign case with its re-sign visit task (R15);
- not_understood: a problem case and an explanation visit task (R14);
- unreachable: a letter callback (R13).
"""

from __future__ import annotations

import hashlib
import io
from datetime import datetime, time, timedelta

from sqlalchemy import case, or_, select

from server.audit import services as audit
from server.calendar.services import is_workday
from server.callbacks import first_calls
from server.callbacks.models import CONFIRMATION_OUTCOMES, FIRST_CALL_OUTCOMES, CallbackAttempt, PhoneCallback
from server.cases import services as cases
from server.dbtypes import utcnow
from server.errors import HuifangError, not_found
from server.extensions import db
from server.policies.facts import build_facts
from server.policies.masking import mask_phone, sees_personal_data
from server.questionnaires.placeholders import fill
from server.scoping import Scope
from server.sync import changes
from server.tasks.models import TaskEvent, VisitTask
from server.tasks.services import SHANGHAI, TaskSpec, create_tasks, today
from server.users.models import User
from server.visits.models import Visit

MAX_ATTEMPTS = 3  # on three different working days, then a letter (R13)
RETRY_TIMES = (time(9, 30), time(15, 0), time(19, 0))  # another time of day each attempt
CONFIRM_WORKDAYS = 5  # the confirming call is due promptly after approval (R14)
HOLD_MINUTES = 30  # a call taken by an agent is theirs for this long

# The script of the confirming callback: the same words for the agent and for the call centre.
SCRIPT = (
    {
        "id": "visit_happened",
        "text": (
            "您好，这里是{company}客户服务中心。"
            "请问{visit_date}我公司客户服务专员{specialist_name}是否上门拜访了您？"
        ),
        "text_en": "Did our customer service specialist {specialist_name} visit you on {visit_date}?",
        "fails_as": "not_visited",
    },
    {
        "id": "signature_own",
        "text": "面访问卷上{holder_name}的签名是否是您本人亲笔所签？",
        "text_en": "Is the signature of {holder_name} on the visit questionnaire your own?",
        "fails_as": "signature_not_genuine",
    },
    {
        "id": "explanation_understood",
        "text": "专员对保单“{product_name}”的权益和注意事项的说明，您是否已经清楚？",
        "text_en": "Are you clear now about the rights and notices of the policy {product_name}?",
        "fails_as": "not_understood",
    },
)
SCRIPT_IDS = tuple(q["id"] for q in SCRIPT)


def _visit_facts(callback: PhoneCallback) -> dict:
    task = db.session.get(VisitTask, callback.task_id)
    facts = dict(build_facts(task.policy, task))
    visit = db.session.get(Visit, callback.visit_uuid) if callback.visit_uuid else None
    if visit is not None:
        specialist = db.session.get(User, visit.user_id)
        facts["specialist_name"] = specialist.display_name
        facts["visit_date"] = visit.started_at[:10]
    facts.setdefault("company", "本公司")
    return facts


# Facts of the call that are not policy placeholders (server/questionnaires/placeholders.py).
_CALL_FACTS = ("company", "visit_date", "specialist_name")


def _fill(text: str, facts: dict) -> str:
    for name in _CALL_FACTS:
        text = text.replace("{" + name + "}", str(facts.get(name) or ""))
    return fill(text, facts)


def script(callback: PhoneCallback) -> list[dict]:
    facts = _visit_facts(callback)
    return [
        {"id": q["id"], "text": _fill(q["text"], facts), "text_en": _fill(q["text_en"], facts)}
        for q in SCRIPT
    ]


def outcome_from(answers: dict) -> str | None:
    """The outcome the answers give, or None if a question is unanswered."""
    if any(not isinstance(answers.get(qid), bool) for qid in SCRIPT_IDS):
        return None
    for question in SCRIPT:
        if answers[question["id"]] is False:
            return question["fails_as"]
    return "confirmed"


def request_confirmation(visit: Visit, task: VisitTask, actor: User) -> PhoneCallback:
    """R14: an approved visit is confirmed by phone. One callback per visit; sent to the call centre too."""
    found = db.session.scalars(select(PhoneCallback).where(PhoneCallback.visit_uuid == visit.uuid)).first()
    if found is not None:
        return found
    callback = PhoneCallback(
        kind="confirmation",
        status="pending",
        task_id=task.id,
        visit_uuid=visit.uuid,
        policy_id=task.policy_id,
        institution_id=task.institution_id,
        due_date=cases.due_in_workdays(today(), CONFIRM_WORKDAYS),
        next_attempt_at=utcnow(),
        answers={},
    )
    db.session.add(callback)
    db.session.flush()
    audit.record(
        "callback_requested",
        target=callback,
        actor=actor,
        institution_id=task.institution_id,
        visit=visit.uuid,
    )
    from server.outbox import webhook

    policy = task.policy
    webhook.publish(
        "callback.requested",
        {
            "callback_id": callback.id,
            "kind": callback.kind,
            "policy_number": policy.policy_number,
            "holder_name": policy.holder_name,
            "phone": policy.holder_phone,
            "due_date": callback.due_date.isoformat(),
            "script": script(callback),
        },
        dedupe_key=f"callback.requested:{callback.id}",
        institution_id=task.institution_id,
    )
    return callback


def view(callback: PhoneCallback, viewer: User | None, full: bool = False) -> dict:
    from server.institutions.models import Institution
    from server.policies.models import Policy

    policy = db.session.get(Policy, callback.policy_id)
    institution = db.session.get(Institution, callback.institution_id)
    sees = viewer is None or sees_personal_data(viewer)
    result = {
        "id": callback.id,
        "kind": callback.kind,
        "status": callback.status,
        "outcome": callback.outcome,
        "task_id": callback.task_id,
        "visit_uuid": callback.visit_uuid,
        "institution": {"id": institution.id, "name": institution.name},
        "policy": {
            "id": policy.id,
            "policy_number": policy.policy_number,
            "product_name": policy.product_name,
            "holder_name": policy.holder_name,
            "holder_phone": policy.holder_phone if sees else mask_phone(policy.holder_phone),
        },
        "agent": _person(callback.agent_id),
        "attempts": callback.attempts,
        "next_attempt_at": callback.next_attempt_at,
        "due_date": callback.due_date,
        "overdue": callback.status == "pending" and callback.due_date < today(),
        "answers": callback.answers or {},
        "note": callback.note,
        "recording_ref": callback.recording_ref,
        "recording_sha256": callback.recording_sha256,
        "created_at": callback.created_at,
        "completed_at": callback.completed_at,
        "item": callback.item,
        "questionnaire_code": callback.questionnaire_code,
        "questionnaire_version_id": callback.questionnaire_version_id,
        "external_ref": callback.external_ref,
        "preferred_time": callback.preferred_time.isoformat("minutes") if callback.preferred_time else None,
        "followup_task_id": callback.followup_task_id,
        "script": [],
        "history": [],
        "cases": [],
    }
    if full:
        result["script"] = first_calls.script(callback) if callback.kind == "first_call" else script(callback)
        result["history"] = [
            {
                "id": a.id,
                "at": a.at,
                "agent": _person(a.agent_id),
                "source": a.source,
                "result": a.result,
                "outcome": a.outcome,
                "note": a.note,
                "recording_ref": a.recording_ref,
            }
            for a in db.session.scalars(
                select(CallbackAttempt)
                .where(CallbackAttempt.callback_id == callback.id)
                .order_by(CallbackAttempt.id)
            )
        ]
        from server.cases.api import view as case_view
        from server.cases.models import ProblemCase

        result["cases"] = [
            case_view(c)
            for c in db.session.scalars(select(ProblemCase).where(ProblemCase.callback_id == callback.id))
        ]
    return result


def _person(user_id):
    user = db.session.get(User, user_id) if user_id else None
    return {"id": user.id, "display_name": user.display_name} if user else None


def callbacks_for_visit(uuid: str) -> list[dict]:
    return [
        view(c, None)
        for c in db.session.scalars(select(PhoneCallback).where(PhoneCallback.visit_uuid == uuid))
    ]


def get(scope: Scope, callback_id: int) -> PhoneCallback:
    return scope.get(PhoneCallback, callback_id, "电话回访", "callback")


def _locked(scope: Scope, callback_id: int) -> PhoneCallback:
    stmt = scope.filter(select(PhoneCallback).where(PhoneCallback.id == callback_id), PhoneCallback)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    callback = db.session.scalars(stmt).first()
    if callback is None:
        raise not_found("电话回访", "callback")
    return callback


def next_call(scope: Scope, agent: User) -> PhoneCallback | None:
    """The next call for this agent: one they hold already, else the earliest due that is free."""
    now = utcnow()
    held = db.session.scalars(
        scope.filter(select(PhoneCallback), PhoneCallback).where(
            PhoneCallback.status == "pending",
            PhoneCallback.agent_id == agent.id,
            PhoneCallback.held_at > now - timedelta(minutes=HOLD_MINUTES),
        )
    ).first()
    if held is not None:
        return held
    from server.risk.models import RiskAlert, RiskAlertPolicy

    at_risk = (
        select(RiskAlertPolicy.policy_id)
        .join(RiskAlert, RiskAlert.id == RiskAlertPolicy.alert_id)
        .where(
            RiskAlert.kind == "shared_phone",
            RiskAlert.status == "open",
            RiskAlertPolicy.policy_id == PhoneCallback.policy_id,
        )
        .exists()
    )
    stmt = scope.filter(select(PhoneCallback), PhoneCallback)
    if not first_calls.in_calling_hours(now):  # R11: customers are called within calling hours only
        stmt = stmt.where(PhoneCallback.kind != "first_call")
    stmt = (
        stmt.where(
            PhoneCallback.status == "pending",
            or_(PhoneCallback.next_attempt_at.is_(None), PhoneCallback.next_attempt_at <= now),
            or_(
                PhoneCallback.agent_id.is_(None),
                PhoneCallback.held_at.is_(None),
                PhoneCallback.held_at <= now - timedelta(minutes=HOLD_MINUTES),
            ),
        )
        .order_by(
            PhoneCallback.due_date,
            case((at_risk, 0), else_=1),  # an open shared-phone risk alert on the policy first
            PhoneCallback.next_attempt_at,
            PhoneCallback.id,
        )
        .limit(1)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # two agents never take the same call
    callback = db.session.scalars(stmt).first()
    if callback is None:
        return None
    callback.agent_id, callback.held_at = agent.id, now
    audit.record("callback_taken", target=callback, actor=agent, institution_id=callback.institution_id)
    db.session.commit()
    return callback


def _next_attempt(after: datetime, attempt_number: int) -> datetime:
    """The next working day after ``after`` (Beijing), at another time of day than the last call."""
    day = after.astimezone(SHANGHAI).date() + timedelta(days=1)
    for _ in range(60):
        try:
            if is_workday(day):
                break
        except HuifangError:  # a year without an entered schedule: weekdays
            if day.weekday() < 5:
                break
        day += timedelta(days=1)
    at = RETRY_TIMES[attempt_number % len(RETRY_TIMES)]
    return datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(after.tzinfo)


def _invalid(code: str, zh: str, en: str, field: str) -> HuifangError:
    return HuifangError(code, zh, en, 422, {"fields": {field: [code]}})


def record_attempt(
    scope: Scope,
    agent: User | None,
    callback_id: int,
    data: dict,
    source: str = "console",
    commit: bool = True,
):
    """One call: its result and, when the customer was reached, the answers and the outcome."""
    callback = _locked(scope, callback_id)
    if callback.status != "pending":
        raise HuifangError(
            "callback_closed",
            "该回访已有结果，不能再记录",
            "This callback already has its outcome",
            409,
            {"status": callback.status, "outcome": callback.outcome},
        )
    if callback.kind == "first_call":
        return _record_first_call(callback, agent, data, source, commit)
    result, answers = data["result"], data.get("answers") or {}
    unknown = sorted(set(answers) - set(SCRIPT_IDS))
    if unknown:
        raise _invalid(
            "answer_unknown", "回访话术中没有这些问题", f"No such script questions: {unknown}", "answers"
        )
    if any(not isinstance(v, bool) for v in answers.values()):
        raise _invalid(
            "answer_type", "确认回访的回答只能是“是”或“否”", "Answers are yes (true) or no (false)", "answers"
        )
    outcome = data.get("outcome")
    if outcome is not None and outcome not in CONFIRMATION_OUTCOMES:
        raise _invalid(
            "outcome_invalid", "确认回访没有这种结果", "Not an outcome of a confirming callback", "outcome"
        )
    if result == "reached":
        derived = outcome_from(answers)
        if outcome is None and derived is None:
            raise _invalid(
                "outcome_required",
                "已接通：请回答全部话术问题或选择回访结果",
                "Reached: answer every script question or choose the outcome",
                "outcome",
            )
        if outcome is not None and derived is not None and outcome != derived:
            raise _invalid(
                "outcome_contradicts_answers",
                "所选回访结果与客户的回答不一致",
                "The chosen outcome contradicts the customer's answers",
                "outcome",
            )
        if outcome == "unreachable":
            raise _invalid(
                "outcome_invalid",
                "已接通的电话不能记为无法联系",
                "A reached call is not unreachable",
                "outcome",
            )
        outcome = outcome or derived
    elif outcome is not None:
        raise _invalid(
            "outcome_without_reach",
            "未接通时不能记录回访结果",
            "Only a reached call has an outcome",
            "outcome",
        )
    now = utcnow()
    callback.attempts += 1
    callback.answers = {**(callback.answers or {}), **answers}
    if data.get("note"):
        callback.note = data["note"]
    if data.get("recording_ref"):
        callback.recording_ref = data["recording_ref"]
    db.session.add(
        CallbackAttempt(
            callback_id=callback.id,
            agent_id=agent.id if agent else None,
            source=source,
            result=result,
            outcome=outcome,
            note=data.get("note"),
            recording_ref=data.get("recording_ref"),
            at=data.get("called_at") or now,
        )
    )
    if result == "reached":
        _conclude(callback, outcome, agent)
    elif result == "refused" or callback.attempts >= MAX_ATTEMPTS:
        _conclude(callback, "unreachable", agent)  # R13: refused or never reached: a letter
    else:
        callback.next_attempt_at = _next_attempt(now, callback.attempts)
        callback.agent_id, callback.held_at = None, None
    audit.record(
        "callback_attempt",
        target=callback,
        actor=agent,
        institution_id=callback.institution_id,
        result=result,
        outcome=callback.outcome,
        source=source,
    )
    if commit:
        db.session.commit()
    return callback


def _record_first_call(callback: PhoneCallback, agent, data: dict, source: str, commit: bool):
    callback.attempts += 1
    if data.get("note"):
        callback.note = data["note"]
    if data.get("recording_ref"):
        callback.recording_ref = data["recording_ref"]
    outcome = data.get("outcome")
    if outcome is not None and outcome not in FIRST_CALL_OUTCOMES:
        raise _invalid(
            "outcome_invalid", "首次电话回访没有这种结果", "Not an outcome of a first call", "outcome"
        )
    refused_ok = data["result"] == "refused" and outcome in ("phone_refused", "wants_letter")
    if data["result"] != "reached" and outcome is not None and not refused_ok:
        raise _invalid(
            "outcome_without_reach",
            "未接通时不能记录回访结果",
            "Only a reached call has an outcome",
            "outcome",
        )
    first_calls.record(callback, agent, data)
    db.session.add(
        CallbackAttempt(
            callback_id=callback.id,
            agent_id=agent.id if agent else None,
            source=source,
            result=data["result"],
            outcome=callback.outcome,
            note=data.get("note"),
            recording_ref=data.get("recording_ref"),
            at=data.get("called_at") or utcnow(),
        )
    )
    audit.record(
        "callback_attempt",
        target=callback,
        actor=agent,
        institution_id=callback.institution_id,
        result=data["result"],
        outcome=callback.outcome,
        source=source,
    )
    if commit:
        db.session.commit()
    return callback


def _reopen_task(task: VisitTask, actor: User | None, why: str) -> None:
    previous, before = task.assignee_id, task.status
    task.status, task.assignee_id = "unassigned", None
    db.session.add(
        TaskEvent(
            task_id=task.id,
            actor_id=actor.id if actor else None,
            action="reopened",
            from_status=before,
            to_status=task.status,
            data={"why": why},
        )
    )
    changes.task_moved(task, previous)


def _follow_up_task(task: VisitTask, source: str, actor: User | None, note: str) -> int:
    """A new visit task on the same policy (explanation R14, re-sign R15), for a supervisor to assign."""
    [task_id] = create_tasks(
        [
            TaskSpec(
                policy_id=task.policy_id,
                item=task.item,
                source=source,
                institution_id=task.institution_id,
                event_date=task.event_date,
                due_date=cases.due_in_workdays(today(), 10),
                notes=note[:500],
            )
        ],
        actor_id=actor.id if actor else None,
        batch_id=None,
    )
    return task_id


def _conclude(callback: PhoneCallback, outcome: str, actor: User | None) -> None:
    task = db.session.get(VisitTask, callback.task_id)
    policy = task.policy
    callback.outcome, callback.completed_at = outcome, utcnow()
    callback.status = "to_letter" if outcome == "unreachable" else "done"
    callback.agent_id, callback.held_at = (actor.id if actor else None), None
    common = {
        "policy": policy,
        "source": "callback",
        "actor": actor,
        "institution_id": task.institution_id,
        "task_id": task.id,
        "visit_uuid": callback.visit_uuid,
        "callback_id": callback.id,
    }
    if outcome == "confirmed":
        before = task.status
        task.status = "closed"
        db.session.add(
            TaskEvent(
                task_id=task.id,
                actor_id=actor.id if actor else None,
                action="confirmed",
                from_status=before,
                to_status="closed",
                data={"callback_id": callback.id},
            )
        )
    elif outcome == "not_visited":
        cases.open_case(
            "problem",
            "visit_not_confirmed",
            summary="确认回访：客户称专员未上门面访",
            dedupe_key=f"callback:{callback.id}:not_visited",
            **common,
        )
        _reopen_task(task, actor, "客户称未面访")
    elif outcome == "signature_not_genuine":
        cases.open_case(
            "problem",
            "signature_not_genuine",
            summary="确认回访：客户称问卷签名非本人所签",
            dedupe_key=f"callback:{callback.id}:signature",
            **common,
        )
        follow = _follow_up_task(
            task, "re_sign", actor, f"确认回访 #{callback.id}：签名非本人，补签名（R15）"
        )
        cases.open_case(
            "re_sign",
            "proxy_signature",
            summary="签名非本人所签，进入补签名流程（R15）",
            followup_task_id=follow,
            dedupe_key=f"callback:{callback.id}:re_sign",
            **common,
        )
        task.status = "closed"
    elif outcome == "not_understood":
        cases.open_case(
            "problem",
            "not_understood",
            summary="确认回访：客户仍不清楚保单权益，需再次解释",
            dedupe_key=f"callback:{callback.id}:not_understood",
            **common,
        )
        _follow_up_task(task, "explanation", actor, f"确认回访 #{callback.id}：客户需要进一步解释（R14）")
        task.status = "closed"
    else:  # unreachable: R13, the questionnaire goes by letter
        before = task.status
        task.status = "to_letter"
        db.session.add(
            TaskEvent(
                task_id=task.id,
                actor_id=actor.id if actor else None,
                action="to_letter",
                from_status=before,
                to_status="to_letter",
                data={"callback_id": callback.id},
            )
        )
        from server.letters import services as letters

        letters.create_for_task(task, actor, reason=f"确认回访 #{callback.id} 未能联系或客户拒绝电话回访")
    from server.outbox import webhook

    webhook.publish(
        "callback.completed",
        {"callback_id": callback.id, "outcome": outcome, "task_id": task.id},
        dedupe_key=f"callback.completed:{callback.id}",
        institution_id=task.institution_id,
    )


def attach_recording(scope: Scope, agent: User, callback_id: int, data: bytes, mime: str) -> PhoneCallback:
    """R4: the call's recording kept with the callback record, content-addressed in the media store."""
    from server.sync.services import store

    callback = get(scope, callback_id)
    sha = hashlib.sha256(data).hexdigest()
    if not store().exists(sha):
        store().put(sha, io.BytesIO(data))
    callback.recording_sha256, callback.recording_mime = sha, mime
    audit.record(
        "callback_recording",
        target=callback,
        actor=agent,
        institution_id=callback.institution_id,
        sha256=sha,
        size=len(data),
    )
    db.session.commit()
    return callback


def recording(scope: Scope, viewer: User, callback_id: int) -> tuple[bytes, str]:
    from server.sync.services import store

    callback = get(scope, callback_id)
    if not callback.recording_sha256:
        raise not_found("录音", "recording")
    with store().open(callback.recording_sha256) as handle:
        data = handle.read()
    audit.record(
        "callback_recording_played", target=callback, actor=viewer, institution_id=callback.institution_id
    )
    db.session.commit()
    return data, callback.recording_mime or "application/octet-stream"


def external_outcome(data: dict) -> tuple[dict, int]:
    """An outcome reported by the call centre (signed, idempotent by its event id)."""
    callback = db.session.get(PhoneCallback, data["callback_id"])
    if callback is None:
        raise not_found("电话回访", "callback")
    from server.institutions.models import Institution

    scope = Scope(db.session.get(Institution, callback.institution_id).path)
    updated = record_attempt(scope, None, callback.id, data, source="call_centre", commit=False)
    return view(updated, None), 200
