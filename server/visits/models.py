from __future__ import annotations

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from server.dbtypes import UTCDateTime, utcnow
from server.extensions import db

# awaiting_media: the record is stored but some of its media are not complete yet.
# submitted: record and every media file are whole; the visit waits for review.
STATES = ("awaiting_media", "submitted")
REVIEW_STATES = ("pending", "approved", "returned", "rejected")


class Visit(db.Model):
    """One visit record as pushed by a device, exactly once per client-made UUID."""

    __tablename__ = "visit"
    __scope__ = "institution_id"
    __table_args__ = (
        Index("ix_visit_task", "task_id"),
        Index("ix_visit_review_queue", "review_state", "review_priority", "submitted_at"),
    )

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    task_id: Mapped[int] = mapped_column(ForeignKey("visit_task.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    questionnaire_version_id: Mapped[int | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(16), default="awaiting_media", index=True)
    # Things a reviewer must see: task_cancelled, task_reassigned, second_visit_for_task, ...
    flags: Mapped[list] = mapped_column(JSON, default=list)
    record: Mapped[dict] = mapped_column(JSON)
    started_at: Mapped[str] = mapped_column(String(40))  # device time as sent, with its offset
    finished_at: Mapped[str] = mapped_column(String(40))
    received_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    submitted_at = mapped_column(UTCDateTime)
    # Head office review (server/review): pending once a completed visit is whole; then approved,
    # returned or rejected. NULL for visits that need no review (not at home, postponed, ...).
    review_state: Mapped[str | None] = mapped_column(String(16))
    # Queue order: the weight of the flags; riskiest first, then oldest.
    review_priority: Mapped[int] = mapped_column(default=0)
    reviewed_at = mapped_column(UTCDateTime)


# The review queue's keyset order (riskiest first, then oldest), over the pending visits only;
# institution_id last so the scope test and the queue's count are answered from the index alone.
Index(
    "ix_visit_review_pending",
    Visit.review_priority.desc(),
    Visit.submitted_at,
    Visit.uuid,
    Visit.institution_id,
    postgresql_where=text("review_state = 'pending'"),
    sqlite_where=text("review_state = 'pending'"),
)


class VisitMedia(db.Model):
    __tablename__ = "visit_media"

    visit_uuid: Mapped[str] = mapped_column(ForeignKey("visit.uuid", ondelete="CASCADE"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(24))
    mime: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(BigInteger)
    question_id: Mapped[str | None] = mapped_column(String(64))
    signer: Mapped[str | None] = mapped_column(String(16))


class MediaBlob(db.Model):
    """Upload progress of one content-addressed blob; the bytes live in the media store."""

    __tablename__ = "media_blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    total: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    complete: Mapped[bool] = mapped_column(default=False)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    completed_at = mapped_column(UTCDateTime)


class VisitConflict(db.Model):
    """A second, different record under a UUID already stored: kept whole for review, never dropped."""

    __tablename__ = "visit_conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), index=True)
    hash: Mapped[str] = mapped_column(String(64))
    record: Mapped[dict] = mapped_column(JSON)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    received_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ChangeLog(db.Model):
    """The server change sequence that devices pull from, in order.

    ``user_id`` names the one user a change is for (a task assigned to them, taken from them);
    NULL means everyone (a questionnaire version published). Rows say *what* changed; a pull
    attaches the entity's current state, so a page never carries stale copies.
    """

    __tablename__ = "change_log"
    __table_args__ = (Index("ix_change_log_user_seq", "user_id", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # task | tombstone | questionnaire_version | policy
    entity_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class MediaChunk(db.Model):
    """A received chunk of a blob still uploading, kept beside its offset in one transaction.

    Any app server can continue an upload another started; when the last chunk arrives the chunks
    are joined, verified against the blob's name, written to the blob store, and deleted.
    """

    __tablename__ = "media_chunk"

    sha256: Mapped[str] = mapped_column(ForeignKey("media_blob.sha256", ondelete="CASCADE"), primary_key=True)
    offset: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
