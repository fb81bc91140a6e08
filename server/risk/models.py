from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.dbtypes import UTCDateTime, utcnow
from server.extensions import db

KINDS = ("shared_phone", "salesperson_phone")
STATUSES = ("open", "investigating", "resolved", "dismissed")


class RiskAlert(db.Model):
    """One phone number under suspicion, with the policies that carry it.

    shared_phone: holders of different policies give the same contact phone.
    salesperson_phone: a customer's phone is a salesperson's.
    """

    __tablename__ = "risk_alert"
    __scope__ = "institution_id"
    __table_args__ = (UniqueConstraint("kind", "phone", name="uq_risk_alert_kind_phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    salesperson_id: Mapped[int | None] = mapped_column(ForeignKey("salesperson.id"))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    resolution: Mapped[str | None] = mapped_column(String(500))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolved_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    policies: Mapped[list[RiskAlertPolicy]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class RiskAlertPolicy(db.Model):
    __tablename__ = "risk_alert_policy"

    alert_id: Mapped[int] = mapped_column(ForeignKey("risk_alert.id", ondelete="CASCADE"), primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy.id", ondelete="CASCADE"), primary_key=True)
    added_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
