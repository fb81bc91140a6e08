"""Photos: a list of media references (SHA-256 of the content, as the sync protocol names media)."""

from __future__ import annotations

import re

from server.questionnaires.fields.base import Field, Issue, register, wrong_type

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@register
class Photo(Field):
    name = "photo"
    label = "照片"
    label_en = "Photo"

    def check_definition(self, question):
        low, high = question.get("min_count", 1), question.get("max_count", 5)
        return ["bad_range: min_count is above max_count"] if low > high else []

    def check_answer(self, value, question, facts):
        if not isinstance(value, list) or not all(isinstance(v, str) and _SHA256.match(v) for v in value):
            return [wrong_type("照片列表", "a list of photo references (SHA-256)")]
        low, high = question.get("min_count", 1), question.get("max_count", 5)
        if len(value) < low:
            return [Issue("too_few_photos", f"至少需要{low}张照片", f"At least {low} photo(s) needed")]
        if len(value) > high:
            return [Issue("too_many_photos", f"最多{high}张照片", f"At most {high} photos")]
        return []

    def summary(self, value, question):
        return f"{len(value or [])}张照片"
