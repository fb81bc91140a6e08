"""What is late, in one place: the console's overdue panel and the daily digest read the same numbers.

- tasks: open visit tasks past their due date (R8 dates included);
- reviews: visits waiting for review longer than REVIEW_WORKDAYS working days;
- callbacks: confirming phone callbacks past their due date (R14);
- cases: problem, compliance and re-sign cases past their due date (R15, R16).
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import func, select

from server.callbacks.models import PhoneCallback
from server.cases.models import OPEN_STATUSES as CASE_OPEN
from server.cases.models import ProblemCase
from server.cases.services import due_in_workdays
from server.extensions import db
from server.institutions.models import Institution
from server.scoping import Scope
from server.tasks.models import OPEN_STATUSES as TASK_OPEN
from server.tasks.models import VisitTask
from server.tasks.services import SHANGHAI, today
from server.visits.models import Visit

REVIEW_WORKDAYS = 3  # a returned questionnaire is verified promptly (R14)
SAMPLE = 20


def _review_cutoff(day) -> datetime:
    """Visits submitted before this instant have waited more than REVIEW_WORKDAYS working days."""
    start = day
    # Walk back: the day whose REVIEW_WORKDAYS-th working day after it is today.
    for back in range(1, 30):
        candidate = start.fromordinal(start.toordinal() - back)
        if due_in_workdays(candidate, REVIEW_WORKDAYS) <= day:
            return datetime.combine(candidate, time(23, 59, 59), tzinfo=SHANGHAI).astimezone(UTC)
    return datetime.combine(start, time(0, 0), tzinfo=SHANGHAI).astimezone(UTC)


def overdue(scope: Scope) -> dict:
    day = today()
    tasks = scope.filter(select(VisitTask), VisitTask).where(
        VisitTask.status.in_(TASK_OPEN), VisitTask.due_date < day
    )
    reviews = scope.filter(select(Visit), Visit).where(
        Visit.review_state == "pending", Visit.submitted_at < _review_cutoff(day)
    )
    callbacks = scope.filter(select(PhoneCallback), PhoneCallback).where(
        PhoneCallback.status == "pending", PhoneCallback.due_date < day
    )
    cases = scope.filter(select(ProblemCase), ProblemCase).where(
        ProblemCase.status.in_(CASE_OPEN), ProblemCase.due_date < day
    )

    def count(stmt) -> int:
        return db.session.scalar(select(func.count()).select_from(stmt.subquery()))

    def inst(institution_id) -> str:
        return db.session.get(Institution, institution_id).name

    return {
        "date": day,
        "review_workdays": REVIEW_WORKDAYS,
        "tasks": {
            "count": count(tasks),
            "items": [
                {
                    "id": t.id,
                    "policy_number": t.policy.policy_number,
                    "due_date": t.due_date,
                    "status": t.status,
                    "institution": inst(t.institution_id),
                }
                for t in db.session.scalars(tasks.order_by(VisitTask.due_date, VisitTask.id).limit(SAMPLE))
            ],
        },
        "reviews": {
            "count": count(reviews),
            "items": [
                {"uuid": v.uuid, "submitted_at": v.submitted_at, "institution": inst(v.institution_id)}
                for v in db.session.scalars(reviews.order_by(Visit.submitted_at).limit(SAMPLE))
            ],
        },
        "callbacks": {
            "count": count(callbacks),
            "items": [
                {
                    "id": c.id,
                    "due_date": c.due_date,
                    "attempts": c.attempts,
                    "institution": inst(c.institution_id),
                }
                for c in db.session.scalars(callbacks.order_by(PhoneCallback.due_date).limit(SAMPLE))
            ],
        },
        "cases": {
            "count": count(cases),
            "items": [
                {
                    "id": c.id,
                    "kind": c.kind,
                    "category": c.category,
                    "due_date": c.due_date,
                    "institution": inst(c.institution_id),
                }
                for c in db.session.scalars(cases.order_by(ProblemCase.due_date).limit(SAMPLE))
            ],
        },
    }


def digest_text(report: dict, institution_name: str) -> str:
    """The daily digest as plain Chinese text (mail or messaging bodies)."""
    lines = [
        f"{institution_name} 回访逾期日报（{report['date'].isoformat()}）",
        f"逾期面访任务：{report['tasks']['count']} 件",
        f"超过 {report['review_workdays']} 个工作日未审核的面访：{report['reviews']['count']} 件",
        f"逾期确认回访电话：{report['callbacks']['count']} 件",
        f"逾期问题件：{report['cases']['count']} 件",
    ]
    for task in report["tasks"]["items"][:10]:
        where = f"（{task['institution']}）"
        lines.append(f"  任务 #{task['id']} 保单 {task['policy_number']} 截止 {task['due_date']}{where}")
    for case in report["cases"]["items"][:10]:
        lines.append(
            f"  问题件 #{case['id']} {case['category']} 截止 {case['due_date']}（{case['institution']}）"
        )
    return "\n".join(lines)


def send_digest(root: Institution) -> dict:
    """Build the digest for one subtree and send it through the outbox (a webhook event)."""
    from server.outbox import webhook

    report = overdue(Scope(root.path))
    text = digest_text(report, root.name)
    webhook.publish(
        "digest.daily",
        {
            "institution_id": root.id,
            "date": report["date"].isoformat(),
            "text": text,
            "counts": {k: report[k]["count"] for k in ("tasks", "reviews", "callbacks", "cases")},
        },
        dedupe_key=f"digest:{root.id}:{report['date'].isoformat()}",
        institution_id=root.id,
    )
    db.session.commit()
    return {"report": report, "text": text}
