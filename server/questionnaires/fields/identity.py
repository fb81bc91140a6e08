"""Identity check (R7): the respondent states the policyholder's ID number, or its last digits.

The comparison happens on the server against the policy snapshot's ``holder_id_number``, which never
reaches the tablet; the tablet shows only the masked number (``holder_id_masked``).
"""

from __future__ import annotations

from server.questionnaires.fields.base import Field, Issue, register, wrong_type


def normalise(value: str) -> str:
    return "".join(value.split()).upper()


@register
class IdentityCheck(Field):
    name = "identity_check"
    label = "身份核实"
    label_en = "Identity check"

    def check_answer(self, value, question, facts):
        if not isinstance(value, str) or not value.strip():
            return [wrong_type("证件号码", "an ID number")]
        subject = question.get("subject", "holder")
        expected = facts.get(f"{subject}_id_number")
        if not isinstance(expected, str) or not expected:
            return [
                Issue(
                    "identity_unverifiable",
                    "保单资料中没有证件号码，无法核实身份",
                    "The policy has no ID number on file to compare with",
                )
            ]
        given, expected = normalise(value), normalise(expected)
        if question.get("match", "last_digits") == "last_digits":
            digits = question.get("digits", 4)
            if len(given) != digits:
                return [
                    Issue(
                        "identity_length",
                        f"请输入证件号码后{digits}位",
                        f"Enter the last {digits} characters",
                    )
                ]
            expected = expected[-digits:]
        if given != expected:
            return [
                Issue(
                    "identity_mismatch",
                    "证件号码与保单不符，受访人可能不是投保人本人",
                    "The ID number does not match the policy: the respondent may not be the policyholder",
                )
            ]
        return []

    def summary(self, value, question):
        # Never echo a full ID number into summaries and reports.
        return f"…{normalise(value)[-4:]}" if isinstance(value, str) else ""
