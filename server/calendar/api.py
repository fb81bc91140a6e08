from datetime import date

from flask import g
from flask_smorest import Blueprint

from server.audit import services as audit
from server.auth.access import roles_required
from server.calendar import services
from server.calendar.schemas import (
    CalendarYearSchema,
    DayUpdateSchema,
    WorkdayAnswerSchema,
    WorkdayQuerySchema,
    YearEntrySchema,
)
from server.errors import HuifangError
from server.extensions import db
from server.users.roles import ADMIN

blp = Blueprint(
    "calendar", __name__, url_prefix="/api/v1/calendar", description="工作日历 Working-day calendar"
)


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise HuifangError("year_invalid", "年份无效", "Invalid year", 422, {"year": year})
    return year


@blp.route("/<int:year>", methods=["GET"])
@blp.response(200, CalendarYearSchema)
def get_year(year):
    """The holidays and make-up working days of a year, and whether the year is known at all."""
    return services.year_view(_year(year))


@blp.route("/<int:year>", methods=["PUT"])
@blp.arguments(YearEntrySchema)
@blp.response(200, CalendarYearSchema)
@roles_required(ADMIN)
def enter_year(args, year):
    """Type in the official schedule of a year (holidays and make-up working days), e.g. 2027."""
    services.enter_year(_year(year), args["days"], args["source"], g.user.id)
    audit.record("calendar_year_entered", year=year, source=args["source"], days=len(args["days"]))
    db.session.commit()
    return services.year_view(year)


@blp.route("/days/<string:day>", methods=["PUT"])
@blp.arguments(DayUpdateSchema)
@blp.response(200, CalendarYearSchema)
@roles_required(ADMIN)
def set_day(args, day):
    """Override one date (e.g. a holiday announced late)."""
    parsed = _parse(day)
    services.set_day(parsed, args["is_workday"], args.get("name"), g.user.id)
    audit.record("calendar_day_set", day=day, is_workday=args["is_workday"], name=args.get("name"))
    db.session.commit()
    return services.year_view(parsed.year)


@blp.route("/days/<string:day>", methods=["DELETE"])
@blp.response(200, CalendarYearSchema)
@roles_required(ADMIN)
def clear_day(day):
    """Remove an administrator's statement about one date (the package's answer applies again)."""
    parsed = _parse(day)
    services.clear_day(parsed)
    audit.record("calendar_day_cleared", day=day)
    db.session.commit()
    return services.year_view(parsed.year)


@blp.route("/workdays", methods=["GET"])
@blp.arguments(WorkdayQuerySchema, location="query")
@blp.response(200, WorkdayAnswerSchema)
def add_workdays(args):
    """The date that many working days after (or before, when negative) a start date."""
    try:
        result = services.add_workdays(args["start"], args["days"])
    except OverflowError as exc:  # counted past year 1 or year 9999 (schemathesis found it)
        raise HuifangError(
            "date_out_of_range",
            "日期超出可计算范围",
            "The date is outside the range that can be counted",
            422,
        ) from exc
    return {**args, "result": result}


def _parse(day: str) -> date:
    try:
        return date.fromisoformat(day)
    except ValueError as exc:
        raise HuifangError("date_invalid", "日期格式应为 YYYY-MM-DD", "Dates are YYYY-MM-DD", 422) from exc
