"""Phone callback figures for the dashboard (R4): reach rate, attempts per reach, calls that became visits.

Grouped by institution and by the month the call was created (Beijing calendar months are close
enough to UTC ones for a monthly figure; the month is taken from ``created_at``). SQL aggregates
only: one query whatever the number of calls.
"""

from __future__ import annotations

from sqlalchemy import Integer, case, func, select

from server.callbacks.models import PhoneCallback
from server.extensions import db
from server.scoping import Scope

# Outcomes of a first call that send it to a visit, by reason (R13–R15).
VISIT_REASONS = ("phone_refused", "wants_letter", "wants_explanation", "unsigned_papers")
REACHED = ("answered", "wants_explanation", "unsigned_papers", "misconduct", "phone_refused", "wants_letter")


def _month(column):
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def callback_stats(scope: Scope | None = None, kind: str = "first_call") -> list[dict]:
    """One row per (institution, month): calls, reached, reach_rate, attempts_per_reach, visits by reason.

    ``reached`` counts finished calls whose customer was reached; ``attempts_per_reach`` is the
    attempts of those calls over their number; ``visits`` counts the calls whose outcome created a
    visit task, by outcome.
    """
    month = _month(PhoneCallback.created_at).label("month")
    reached = PhoneCallback.outcome.in_(REACHED)

    def count_if(cond):
        return func.sum(case((cond, 1), else_=0)).cast(Integer)

    stmt = select(
        PhoneCallback.institution_id,
        month,
        func.count(PhoneCallback.id).label("calls"),
        count_if(reached).label("reached"),
        func.sum(case((reached, PhoneCallback.attempts), else_=0)).cast(Integer).label("reach_attempts"),
        count_if(PhoneCallback.status == "recontact").label("recontact"),
        *(
            count_if((PhoneCallback.outcome == reason) & PhoneCallback.followup_task_id.is_not(None)).label(
                reason
            )
            for reason in VISIT_REASONS
        ),
    ).where(PhoneCallback.kind == kind)
    if scope is not None:
        stmt = scope.filter(stmt, PhoneCallback)
    stmt = stmt.group_by(PhoneCallback.institution_id, month).order_by(PhoneCallback.institution_id, month)
    rows = []
    for row in db.session.execute(stmt).mappings():
        calls, hit = row["calls"], row["reached"] or 0
        visits = {reason: row[reason] or 0 for reason in VISIT_REASONS}
        rows.append(
            {
                "institution_id": row["institution_id"],
                "month": row["month"],
                "calls": calls,
                "reached": hit,
                "reach_rate": round(hit / calls, 4) if calls else None,
                "attempts_per_reach": round((row["reach_attempts"] or 0) / hit, 2) if hit else None,
                "recontact": row["recontact"] or 0,
                "visits": visits,
                "visit_share": round(sum(visits.values()) / calls, 4) if calls else None,
            }
        )
    return rows
