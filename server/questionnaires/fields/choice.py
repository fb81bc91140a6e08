"""Single and multiple choice; a choice may signal a problem category."""

from __future__ import annotations

from typing import Any

from server.questionnaires.fields.base import Field, Issue, register, wrong_type


class _Choices(Field):
    def check_definition(self, question: dict) -> list[str]:
        values = [choice["value"] for choice in question.get("choices", [])]
        dupes = sorted({v for v in values if values.count(v) > 1})
        return [f"duplicate_choice: {v}" for v in dupes]

    def categories(self, question: dict) -> set[str]:
        found = super().categories(question)
        return found | {
            c["problem_category"] for c in question.get("choices", []) if c.get("problem_category")
        }

    def _choice(self, question: dict, value: Any) -> dict | None:
        return next((c for c in question.get("choices", []) if c["value"] == value), None)

    def _label(self, question: dict, value: Any) -> str:
        choice = self._choice(question, value)
        return choice["label"] if choice else str(value)


@register
class SingleChoice(_Choices):
    name = "single_choice"
    label = "单选"
    label_en = "Single choice"

    def check_answer(self, value, question, facts):
        if not isinstance(value, str):
            return [wrong_type("一个选项", "one of the choices")]
        if self._choice(question, value) is None:
            return [Issue("unknown_choice", "所选选项不在问卷中", "No such choice", {"value": value})]
        return []

    def problems(self, value, question):
        choice = self._choice(question, value)
        return [choice["problem_category"]] if choice and choice.get("problem_category") else []

    def summary(self, value, question):
        return self._label(question, value)


@register
class MultipleChoice(_Choices):
    name = "multiple_choice"
    label = "多选"
    label_en = "Multiple choice"

    def check_answer(self, value, question, facts):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return [wrong_type("选项列表", "a list of choices")]
        issues = []
        if len(set(value)) != len(value):
            issues.append(Issue("duplicate_choice", "同一选项选了两次", "A choice is given twice"))
        unknown = [v for v in value if self._choice(question, v) is None]
        if unknown:
            issues.append(Issue("unknown_choice", "所选选项不在问卷中", "No such choice", {"value": unknown}))
        low, high = question.get("min_selected"), question.get("max_selected")
        if low is not None and len(value) < low:
            issues.append(Issue("too_few_choices", f"至少选择{low}项", f"Choose at least {low}"))
        if high is not None and len(value) > high:
            issues.append(Issue("too_many_choices", f"最多选择{high}项", f"Choose at most {high}"))
        return issues

    def problems(self, value, question):
        found = []
        for v in value or []:
            choice = self._choice(question, v)
            if choice and choice.get("problem_category") and choice["problem_category"] not in found:
                found.append(choice["problem_category"])
        return found

    def summary(self, value, question):
        return "、".join(self._label(question, v) for v in value or [])
