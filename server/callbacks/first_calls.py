"""The first callback of an item by phone (R11: phone first).

A first call carries the phone version of the item's questionnaire (templates ``phone_*.json``: no
signatures, no photos; the questions are what the agent asks). The script is the relevant questions
of that published version with the policy's facts filled in; answers are validated by the
questionnaire engine. Unreached calls are retried on later working days, at another time of day
inside the calling hours (or at the customer's preferred time); after the last attempt, or without
a working number, the call goes to the R12 re-confirmation list (status ``recontact``) until a
re-confirmed phone brings it back. A reached call's outcome opens exactly its follow-up:

- answered: a case for each problem the answers signal (problem or compliance by category, R16);
- wants_explanation: an explanation visit task (R14);
- unsigned_papers: a re-sign case with its re-sign visit task (R15);
- misconduct: a compliance case (R16);
- phone_refused: a visit task of source phone_refused (R13); wants_letter: the same, by letter.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from server.audit import services as audit
from server.calendar.services import WorkCalendar, is_workday
from server.callbacks.models import PhoneCallback
from server.cases import services as cases
from server.dbtypes import utcnow
from server.errors import HuifangError
from server.extensions import db
from server.policies.facts import build_facts
from server.policies.models import Policy, PolicyChange
from server.questionnaires.placeholders import fill
from server.questionnaires.services import published_version
from server.questionnaires.submission import problems_found, relevant_questions, validate_submission
from server.scoping import Scope
from server.tasks.rules import due_date
from server.tasks.services import SHANGHAI, TaskSpec, create_tasks, today
from server.users.models import User

# The intake source of an item that gets its first callback by phone (R11); every other source
# (server/policies/facts.Source) says why the phone could not do the job and makes a visit task.
PHONE_FIRST = "phone"

ITEMS = ("new_business", "grace_period", "lapse", "surrender", "claim", "other")  # facts.Item (R1)


# ---------------------------------------------------------------- settings


def max_attempts() -> int:
    return int(current_app.config.get("HUIFANG_CALLBACK_MAX_ATTEMPTS", 3))


def calling_hours() -> tuple[time, time]:
    raw = current_app.config.get("HUIFANG_CALLING_HOURS", "08:00-21:00")
    start, end = (time.fromisoformat(part.strip()) for part in raw.split("-"))
    return start, end


def window(callback: PhoneCallback) -> tuple[time, time]:
    start, end = calling_hours()
    return max(start, callback.call_from or start), min(end, callback.call_until or end)


def in_calling_hours(now: datetime | None = None) -> bool:
    start, end = calling_hours()
    local = (now or utcnow()).astimezone(SHANGHAI).time()
    return start <= local < end


# ---------------------------------------------------------------- questionnaire


def phone_code(item: str, product_type: str | None = None) -> str:
    """The phone version of the item's built-in questionnaire (R6–R9)."""
    if item == "grace_period":
        return "phone_grace_period"
    if item == "lapse":
        return "phone_after_grace"
    if item in ("surrender", "claim"):
        return "phone_surrender_claim"
    del product_type  # new-type products share the new-business phone script
    return "phone_new_business"


def _version(callback: PhoneCallback):
    from server.questionnaires.models import QuestionnaireVersion

    return db.session.get(QuestionnaireVersion, callback.questionnaire_version_id)


def _facts(callback: PhoneCallback) -> dict:
    policy = db.session.get(Policy, callback.policy_id)
    return dict(build_facts(policy))


def script(callback: PhoneCallback, answers: dict | None = None) -> list[dict]:
    """The relevant questions of the call's phone questionnaire, the policy's facts filled in."""
    version = _version(callback)
    if version is None:
        return []
    facts = _facts(callback)
    answers = callback.answers if answers is None else answers
    wanted = set(relevant_questions(version, facts, answers or {}))
    out = []
    for section in version.definition.get("sections", []):
        for question in section.get("questions", []):
            if question["id"] not in wanted:
                continue
            item = {
                "id": question["id"],
                "type": question["type"],
                "section": section.get("title"),
                "text": fill(question.get("text", ""), facts),
                "text_en": fill(question.get("text_en", ""), facts),
                "required": question.get("required", True),
            }
            if question.get("hint"):
                item["hint"] = fill(question["hint"], facts)
            for key in ("choices", "digits", "min", "max"):
                if key in question:
                    item[key] = question[key]
            out.append(item)
    return out


# ---------------------------------------------------------------- creation


def _invalid(code: str, zh: str, en: str, details: dict | None = None, status: int = 422) -> HuifangError:
    return HuifangError(code, zh, en, status, details or {})


def existing_external_refs(refs: list[str]) -> set[str]:
    """Which of these references already name a first call (intake checks them as duplicates)."""
    from server.intake import bulk

    return bulk.present(PhoneCallback.external_ref, refs)


class FirstCallMaker:
    """Makes first calls for policies already checked against the caller's scope.

    Shared by the API (one policy at a time) and intake (a chunk of rows): the published phone
    questionnaires and the working-day calendar are read once per maker, not once per call.
    """

    def __init__(self) -> None:
        self.calendar = WorkCalendar.load()
        self.versions: dict[str, object] = {}

    def version(self, code: str):
        if code not in self.versions:
            self.versions[code] = published_version(code)
        version = self.versions[code]
        if version is None:
            raise _invalid(
                "questionnaire_missing",
                f"电话回访问卷 {code} 尚未发布",
                f"The phone questionnaire {code} is not published",
                {"code": code},
                409,
            )
        return version

    def make(
        self, policy: Policy, data: dict, *, actor: User | None = None, audited: bool = True
    ) -> PhoneCallback:
        """One first call (flushed, published to the call centre). ``data`` as in create_first_calls;
        a given ``due_date`` wins over the computed one (the policy system may know better)."""
        code = phone_code(data["item"], policy.product_type)
        version = self.version(code)
        event = data.get("event_date")
        due = data.get("due_date")
        if due is None:
            due, _rule = due_date(
                self.calendar,
                item=data["item"],
                today=today(),
                grace_end=event if data["item"] in ("grace_period", "lapse") and event else policy.grace_end,
                cooling_off_end=policy.cooling_off_end,
            )
        callback = PhoneCallback(
            kind="first_call",
            status="pending",
            task_id=None,
            policy_id=policy.id,
            institution_id=policy.institution_id,
            item=data["item"],
            event_date=event,
            questionnaire_code=code,
            questionnaire_version_id=version.id,
            external_ref=data.get("external_ref"),
            preferred_time=data.get("preferred_time"),
            call_from=data.get("call_from"),
            call_until=data.get("call_until"),
            due_date=due,
            next_attempt_at=utcnow(),
            answers={},
        )
        if callback.preferred_time is not None:
            callback.next_attempt_at = _at_time(utcnow(), callback.preferred_time, same_day_ok=True)
        db.session.add(callback)
        db.session.flush()
        if audited:
            audit.record(
                "callback_requested",
                target=callback,
                actor=actor,
                institution_id=callback.institution_id,
                kind="first_call",
                item=callback.item,
            )
        _publish(callback, policy)
        return callback


def create_first_calls(
    scope: Scope, actor: User | None, items: list[dict]
) -> tuple[list[PhoneCallback], int]:
    """First calls for in-scope items, idempotent by external_ref. Returns (calls, how many were new).

    Each item: policy_id, item, and optionally event_date (grace end for grace_period/lapse),
    external_ref, preferred_time, call_from, call_until. Due dates follow R8 (server/tasks/rules.py).
    No commit.
    """
    maker = FirstCallMaker()
    out, created = [], 0
    for data in items:
        ref = data.get("external_ref")
        if ref:
            found = db.session.scalars(select(PhoneCallback).where(PhoneCallback.external_ref == ref)).first()
            if found is not None:
                out.append(found)
                continue
        policy = scope.get(Policy, data["policy_id"], "保单", "policy")
        out.append(maker.make(policy, data, actor=actor))
        created += 1
    return out, created


def _publish(callback: PhoneCallback, policy: Policy) -> None:
    """The call centre gets the first call with its script, like a confirming callback."""
    from server.outbox import webhook

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
        institution_id=callback.institution_id,
    )


# ---------------------------------------------------------------- attempts


def _workday(day: date) -> bool:
    try:
        return is_workday(day)
    except HuifangError:  # a year without an entered schedule: weekdays
        return day.weekday() < 5


def _at_time(after: datetime, at: time, *, same_day_ok: bool = False) -> datetime:
    """The first working day (from tomorrow, or today when still ahead) at ``at``, Beijing time."""
    local = after.astimezone(SHANGHAI)
    day = local.date() if same_day_ok and local.time() <= at else local.date() + timedelta(days=1)
    for _ in range(60):
        if _workday(day):
            break
        day += timedelta(days=1)
    return datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(after.tzinfo)


def retry_times(callback: PhoneCallback) -> list[time]:
    """Times of day to try, spread over the calling window: morning, afternoon, evening."""
    start, end = window(callback)
    if callback.preferred_time is not None and start <= callback.preferred_time < end:
        return [callback.preferred_time]
    span = (datetime.combine(date.min, end) - datetime.combine(date.min, start)).total_seconds()
    return [
        (datetime.combine(date.min, start) + timedelta(seconds=span * share)).time().replace(second=0)
        for share in (0.15, 0.5, 0.85)
    ]


def next_attempt(callback: PhoneCallback, after: datetime) -> datetime:
    """The next working day after ``after``, at another time of day than the last try."""
    times = retry_times(callback)
    return _at_time(after, times[callback.attempts % len(times)])


def record(callback: PhoneCallback, agent: User | None, data: dict) -> None:
    """Apply one attempt's result to a first call (the attempt row is the caller's)."""
    result = data["result"]
    answers = data.get("answers") or {}
    outcome = data.get("outcome")
    if result == "refused" and outcome is None:
        outcome = "phone_refused"
    if result in ("reached", "refused"):
        if result == "reached" and outcome is None:
            outcome = "answered"
        _check_answers(callback, outcome, answers)
        callback.answers = answers
        _conclude(callback, outcome, agent, data)
        return
    callback.answers = {**(callback.answers or {}), **answers}
    callback.agent_id, callback.held_at = None, None
    if result == "wrong_number" or callback.attempts >= max_attempts():
        callback.status = "recontact"  # R12: other departments re-confirm the contact details
        callback.next_attempt_at = None
    else:
        callback.next_attempt_at = next_attempt(callback, utcnow())


def _check_answers(callback: PhoneCallback, outcome: str, answers: dict) -> None:
    version = _version(callback)
    errors = validate_submission(version, _facts(callback), answers, {})
    # nobody signs on the phone: the R7/R13 signers of a visit are not asked for
    errors = [e for e in errors if e["code"] not in ("signature_missing", "signature_not_expected")]
    if outcome != "answered":  # a call cut short by its outcome: what was asked must be right
        errors = [e for e in errors if e["code"] != "required"]
    if errors:
        raise HuifangError(
            "answers_invalid",
            "回访答案不完整或有误",
            "The answers are incomplete or invalid",
            422,
            {"errors": errors, "fields": {"answers": sorted({e["code"] for e in errors})}},
        )


def _follow_up_task(callback: PhoneCallback, source: str, actor: User | None, note: str) -> int:
    [task_id] = create_tasks(
        [
            TaskSpec(
                policy_id=callback.policy_id,
                item=callback.item or "new_business",
                source=source,
                institution_id=callback.institution_id,
                event_date=callback.event_date,
                due_date=cases.due_in_workdays(today(), 10),
                notes=f"首次电话回访 #{callback.id}：{note}"[:500],
            )
        ],
        actor_id=actor.id if actor else None,
        batch_id=None,
    )
    callback.followup_task_id = task_id
    return task_id


def _conclude(callback: PhoneCallback, outcome: str, actor: User | None, data: dict) -> None:
    policy = db.session.get(Policy, callback.policy_id)
    callback.outcome, callback.completed_at, callback.status = outcome, utcnow(), "done"
    callback.agent_id, callback.held_at = (actor.id if actor else None), None
    common = {
        "policy": policy,
        "source": "callback",
        "actor": actor,
        "institution_id": callback.institution_id,
        "callback_id": callback.id,
    }
    for problem in problems_found(_version(callback), _facts(callback), callback.answers or {}):
        cases.open_case(
            "problem",
            problem["category"],
            summary=f"首次电话回访：问题“{problem['question_id']}”的回答反映问题",
            question_id=problem["question_id"],
            dedupe_key=f"callback:{callback.id}:{problem['question_id']}:{problem['category']}",
            **common,
        )
    if outcome == "wants_explanation":
        _follow_up_task(callback, "explanation", actor, "客户不清楚保单权益，需要上门解释（R14）")
    elif outcome == "unsigned_papers":
        follow = _follow_up_task(callback, "re_sign", actor, "投保资料未签名或代签名，补签名（R15）")
        cases.open_case(
            "re_sign",
            data.get("category") or "proxy_signature",
            summary="首次电话回访：投保资料未签名或代签名，进入补签名流程（R15）",
            followup_task_id=follow,
            task_id=follow,
            dedupe_key=f"callback:{callback.id}:re_sign",
            **common,
        )
    elif outcome == "misconduct":
        cases.open_case(
            "compliance",
            data.get("category") or "premium_misappropriated",
            summary=(data.get("note") or "首次电话回访：客户反映业务员违规行为（R16）")[:500],
            dedupe_key=f"callback:{callback.id}:misconduct",
            **common,
        )
    elif outcome in ("phone_refused", "wants_letter"):
        task_id = _follow_up_task(callback, "phone_refused", actor, "客户拒绝电话回访（R13）")
        if outcome == "wants_letter":
            from server.letters import services as letters
            from server.tasks.models import VisitTask

            letters.create_for_task(
                db.session.get(VisitTask, task_id),
                actor,
                reason=f"首次电话回访 #{callback.id}：客户选择信函回访",
            )
    from server.outbox import webhook

    webhook.publish(
        "callback.completed",
        {"callback_id": callback.id, "outcome": outcome, "task_id": callback.followup_task_id},
        dedupe_key=f"callback.completed:{callback.id}",
        institution_id=callback.institution_id,
    )


def recontact(scope: Scope, actor: User, callback_id: int, phone: str) -> PhoneCallback:
    """R12: a re-confirmed phone brings a first call back to the queue (audited)."""
    from server.policies.phones import normalise_phone

    callback = scope.get(PhoneCallback, callback_id, "电话回访", "callback")
    if callback.status != "recontact":
        raise HuifangError(
            "callback_not_in_recontact",
            "该电话回访不在联系方式复核环节",
            "The callback is not waiting for contact re-confirmation",
            409,
            {"status": callback.status},
        )
    policy = db.session.get(Policy, callback.policy_id)
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
    callback.status, callback.attempts = "pending", 0
    callback.next_attempt_at = utcnow()
    callback.agent_id, callback.held_at = None, None
    audit.record("callback_recontact", target=callback, actor=actor, institution_id=callback.institution_id)
    db.session.commit()
    return callback
