from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.dbtypes import UTCDateTime, utcnow
from server.extensions import db

DRAFT, PUBLISHED, RETIRED = "draft", "published", "retired"
STATUSES = (DRAFT, PUBLISHED, RETIRED)


class Questionnaire(db.Model):
    """A questionnaire by its stable code (new_business, grace_period, ...), owned by an institution.

    Its content lives in versions. R6: the province's content is one; a questionnaire is read by
    everyone once published and edited only by designers whose subtree holds the owner.
    """

    __tablename__ = "questionnaire"
    __scope__ = "institution_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    item: Mapped[str] = mapped_column(String(32))  # R1 business item
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    builtin: Mapped[bool] = mapped_column(default=False)  # loaded from templates/*.json
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.number", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<Questionnaire {self.code}>"


class QuestionnaireVersion(db.Model):
    """One version of a questionnaire. A draft is editable; published and retired ones never change.

    A visit binds the id of the version it used (the tablet carries exactly that definition offline).
    """

    __tablename__ = "questionnaire_version"
    __table_args__ = (
        UniqueConstraint("questionnaire_id", "number"),
        CheckConstraint("status IN ('draft', 'published', 'retired')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=DRAFT, index=True)
    definition: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical definition
    note: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at = mapped_column(UTCDateTime)
    retired_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    retired_at = mapped_column(UTCDateTime)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions", lazy="joined")

    @property
    def code(self) -> str:
        return self.questionnaire.code

    def __repr__(self) -> str:
        return f"<QuestionnaireVersion {self.questionnaire_id}.{self.number} {self.status}>"


class ProblemCategory(db.Model):
    """The taxonomy of problems a callback can find (R4 problem classification, R16).

    Administrators and compliance officers edit it; a category is deactivated, never deleted, because
    published versions and problem cases refer to its code.
    """

    __tablename__ = "problem_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500))
    # R16: violations that must be reported to sales and to internal control and compliance.
    reportable: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
