"""Yes or no (true / false). ``problem_when`` names the answer that signals ``problem_category``."""

from __future__ import annotations

from server.questionnaires.fields.base import Field, register, wrong_type


@register
class YesNo(Field):
    name = "yes_no"
    label = "是/否"
    label_en = "Yes / no"

    def check_definition(self, question):
        if question.get("problem_category") and "problem_when" not in question:
            return ["problem_when_missing: a yes/no problem category needs problem_when (true or false)"]
        return []

    def check_answer(self, value, question, facts):
        return [] if isinstance(value, bool) else [wrong_type("“是”或“否”", "true or false")]

    def problems(self, value, question):
        code = question.get("problem_category")
        return [code] if code and value is question.get("problem_when") else []

    def summary(self, value, question):
        return {True: "是", False: "否"}.get(value, "")
