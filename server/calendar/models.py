from __future__ import annotations

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.dbtypes import UTCDateTime, utcnow
from server.extensions import db


class CalendarDay(db.Model):
    """An administrator's statement about one date: a holiday, or a make-up working day (调休).

    Overrides the chinesecalendar package, and is the only source for years it does not know.
    """

    __tablename__ = "calendar_day"

    day = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column()
    name: Mapped[str | None] = mapped_column(String(50))  # 春节, 国庆节, 春节调休上班 ...
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class CalendarYear(db.Model):
    """A year whose official schedule an administrator has typed in completely.

    Dates in a year that neither the package nor this table knows are an error, never a guess.
    """

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str | None] = mapped_column(String(200))  # e.g. the State Council notice
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
