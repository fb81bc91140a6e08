from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.dbtypes import UTCDateTime, utcnow
from server.extensions import db

# uploaded: a file waits for its dry run; queued/running: a run is under way (mode says which);
# checked: a dry run finished; imported: written; rejected: invalid rows, nothing written;
# failed: the file could not be read, or the run broke (nothing written).
STATUSES = ("uploaded", "queued", "running", "checked", "imported", "rejected", "failed")
ACTIVE = ("queued", "running")
# What happened to a row: the outcome counts and the preview use these words.
OUTCOMES = ("task_created", "call_created", "duplicate", "out_of_scope", "error")


class IntakeBatch(db.Model):
    """One delivery of visit needs: a file (console or CLI) or a JSON batch (the policy system).

    The run's state lives here, not in process memory, so any app server answers its progress.
    """

    __tablename__ = "intake_batch"
    __scope__ = "institution_id"
    __table_args__ = (Index("ix_intake_batch_institution_created", "institution_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # file | api | cli
    # Idempotency of JSON batches (the sender's reference); a file batch has none.
    external_ref: Mapped[str | None] = mapped_column(String(80), unique=True)
    payload_sha256: Mapped[str | None] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(255))
    stored_name: Mapped[str | None] = mapped_column(String(80))  # under <instance>/intake/
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    file_format: Mapped[str | None] = mapped_column(String(8))  # csv | xlsx
    encoding: Mapped[str | None] = mapped_column(String(16))
    default_institution_code: Mapped[str | None] = mapped_column(String(32))
    # The uploader's institution: who may see the batch, and the scope its rows must lie in.
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    mode: Mapped[str] = mapped_column(String(8), default="dry_run")  # dry_run | import
    status: Mapped[str] = mapped_column(String(12), default="uploaded")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int | None] = mapped_column(Integer)  # known up front for XLSX only
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    preview: Mapped[list] = mapped_column(JSON, default=list)  # the first rows' outcomes
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    failure: Mapped[dict | None] = mapped_column(JSON)  # a file-level error: code, message, message_en
    unknown_columns: Mapped[list] = mapped_column(JSON, default=list)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    started_at = mapped_column(UTCDateTime)
    heartbeat_at = mapped_column(UTCDateTime)
    finished_at = mapped_column(UTCDateTime)
    checked_at = mapped_column(UTCDateTime)  # the last finished dry run


class IntakeRowError(db.Model):
    """One reason a row was refused, for the downloadable report (row, column, value, reason)."""

    __tablename__ = "intake_row_error"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("intake_batch.id", ondelete="CASCADE"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(40))
    value: Mapped[str | None] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(300))
    message_en: Mapped[str] = mapped_column(String(300))
