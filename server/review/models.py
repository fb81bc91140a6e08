from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.dbtypes import UTCDateTime, utcnow
from server.extensions import db

DECISIONS = ("approve", "return", "reject")
# Why a visit goes back to the specialist or is refused; the tablet shows these words.
REASONS: dict[str, tuple[str, str]] = {
    "signature_unclear": ("签名不清晰或不完整", "The signature is unclear or incomplete"),
    "signature_missing": ("缺少应有的签名", "A required signature is missing"),
    "photo_unclear": ("照片不清晰或缺失", "A photo is unclear or missing"),
    "answers_incomplete": ("问卷回答不完整或前后矛盾", "Answers are incomplete or contradict each other"),
    "identity_not_verified": (
        "未能确认是投保人本人",
        "It is not shown that the policyholder was met in person",
    ),
    "wrong_questionnaire": ("使用的问卷不正确", "The wrong questionnaire was used"),
    "place_or_time_doubtful": ("面访时间或地点存疑", "The time or place of the visit is doubtful"),
    "other": ("其他（见说明）", "Other (see the note)"),
}


class ReviewDecision(db.Model):
    """One reviewer's decision on one visit; a visit returned and visited again gets a new one."""

    __tablename__ = "review_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_uuid: Mapped[str] = mapped_column(ForeignKey("visit.uuid"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("visit_task.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decision: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[list] = mapped_column(JSON, default=list)  # codes of REASONS
    note: Mapped[str | None] = mapped_column(String(1000))
    flags: Mapped[list] = mapped_column(JSON, default=list)  # what the reviewer saw
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
