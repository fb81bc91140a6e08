from __future__ import annotations

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.dbtypes import UTCDateTime, utcnow
from server.extensions import db


class EvidenceKey(db.Model):
    """A public key the server has sealed with. Kept forever: old seals must still verify."""

    __tablename__ = "evidence_key"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # RFC 7638 thumbprint
    public_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | retired | revoked
    created_at: Mapped[str] = mapped_column(String(40))
    changed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class EvidenceRecord(db.Model):
    """The sealed manifest of one visit and its place in the log (assigned when its batch is logged)."""

    __tablename__ = "evidence_record"

    visit_uuid: Mapped[str] = mapped_column(ForeignKey("visit.uuid", ondelete="RESTRICT"), primary_key=True)
    leaf_index: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    manifest: Mapped[dict] = mapped_column(JSON)
    manifest_hash: Mapped[str] = mapped_column(String(64))
    seal: Mapped[dict] = mapped_column(JSON)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class TreeHead(db.Model):
    """A signed head of the log after a batch, with the frontier the next append continues from."""

    __tablename__ = "tree_head"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    head: Mapped[dict] = mapped_column(JSON)
    frontier: Mapped[list] = mapped_column(JSON)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
