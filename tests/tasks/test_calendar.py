"""Working days on the mainland calendar: holidays, make-up weekends, unknown years (R8)."""

from __future__ import annotations

from datetime import date

import pytest

from server.calendar.services import WorkCalendar, enter_year, set_day
from server.errors import HuifangError
from server.extensions import db
from tests.server.conftest import assert_error


@pytest.fixture
def cal(app_ctx):
    return WorkCalendar.load()


def test_spring_festival_2026_is_off_and_its_make_up_saturdays_are_work(cal):
    # 2026: holiday 15–23 February; Saturday 14 February and Saturday 28 February are working days.
    assert cal.is_workday(date(2026, 2, 14))  # Saturday, make-up working day
    assert not any(cal.is_workday(date(2026, 2, d)) for d in range(15, 24))
    assert cal.is_workday(date(2026, 2, 28))  # Saturday, make-up working day
    # Friday 13 Feb + 1 working day is the make-up Saturday, not Monday 16 (a holiday).
    assert cal.add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert cal.add_workdays(date(2026, 2, 14), 1) == date(2026, 2, 24)


def test_national_day_2026_with_its_make_up_days(cal):
    assert cal.is_workday(date(2026, 9, 20))  # Sunday, make-up working day
    assert not any(cal.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert cal.is_workday(date(2026, 10, 10))  # Saturday, make-up working day
    assert cal.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    # Counting backwards over the holiday, as R8 does before a grace period ends.
    assert cal.add_workdays(date(2026, 10, 8), -1) == date(2026, 9, 30)


def test_fifteen_working_days_before_a_grace_end_across_national_day(cal):
    # 15 working days back from 20 Oct 2026 skip 1–7 Oct and count Saturday 10 Oct.
    assert cal.add_workdays(date(2026, 10, 20), -15) == date(2026, 9, 22)
    assert cal.workdays_between(date(2026, 9, 22), date(2026, 10, 20)) == 15


def test_a_year_nobody_knows_is_an_error_that_names_it(cal):
    with pytest.raises(HuifangError) as caught:
        cal.is_workday(date(2027, 1, 4))
    assert caught.value.code == "calendar_year_unknown"
    assert caught.value.details == {"year": 2027}
    assert "2027" in caught.value.message


def test_an_entered_year_is_used_with_its_make_up_days(app_ctx):
    enter_year(
        2027,
        [
            {"date": date(2027, 1, 1), "is_workday": False, "name": "元旦"},
            {"date": date(2027, 2, 6), "is_workday": True, "name": "春节调休上班"},  # a Saturday
        ],
        "hypothetical schedule for the test",
        None,
    )
    db.session.commit()
    cal = WorkCalendar.load()
    assert not cal.is_workday(date(2027, 1, 1))  # Friday, holiday
    assert cal.is_workday(date(2027, 2, 6))  # Saturday, make-up
    assert not cal.is_workday(date(2027, 2, 7))  # Sunday
    assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_an_override_beats_the_package(app_ctx):
    set_day(date(2026, 12, 31), False, "临时放假", None)
    db.session.commit()
    assert not WorkCalendar.load().is_workday(date(2026, 12, 31))


def test_calendar_api_reads_and_admin_enters_a_year(login_as):
    admin = login_as("admin")
    year = admin.get("/api/v1/calendar/2026").json
    assert year["known"] and year["source"] == "chinesecalendar"
    feb14 = next(day for day in year["days"] if day["date"] == "2026-02-14")
    assert feb14["is_workday"] is True and feb14["origin"] == "package"
    assert admin.get("/api/v1/calendar/2027").json["known"] is False
    assert_error(admin.get("/api/v1/calendar/workdays?start=2027-03-01&days=3"), 422, "calendar_year_unknown")
    assert_error(admin.get("/api/v1/calendar/workdays?start=0001-01-01&days=-3"), 422, "date_out_of_range")

    body = {
        "source": "国务院办公厅通知（测试）",
        "days": [{"date": "2027-10-01", "is_workday": False, "name": "国庆节"}],
    }
    assert admin.put("/api/v1/calendar/2027", json=body).json["known"] is True
    answer = admin.get("/api/v1/calendar/workdays?start=2027-09-30&days=1").json
    assert answer["result"] == "2027-10-04"
    bad = admin.put(
        "/api/v1/calendar/2027", json={"source": "x", "days": [{"date": "2028-01-01", "is_workday": False}]}
    )
    assert_error(bad, 422, "calendar_date_outside_year")


def test_only_administrators_change_the_calendar(login_as):
    supervisor = login_as("supervisor")
    assert_error(
        supervisor.put("/api/v1/calendar/days/2026-12-31", json={"is_workday": False}), 403, "forbidden"
    )
