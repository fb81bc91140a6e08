"""Writing to the change sequence that devices pull from.

A reader must never see sequence number 12 before 11 is committed, or a device whose cursor moved
past 12 would miss 11 forever. On PostgreSQL, writers take one transaction-scoped advisory lock
before they append, so sequence order is commit order; SQLite serialises writers anyway. Only task
and questionnaire changes write here (a handful a minute), never the push of visits.
"""

from __future__ import annotations

from sqlalchemy import select, text

from server.extensions import db
from server.tasks.models import VisitTask
from server.visits.models import ChangeLog

_LOCK_KEY = 0x48554946  # "HUIF"


def _serialise() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def record(kind: str, entity_id: int, user_id: int | None) -> None:
    _serialise()
    db.session.add(ChangeLog(kind=kind, entity_id=entity_id, user_id=user_id))


def task_moved(task: VisitTask, previous_assignee_id: int | None) -> None:
    """A task changed hands or state: its holder pulls it again, a former holder gets a tombstone."""
    if previous_assignee_id and previous_assignee_id != task.assignee_id:
        record("tombstone", task.id, previous_assignee_id)
    if task.assignee_id:
        record("task", task.id, task.assignee_id)


def tasks_touched(task_ids: list[int]) -> None:
    """The facts of these tasks changed (policy refreshed, due date moved): their holders pull again."""
    for task_id, assignee_id in db.session.execute(
        select(VisitTask.id, VisitTask.assignee_id).where(
            VisitTask.id.in_(task_ids), VisitTask.assignee_id.is_not(None)
        )
    ):
        record("task", task_id, assignee_id)
