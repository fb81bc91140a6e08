from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.dbtypes import UTCDateTime, utcnow
from server.extensions import db

LEVELS = ("province", "city", "county")
CHILD_LEVEL = {"province": "city", "city": "county"}


class Institution(db.Model):
    """A node of the institution tree (R2: province → city → county).

    ``path`` is the materialised path of ids, e.g. ``/1/4/9/``: a subtree is every row whose path
    starts with the root's path, one indexed prefix comparison on SQLite and PostgreSQL alike. The
    scoping of every business query is built on it (server.scoping).
    """

    __tablename__ = "institution"
    __scope__ = "id"
    __table_args__ = (CheckConstraint("level IN ('province', 'city', 'county')", name="level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    parent: Mapped[Institution | None] = relationship(remote_side=[id])

    @property
    def path_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]

    @property
    def ancestry(self) -> list[Institution]:
        """From the province down to this institution."""
        rows = db.session.scalars(select(Institution).where(Institution.id.in_(self.path_ids))).all()
        return sorted(rows, key=lambda row: len(row.path))

    def is_within(self, other: Institution) -> bool:
        """True when self is other or lies below it."""
        return self.path.startswith(other.path)

    def __repr__(self) -> str:
        return f"<Institution {self.code} {self.name}>"
