from __future__ import annotations

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from server.dbtypes import UTCDateTime, utcnow
from server.extensions import db

# confirmation: after head office approved a visit, the customer is called to confirm that the
# visit took place, that the signature is theirs and that the explanation was understood (R14).
# first_call: the first callback of an item by phone (R11 phone first), with the phone version of
# the item's questionnaire as its script.
KINDS = ("confirmation", "first_call")
# pending: waiting for a call (or its next attempt); done: an outcome was reached;
# to_letter: never reached after every attempt, a letter goes instead (R13).
# recontact: a first call never reached after every attempt, or without a working number: other
# departments re-confirm the phone (R12), which brings it back to the queue.
STATUSES = ("pending", "done", "to_letter", "recontact")
# What one call attempt came to.
ATTEMPT_RESULTS = ("reached", "no_answer", "busy", "wrong_number", "refused")
# What a reached customer said; each but confirmed opens its follow-up.
CONFIRMATION_OUTCOMES = ("confirmed", "not_visited", "signature_not_genuine", "not_understood", "unreachable")
# What a first call came to; each opens exactly its follow-up (R13–R16), "answered" only the cases
# of the problems the answers signal.
FIRST_CALL_OUTCOMES = (
    "answered",
    "wants_explanation",  # R14: unclear and wanting more: an explanation visit
    "unsigned_papers",  # R15: unsigned or proxy-signed papers: a re-sign case and its visit
    "misconduct",  # R16: a salesperson's misconduct: a compliance case
    "phone_refused",  # R13: refuses phone callbacks: a visit task (source phone_refused)
    "wants_letter",  # R13: refuses phone callbacks and prefers a letter
)
OUTCOMES = CONFIRMATION_OUTCOMES + FIRST_CALL_OUTCOMES


class PhoneCallback(db.Model):
    __tablename__ = "phone_callback"
    __scope__ = "institution_id"
    __table_args__ = (Index("ix_phone_callback_queue", "status", "due_date", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="confirmation")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    outcome: Mapped[str | None] = mapped_column(String(24))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("visit_task.id"), index=True)  # confirmation
    visit_uuid: Mapped[str | None] = mapped_column(ForeignKey("visit.uuid"), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # who holds it now
    held_at = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at = mapped_column(UTCDateTime)
    due_date = mapped_column(Date, nullable=False)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(String(1000))
    # R4: the recording is kept with the callback record: the call centre's id, or a file we store.
    recording_ref: Mapped[str | None] = mapped_column(String(200))
    recording_sha256: Mapped[str | None] = mapped_column(String(64))
    recording_mime: Mapped[str | None] = mapped_column(String(40))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    completed_at = mapped_column(UTCDateTime)
    # first_call: the business item (R1), its phone questionnaire, the intake's idempotency key
    item: Mapped[str | None] = mapped_column(String(20))
    event_date = mapped_column(Date)
    questionnaire_code: Mapped[str | None] = mapped_column(String(40))
    questionnaire_version_id: Mapped[int | None] = mapped_column()
    external_ref: Mapped[str | None] = mapped_column(String(80), unique=True)
    # The customer's preferred time of day and the calling window (Beijing time; null: the defaults).
    preferred_time = mapped_column(Time)
    call_from = mapped_column(Time)
    call_until = mapped_column(Time)
    # The visit task a first call's outcome created (its follow-up), linked back to the call.
    followup_task_id: Mapped[int | None] = mapped_column(ForeignKey("visit_task.id"))


class CallbackAttempt(db.Model):
    __tablename__ = "callback_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    callback_id: Mapped[int] = mapped_column(ForeignKey("phone_callback.id", ondelete="CASCADE"), index=True)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    source: Mapped[str] = mapped_column(String(16), default="console")  # console | call_centre
    result: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(String(1000))
    recording_ref: Mapped[str | None] = mapped_column(String(200))
