from __future__ import annotations

from sqlalchemy import JSON, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.dbtypes import UTCDateTime, utcnow
from server.extensions import db

# problem: a callback, visit or review found something wrong (R4 problem case, 问题件).
# compliance: a violation by a salesperson, referred to sales and to internal control (R16).
# re_sign: unsigned or proxy-signed papers, followed until the holder has signed again (R15).
KINDS = ("problem", "compliance", "re_sign")
STATUSES = ("open", "in_progress", "resolved")
OPEN_STATUSES = ("open", "in_progress")
# Where a case came from: the record that found it.
SOURCES = ("visit", "review", "callback", "letter", "manual")
# Compliance findings (R16): whether the referral was borne out.
FINDINGS = ("substantiated", "unsubstantiated")


class ProblemCase(db.Model):
    __tablename__ = "problem_case"
    __scope__ = "institution_id"
    __table_args__ = (
        Index("ix_problem_case_status_due", "status", "due_date"),
        Index("ix_problem_case_kind_status", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(64))  # problem_category.code
    summary: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("visit_task.id"), index=True)
    visit_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    callback_id: Mapped[int | None] = mapped_column(index=True)
    letter_id: Mapped[int | None] = mapped_column(index=True)
    question_id: Mapped[str | None] = mapped_column(String(64))
    salesperson_id: Mapped[int | None] = mapped_column(ForeignKey("salesperson.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    due_date = mapped_column(Date, nullable=False)
    # R15: the visit task that takes the papers to the holder for signing again.
    followup_task_id: Mapped[int | None] = mapped_column(ForeignKey("visit_task.id"))
    # R16: when the case went to the sales department and to internal control and compliance.
    referred_sales_at = mapped_column(UTCDateTime)
    referred_compliance_at = mapped_column(UTCDateTime)
    finding: Mapped[str | None] = mapped_column(String(20))
    resolution: Mapped[str | None] = mapped_column(String(1000))
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    resolved_at = mapped_column(UTCDateTime)


class CaseEvent(db.Model):
    """A case's history, in order: opened, referred, owner, due date, notes, resolved."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("problem_case.id", ondelete="CASCADE"), index=True)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(1000))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
