"""A statement the specialist reads out; the customer confirms having heard and understood it (R6).

Answers: ``"understood"`` or ``"not_understood"``. Not understood signals ``problem_category``
(``not_understood`` unless the question says otherwise): an explanation case (R14).
"""

from __future__ import annotations

from server.questionnaires.fields.base import Field, register, wrong_type

ANSWERS = {"understood": "已听清并理解", "not_understood": "未理解"}


@register
class Statement(Field):
    name = "statement"
    label = "告知确认"
    label_en = "Statement"

    def categories(self, question):
        return {question.get("problem_category", "not_understood")}

    def check_answer(self, value, question, facts):
        if value not in ANSWERS:
            return [wrong_type("“已听清并理解”或“未理解”", '"understood" or "not_understood"')]
        return []

    def problems(self, value, question):
        return [question.get("problem_category", "not_understood")] if value == "not_understood" else []

    def summary(self, value, question):
        return ANSWERS.get(value, "")
