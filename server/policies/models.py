from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.dbtypes import EncryptedText, UTCDateTime, utcnow
from server.extensions import db
from server.institutions.models import Institution
from server.policies import pii


class Salesperson(db.Model):
    """A salesperson (销售人员) from the policy system's registry (R5, R13).

    Never a visitor: a task cannot go to a user whose phone or ID is a salesperson's own policy's
    seller, and a customer phone that is a salesperson's is a risk alert.
    """

    __tablename__ = "salesperson"
    __scope__ = "institution_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class Policy(db.Model):
    """A snapshot of a policy from the policy administration system (R4), refreshed at any time.

    Phones are stored normalised (digits only, mainland mobiles as 11 digits) so that R5's shared
    phone check is an indexed equality, not a scan. Money is integer fen.
    """

    __tablename__ = "policy"
    __scope__ = "institution_id"
    __table_args__ = (
        Index("ix_policy_holder_phone", "holder_phone"),
        Index("ix_policy_insured_phone", "insured_phone"),
        # Search by any part of a name (server/search): trigram GIN indexes on PostgreSQL (pg_trgm);
        # SQLite, the small embedded default, gets a plain index that serves exact names.
        Index(
            "ix_policy_holder_name_trgm",
            "holder_name",
            postgresql_using="gin",
            postgresql_ops={"holder_name": "gin_trgm_ops"},
        ),
        Index(
            "ix_policy_insured_name_trgm",
            "insured_name",
            postgresql_using="gin",
            postgresql_ops={"insured_name": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_number: Mapped[str] = mapped_column(String(40), unique=True)
    product_code: Mapped[str | None] = mapped_column(String(40))
    product_name: Mapped[str] = mapped_column(String(200))
    product_type: Mapped[str] = mapped_column(String(20))  # facts.ProductType
    channel: Mapped[str] = mapped_column(String(20))  # facts.Channel
    bank_name: Mapped[str | None] = mapped_column(String(100))
    group_business: Mapped[bool] = mapped_column(default=False)  # R1: group business is out of scope
    term_months: Mapped[int | None] = mapped_column()  # None: whole life
    holder_name: Mapped[str] = mapped_column(String(100))
    holder_id_type: Mapped[str] = mapped_column(String(16), default="resident_id")
    holder_id_number: Mapped[str | None] = mapped_column(EncryptedText())  # found by holder_id_hash
    holder_phone: Mapped[str | None] = mapped_column(String(20))
    holder_address: Mapped[str | None] = mapped_column(String(300))
    # Where the policy system has geocoded the address: a visit far from it is flagged for review.
    holder_address_lat: Mapped[float | None] = mapped_column(Float)
    holder_address_lon: Mapped[float | None] = mapped_column(Float)
    insured_name: Mapped[str] = mapped_column(String(100))
    insured_id_number: Mapped[str | None] = mapped_column(EncryptedText())
    insured_phone: Mapped[str | None] = mapped_column(String(20))
    # HMAC-SHA256 of the ID numbers under HUIFANG_PII_KEY (server/policies/pii.py): search by ID
    # number is an indexed equality on these, never on the clear numbers.
    holder_id_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    insured_id_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    pays_on_death: Mapped[bool] = mapped_column(default=False)
    premium_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    payment_frequency: Mapped[str] = mapped_column(String(16), default="annual")
    payment_period_years: Mapped[int | None] = mapped_column()
    sum_assured_fen: Mapped[int | None] = mapped_column(BigInteger)
    effective_date = mapped_column(Date)
    delivery_date = mapped_column(Date)
    cooling_off_end = mapped_column(Date)
    premium_due_date = mapped_column(Date)
    grace_end = mapped_column(Date)
    lapse_date = mapped_column(Date)
    salesperson_id: Mapped[int | None] = mapped_column(ForeignKey("salesperson.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    # R7 disclosures of new-type products: fee_items, first_premium_deduction_fen,
    # account_credit_fen, accumulating. Kept as sent by the policy system.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    salesperson: Mapped[Salesperson | None] = relationship()
    institution: Mapped[Institution] = relationship()


@event.listens_for(Policy, "before_insert")
@event.listens_for(Policy, "before_update")
def _hash_id_numbers(mapper, connection, policy: Policy) -> None:
    """Policies written through the ORM keep their ID hashes too (bulk writes compute their own)."""
    digest = pii.hasher()
    policy.holder_id_hash = digest(policy.holder_id_number)
    policy.insured_id_hash = digest(policy.insured_id_number)


class PolicyChange(db.Model):
    """History of the policy fields that matter to a visit (R4: contact details change)."""

    __tablename__ = "policy_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(String(300))
    new_value: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(20))  # policy_system | intake | recontact
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
