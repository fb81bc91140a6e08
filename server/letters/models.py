from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.dbtypes import UTCDateTime, utcnow
from server.extensions import db

# created: the letter exists and can be printed; mailed: it went out (carrier, tracking number);
# returned: the signed paper came back and its scan is stored; verified: a reviewer accepted it and
# the task is closed; rejected: a reviewer refused it (a problem case is open, a new letter may go);
# cancelled: withdrawn before a decision (undeliverable, issued by mistake, ...).
STATUSES = ("created", "mailed", "returned", "verified", "rejected", "cancelled")
# A task has at most one letter in these at a time.
OPEN_STATUSES = ("created", "mailed", "returned")
DECISIONS = ("verify", "reject")
# Why a reviewer refuses a returned letter; the console shows these words.
REJECT_REASONS: dict[str, tuple[str, str]] = {
    "holder_signature_missing": ("缺少投保人亲笔签名", "The policyholder's signature is missing"),
    "insured_signature_missing": ("缺少被保险人亲笔签名", "The insured's signature is missing"),
    "signature_doubtful": ("签名与投保资料不符或疑似代签", "The signature does not match or may be by proxy"),
    "answers_incomplete": ("问卷未答完整或前后矛盾", "Answers are incomplete or contradict each other"),
    "identity_mismatch": ("证件号码后几位与保单不符", "The ID digits do not match the policy"),
    "wrong_paper": ("寄回的不是本函件（回访码不符）", "The paper returned is not this letter (code differs)"),
    "other": ("其他（见说明）", "Other (see the note)"),
}


class LetterCallback(db.Model):
    """A questionnaire sent by post (R13): printed with its code, mailed, signed, returned, reviewed."""

    __tablename__ = "letter_callback"
    __scope__ = "institution_id"
    __table_args__ = (
        Index("ix_letter_callback_task_status", "task_id", "status"),
        Index("ix_letter_callback_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("visit_task.id"), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    # "HF" + Crockford base32 of the id + a check character; set in the transaction that inserts.
    code: Mapped[str | None] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="created")
    reason: Mapped[str] = mapped_column(String(500))
    # The holder and address at creation (the policy may change later; the letter went here).
    recipient_name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    questionnaire_version_id: Mapped[int | None] = mapped_column(ForeignKey("questionnaire_version.id"))
    mailed_at = mapped_column(UTCDateTime)
    carrier: Mapped[str | None] = mapped_column(String(40))
    tracking_no: Mapped[str | None] = mapped_column(String(64))
    returned_at = mapped_column(UTCDateTime)
    # The scan of the signed paper, in the content-addressed media store.
    scan_sha256: Mapped[str | None] = mapped_column(String(64))
    scan_mime: Mapped[str | None] = mapped_column(String(40))
    scan_size: Mapped[int | None] = mapped_column(Integer)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at = mapped_column(UTCDateTime)
    decision_reasons: Mapped[list] = mapped_column(JSON, default=list)  # codes of REJECT_REASONS
    note: Mapped[str | None] = mapped_column(String(1000))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class LetterEvent(db.Model):
    """A letter's history, in order: created, printed, mailed, scan uploaded, verified or rejected."""

    __tablename__ = "letter_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter_callback.id", ondelete="CASCADE"), index=True)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
