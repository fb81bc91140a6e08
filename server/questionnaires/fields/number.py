"""A number, optionally whole and within bounds."""

from __future__ import annotations

from server.questionnaires.fields.base import Field, Issue, is_number, register, wrong_type


@register
class Number(Field):
    name = "number"
    label = "数字"
    label_en = "Number"

    def check_definition(self, question):
        low, high = question.get("min"), question.get("max")
        if low is not None and high is not None and low > high:
            return ["bad_range: min is above max"]
        return []

    def check_answer(self, value, question, facts):
        if not is_number(value) or value != value:  # NaN
            return [wrong_type("数字", "a number")]
        if question.get("integer") and value != int(value):
            return [wrong_type("整数", "a whole number")]
        low, high = question.get("min"), question.get("max")
        if low is not None and value < low:
            return [Issue("below_min", f"不能小于{low}", f"Must be at least {low}", {"min": low})]
        if high is not None and value > high:
            return [Issue("above_max", f"不能大于{high}", f"Must be at most {high}", {"max": high})]
        return []

    def summary(self, value, question):
        unit = question.get("unit", "")
        return f"{value}{unit}"
