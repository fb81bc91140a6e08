"""What a reviewer must look at twice: each flag is a fact about the visit, with its weight.

Flags are computed once when a completed visit becomes whole (every media file arrived), stored on
the visit with the ones sync raised (task changed while offline, second visit, identity mismatch),
and their weights order the review queue. Details (how late, how far, how quick) are computed again
when a reviewer opens the visit, so they never go stale in storage.
"""

from __future__ import annotations

import math
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from server.extensions import db
from server.policies.facts import build_facts
from server.questionnaires.models import QuestionnaireVersion
from server.questionnaires.placeholders import fill
from server.questionnaires.submission import relevant_questions
from server.risk.models import RiskAlert, RiskAlertPolicy
from server.tasks.models import VisitTask
from server.visits.models import Visit, VisitConflict

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORKING_HOURS = (time(8, 0), time(21, 0))  # a visit outside these Beijing hours is flagged
FAR_METRES = 2000  # from the geocoded policy address
READING_CHARS_PER_SECOND = 8  # reading a statement aloud; slower than this, a visit is plausible
SECONDS_PER_ANSWER = 3

WEIGHTS = {
    "identity_mismatch": 8,
    "conflict": 6,
    "shared_phone_alert": 5,
    "quick_visit": 5,
    "far_from_address": 5,
    "task_cancelled": 4,
    "identity_unverifiable": 3,
    "task_reassigned": 3,
    "second_visit_for_task": 3,
    "outside_working_hours": 2,
    "late": 1,
}


def priority(flags: list[str]) -> int:
    return sum(WEIGHTS.get(flag, 1) for flag in set(flags))


def _parse(stamp: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else None


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    r = 6_371_000
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def minimum_seconds(visit: Visit, task: VisitTask) -> int | None:
    """The least time the relevant questions take to read aloud and answer, or None if unknown."""
    version = db.session.get(QuestionnaireVersion, visit.questionnaire_version_id or 0)
    if version is None:
        return None
    facts = build_facts(task.policy, task)
    answers = visit.record.get("answers") or {}
    relevant = set(relevant_questions(version, facts, answers))
    total = 0.0
    for section in version.definition.get("sections", []):
        for question in section.get("questions", []):
            if question["id"] in relevant:
                text = fill(question.get("text", ""), facts)
                total += len(text) / READING_CHARS_PER_SECOND + SECONDS_PER_ANSWER
    return int(total)


def assess(visit: Visit, task: VisitTask) -> dict[str, dict]:
    """Every review flag that applies, with its details: {flag: {...}}."""
    found: dict[str, dict] = {}
    started, finished = _parse(visit.started_at), _parse(visit.finished_at)
    if finished is not None and finished.astimezone(SHANGHAI).date() > task.due_date:
        found["late"] = {"due_date": task.due_date.isoformat(), "finished_at": visit.finished_at}
    if started is not None and finished is not None:
        start_local, end_local = started.astimezone(SHANGHAI), finished.astimezone(SHANGHAI)
        low, high = WORKING_HOURS
        if start_local.time() < low or end_local.time() > high or start_local.date() != end_local.date():
            found["outside_working_hours"] = {
                "started": start_local.strftime("%H:%M"),
                "finished": end_local.strftime("%H:%M"),
            }
        needed = minimum_seconds(visit, task) if visit.outcome == "completed" else None
        took = (finished - started).total_seconds()
        if needed is not None and took < needed:
            found["quick_visit"] = {"seconds": int(took), "minimum_seconds": needed}
    place = visit.record.get("place") or {}
    policy = task.policy
    if (
        place.get("lat") is not None
        and place.get("lon") is not None
        and policy.holder_address_lat is not None
        and policy.holder_address_lon is not None
    ):
        metres = distance_m(place["lat"], place["lon"], policy.holder_address_lat, policy.holder_address_lon)
        if metres > FAR_METRES:
            found["far_from_address"] = {"metres": int(metres), "limit_metres": FAR_METRES}
    alert_ids = list(
        db.session.scalars(
            select(RiskAlert.id)
            .join(RiskAlertPolicy, RiskAlertPolicy.alert_id == RiskAlert.id)
            .where(RiskAlertPolicy.policy_id == policy.id, RiskAlert.status.in_(("open", "investigating")))
        )
    )
    if alert_ids:
        found["shared_phone_alert"] = {"alert_ids": alert_ids}
    conflicts = db.session.scalar(
        select(db.func.count()).select_from(VisitConflict).where(VisitConflict.uuid == visit.uuid)
    )
    if conflicts:
        found["conflict"] = {"versions": conflicts}
    return found


def flag_on_submission(visit: Visit) -> None:
    """Called by sync when a visit becomes whole: completed visits join the review queue."""
    if visit.outcome != "completed":
        return
    task = db.session.get(VisitTask, visit.task_id)
    extra = [flag for flag in assess(visit, task) if flag not in visit.flags]
    visit.flags = [*visit.flags, *extra]
    visit.review_state = "pending"
    visit.review_priority = priority(visit.flags)


def flag_conflict(uuid: str) -> None:
    """A second, different record arrived under this visit's UUID: the reviewer must see both."""
    visit = db.session.get(Visit, uuid)
    if visit is not None and "conflict" not in visit.flags:
        visit.flags = [*visit.flags, "conflict"]
        visit.review_priority = priority(visit.flags)
