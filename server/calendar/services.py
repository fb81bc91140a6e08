"""Working days on the mainland China calendar (R8: "15 working days before the grace period ends").

A day is a working day when it is Monday–Friday and not a public holiday, or when it is a make-up
working weekend day (调休上班). The chinesecalendar package knows 2004–2026; an administrator's
CalendarDay rows override it and, with a CalendarYear row, supply whole years it does not know.
A date in a year known to neither is an error naming the year, never a silent guess: a due date
that is off by a Spring Festival week is a compliance breach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
from sqlalchemy import select

from server.calendar.models import CalendarDay, CalendarYear
from server.errors import HuifangError
from server.extensions import db


@lru_cache(maxsize=1)
def package_years() -> frozenset[int]:
    return frozenset(d.year for d in chinese_calendar.holidays) | frozenset(
        d.year for d in chinese_calendar.workdays
    )


@lru_cache(maxsize=8192)
def _package_is_workday(day: date) -> bool:
    """chinese_calendar's answer, remembered: the package scans its tables on every call, and its
    data cannot change while the process runs."""
    return chinese_calendar.is_workday(day)


def unknown_year(year: int) -> HuifangError:
    return HuifangError(
        "calendar_year_unknown",
        f"{year} 年的法定节假日安排尚未录入，无法计算工作日。"
        f"请管理员在“工作日历”中录入国务院公布的 {year} 年安排",
        f"The official holiday schedule of {year} is not in the calendar yet; an administrator must enter it",
        422,
        {"year": year},
    )


@dataclass
class WorkCalendar:
    """The calendar loaded once: package data plus every administrator override. Cheap to query."""

    overrides: dict[date, bool] = field(default_factory=dict)
    entered_years: frozenset[int] = frozenset()
    # A batch of tasks asks about the same days and the same shifts over and over.
    _known: dict[date, bool] = field(default_factory=dict, repr=False)
    _shifted: dict[tuple[date, int], date] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls) -> WorkCalendar:
        overrides = {row.day: row.is_workday for row in db.session.scalars(select(CalendarDay))}
        years = frozenset(db.session.scalars(select(CalendarYear.year)))
        return cls(overrides, years)

    def knows(self, year: int) -> bool:
        return year in self.entered_years or year in package_years()

    def is_workday(self, day: date) -> bool:
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._decide(day)
        return known

    def _decide(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.year in self.entered_years:
            return day.weekday() < 5  # the year's holidays and make-up days are all overrides
        if day.year in package_years():
            return _package_is_workday(day)
        raise unknown_year(day.year)

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after start (n > 0) or before it (n < 0); start itself never counts."""
        key = (start, n)
        found = self._shifted.get(key)
        if found is None:
            found = self._shifted[key] = self._add_workdays(start, n)
        return found

    def _add_workdays(self, start: date, n: int) -> date:
        step = timedelta(days=1 if n >= 0 else -1)
        day, left = start, abs(n)
        while left:
            day += step
            if self.is_workday(day):
                left -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after start up to and including end (negative when end is before start)."""
        if end < start:
            return -self.workdays_between(end, start)
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return count


def is_workday(day: date) -> bool:
    return WorkCalendar.load().is_workday(day)


def add_workdays(day: date, n: int) -> date:
    return WorkCalendar.load().add_workdays(day, n)


def year_view(year: int) -> dict:
    """Every date of a year that is not plain Monday–Friday work, and where each statement comes from."""
    cal = WorkCalendar.load()
    if not cal.knows(year):
        return {"year": year, "known": False, "source": None, "note": None, "days": []}
    names = {
        row.day: row.name
        for row in db.session.scalars(
            select(CalendarDay).where(
                CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)
            )
        )
    }
    days, day = [], date(year, 1, 1)
    while day.year == year:
        workday = cal.is_workday(day)
        if day in cal.overrides:
            days.append({"date": day, "is_workday": workday, "origin": "override", "name": names.get(day)})
        elif workday != (day.weekday() < 5):
            name = chinese_calendar.get_holiday_detail(day)[1]
            days.append({"date": day, "is_workday": workday, "origin": "package", "name": name})
        day += timedelta(days=1)
    source = "administrator" if year in cal.entered_years else "chinesecalendar"
    entered = db.session.get(CalendarYear, year)
    return {
        "year": year,
        "known": True,
        "source": source,
        "note": entered.source if entered else None,
        "days": days,
    }


def set_day(day: date, is_workday: bool, name: str | None, actor_id: int | None) -> CalendarDay:
    row = db.session.get(CalendarDay, day) or CalendarDay(day=day)
    row.is_workday, row.name, row.updated_by = is_workday, name, actor_id
    db.session.add(row)
    return row


def clear_day(day: date) -> None:
    row = db.session.get(CalendarDay, day)
    if row is not None:
        db.session.delete(row)


def enter_year(year: int, days: list[dict], source: str | None, actor_id: int | None) -> None:
    """Type in a year's official schedule: its holidays and make-up working days, as one act.

    Dates not listed follow Monday–Friday. Replaces what was entered for that year before.
    """
    for entry in days:
        if entry["date"].year != year:
            raise HuifangError(
                "calendar_date_outside_year",
                f"{entry['date']} 不在 {year} 年内",
                f"{entry['date']} is not in {year}",
                422,
                {"date": entry["date"].isoformat()},
            )
    for row in db.session.scalars(
        select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    ):
        db.session.delete(row)
    db.session.flush()
    for entry in days:
        set_day(entry["date"], entry["is_workday"], entry.get("name"), actor_id)
    row = db.session.get(CalendarYear, year) or CalendarYear(year=year)
    row.source, row.updated_by = source, actor_id
    db.session.add(row)
