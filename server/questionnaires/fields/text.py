"""Free text the specialist writes down (the customer's own words)."""

from __future__ import annotations

import re

from server.questionnaires.fields.base import Field, Issue, register, wrong_type

DEFAULT_MAX_LENGTH = 500


@register
class Text(Field):
    name = "text"
    label = "文本"
    label_en = "Text"

    def check_definition(self, question):
        pattern = question.get("pattern")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error:
                return [f"bad_pattern: {pattern}"]
        return []

    def check_answer(self, value, question, facts):
        if not isinstance(value, str):
            return [wrong_type("文字", "text")]
        if not value.strip():
            return [Issue("required", "此题必须回答", "This question must be answered")]
        limit = question.get("max_length", DEFAULT_MAX_LENGTH)
        if len(value) > limit:
            return [Issue("too_long", f"不能超过{limit}个字", f"At most {limit} characters", {"max": limit})]
        pattern = question.get("pattern")
        if pattern and not re.fullmatch(pattern, value):
            return [Issue("pattern_mismatch", "格式不正确", "The format is not right")]
        return []
