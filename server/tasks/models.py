from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.dbtypes import UTCDateTime, utcnow
from server.extensions import db
from server.institutions.models import Institution
from server.policies.models import Policy
from server.users.models import User

# The life of a visit task. recontact (R12): other departments re-confirm contact details first;
# to_phone: a new phone sends it back to the phone callback; to_letter: mailed questionnaire (R13).
# submitted: a visit came back; approved: head office verified it and the confirming phone callback
# (R14) is due; closed: the callback confirmed it (or nothing more is to be done).
STATUSES = (
    "recontact",
    "unassigned",
    "assigned",
    "submitted",
    "approved",
    "returned",
    "closed",
    "cancelled",
    "to_phone",
    "to_letter",
)
OPEN_STATUSES = ("recontact", "unassigned", "assigned", "returned")


class VisitTask(db.Model):
    __tablename__ = "visit_task"
    __scope__ = "institution_id"
    __table_args__ = (
        Index("ix_visit_task_status_due", "status", "due_date"),
        Index("ix_visit_task_assignee_status", "assignee_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy.id"), index=True)
    item: Mapped[str] = mapped_column(String(20))  # facts.Item (R1)
    source: Mapped[str] = mapped_column(String(20))  # facts.Source (R12–R15)
    questionnaire_code: Mapped[str] = mapped_column(String(40))
    questionnaire_version_id: Mapped[int | None] = mapped_column()
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(16), default="unassigned")
    due_date = mapped_column(Date, nullable=False)
    due_rule: Mapped[str] = mapped_column(String(200))  # how due_date was computed, for people
    event_date = mapped_column(Date)  # the date the item is about (grace end, lapse, payment)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)  # R9 surrender/claim amount
    paid_to_other: Mapped[bool] = mapped_column(default=False)  # R9
    external_ref: Mapped[str | None] = mapped_column(String(80), unique=True)  # intake idempotency
    batch_id: Mapped[int | None] = mapped_column(index=True)
    notes: Mapped[str | None] = mapped_column(String(500))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    policy: Mapped[Policy] = relationship(lazy="joined")
    institution: Mapped[Institution] = relationship()
    assignee: Mapped[User | None] = relationship()


class TaskEvent(db.Model):
    """Everything that happened to a task, in order: created, assigned, reassigned, status, due date."""

    __tablename__ = "task_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("visit_task.id", ondelete="CASCADE"), index=True)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class QuestionnaireRule(db.Model):
    """Which questionnaire a task gets: item × product type × channel × source; most specific wins.

    A null column matches anything. Rules are data so that head office can change them (R10).
    """

    __tablename__ = "questionnaire_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    item: Mapped[str] = mapped_column(String(20))
    product_type: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(20))
    questionnaire_code: Mapped[str] = mapped_column(String(40))
