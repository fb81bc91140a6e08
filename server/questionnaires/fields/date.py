"""A calendar date, YYYY-MM-DD."""

from __future__ import annotations

from datetime import date

from server.questionnaires.fields.base import Field, Issue, register, wrong_type
from server.questionnaires.placeholders import format_date


def _parse(value) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@register
class Date(Field):
    name = "date"
    label = "日期"
    label_en = "Date"

    def check_definition(self, question):
        bad = [key for key in ("min", "max") if key in question and _parse(question[key]) is None]
        return [f"bad_date: {key} is not YYYY-MM-DD" for key in bad]

    def check_answer(self, value, question, facts):
        day = _parse(value)
        if day is None:
            return [wrong_type("日期（年-月-日）", "a date (YYYY-MM-DD)")]
        if "min" in question and day < _parse(question["min"]):
            return [Issue("before_min", "日期过早", "The date is too early", {"min": question["min"]})]
        if "max" in question and day > _parse(question["max"]):
            return [Issue("after_max", "日期过晚", "The date is too late", {"max": question["max"]})]
        return []

    def summary(self, value, question):
        return format_date(value)
