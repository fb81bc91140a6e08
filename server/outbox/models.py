from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.dbtypes import UTCDateTime, utcnow
from server.extensions import db

# pending: waits for next_attempt_at. running: a worker holds it (locked_by, locked_at) until its lease
# ends. done: the handler succeeded. dead: max_attempts failed; an operator may replay it.
STATUSES = ("pending", "running", "done", "dead")


class OutboxJob(db.Model):
    """One piece of work that must happen because a transaction committed (ARCHITECTURE: outbox)."""

    __tablename__ = "outbox_job"
    __scope__ = "institution_id"
    # Workers look for due work by (status, next_attempt_at) every few seconds.
    __table_args__ = (Index("ix_outbox_job_claim", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    # Enqueueing the same key twice gives the first job back: one business fact, one job.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    next_attempt_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    locked_by: Mapped[str | None] = mapped_column(String(128))
    locked_at = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    done_at = mapped_column(UTCDateTime)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"), index=True)

    def __repr__(self) -> str:
        return f"<OutboxJob {self.id} {self.kind} {self.status}>"


class InboundEvent(db.Model):
    """A signed call from another system, kept with the answer it got: a repeat gets the same answer."""

    __tablename__ = "inbound_event"
    __table_args__ = (UniqueConstraint("source", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(128))
    body_sha256: Mapped[str] = mapped_column(String(64))
    # Null while the first call is still being answered (its transaction has not committed).
    status_code: Mapped[int | None] = mapped_column()
    response: Mapped[dict | None] = mapped_column(JSON)
    received_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
