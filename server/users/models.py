from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.dbtypes import UTCDateTime, utcnow
from server.extensions import db
from server.institutions.models import Institution


class User(db.Model):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL
    __scope__ = "institution_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: "Specialist1" and "specialist1" are one account.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    password_changed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Login lockout (server.security.lockout): wrong passwords in a row since the last success or
    # lockout, and until when sign-in is refused. In the database, so every app server agrees.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until = mapped_column(UTCDateTime, nullable=True)

    institution: Mapped[Institution] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def roles(self) -> list[str]:
        return [row.role for row in self.role_rows]

    def has_role(self, *roles: str) -> bool:
        return any(row.role in roles for row in self.role_rows)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserRole(db.Model):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
