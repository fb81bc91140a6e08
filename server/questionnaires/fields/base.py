"""The common base of question types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

FIELDS: dict[str, Field] = {}


@dataclass(frozen=True)
class Issue:
    """One thing wrong with an answer, in both languages; ``question_id`` is filled in by the caller."""

    code: str
    message: str
    message_en: str
    details: dict = field(default_factory=dict)


def register(cls: type[Field]) -> type[Field]:
    FIELDS[cls.name] = cls()
    return cls


class Field:
    name: ClassVar[str]
    label: ClassVar[str]  # the type's name in Chinese, for the designer
    label_en: ClassVar[str]
    # False for types whose capture is not an entry of ``answers`` (signatures travel on their own).
    answered: ClassVar[bool] = True

    def check_definition(self, question: dict) -> list[str]:
        """Problems with the type-specific part of a question definition (beyond the JSON Schema)."""
        return []

    def categories(self, question: dict) -> set[str]:
        """The problem category codes a question may signal (each must exist in the taxonomy)."""
        code = question.get("problem_category")
        return {code} if code else set()

    def check_answer(self, value: Any, question: dict, facts: dict) -> list[Issue]:
        """Issues with an answer given to a relevant question (presence is checked by the caller)."""
        return []

    def problems(self, value: Any, question: dict) -> list[str]:
        """The problem categories this answer signals (R16 problem cases)."""
        return []

    def summary(self, value: Any, question: dict) -> str:
        """The answer as a reviewer reads it, in Chinese."""
        return "" if value is None else str(value)


def wrong_type(expected_zh: str, expected_en: str) -> Issue:
    return Issue("answer_type", f"答案应为{expected_zh}", f"The answer must be {expected_en}")


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
