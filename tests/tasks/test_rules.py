"""R1 scope at its edges; questionnaire choice; due dates."""

from __future__ import annotations

from datetime import date

import pytest

from server.calendar.services import WorkCalendar
from server.extensions import db
from server.tasks.eligibility import out_of_scope
from server.tasks.models import QuestionnaireRule
from server.tasks.rules import QuestionnaireChooser, due_date


@pytest.mark.parametrize(
    ("amount_fen", "in_scope"), [(99999, False), (100000, True), (100001, True), (None, False)]
)
def test_surrender_and_claim_from_1000_yuan_inclusive(amount_fen, in_scope):
    for item in ("surrender", "claim"):
        reason = out_of_scope(item, group_business=False, term_months=120, amount_fen=amount_fen)
        assert (reason is None) is in_scope, (item, amount_fen, reason)


@pytest.mark.parametrize(("term_months", "in_scope"), [(12, False), (13, True), (6, False), (None, True)])
def test_new_business_needs_a_term_longer_than_one_year(term_months, in_scope):
    reason = out_of_scope("new_business", group_business=False, term_months=term_months, amount_fen=None)
    assert (reason is None) is in_scope
    if not in_scope:
        assert reason.code == "out_of_scope_term" and "一年" in reason.message


def test_group_business_and_non_person_holders_are_out():
    assert out_of_scope("grace_period", group_business=True, term_months=None, amount_fen=None).code == (
        "out_of_scope_group"
    )
    assert (
        out_of_scope(
            "new_business", group_business=False, holder_is_person=False, term_months=120, amount_fen=None
        ).code
        == "out_of_scope_holder"
    )
    # Grace period and lapse are in scope whatever the term.
    assert out_of_scope("lapse", group_business=False, term_months=12, amount_fen=None) is None


def test_default_questionnaires_follow_the_guideline(app_ctx):
    choose = QuestionnaireChooser().choose
    assert choose("new_business", "traditional", "agency", "no_phone") == "new_business"
    assert choose("new_business", "universal", "bank", "phone_refused") == "new_business_new_type"
    assert choose("grace_period", "traditional", "agency", "no_phone") == "grace_period"
    assert choose("lapse", "participating", "agency", "phone_failed") == "after_grace"
    assert choose("claim", "traditional", "agency", "no_phone") == "surrender_claim"
    assert choose("new_business", "traditional", "agency", "explanation") == "explanation"
    assert choose("grace_period", "traditional", "agency", "re_sign") == "re_sign"


def test_the_most_specific_rule_of_the_table_wins(app_ctx):
    db.session.add_all(
        [
            QuestionnaireRule(item="new_business", questionnaire_code="nb_any"),
            QuestionnaireRule(item="new_business", channel="bank", questionnaire_code="nb_bank"),
            QuestionnaireRule(
                item="new_business", channel="bank", product_type="universal", questionnaire_code="nb_bu"
            ),
        ]
    )
    db.session.commit()
    choose = QuestionnaireChooser().choose
    assert choose("new_business", "universal", "bank", "no_phone") == "nb_bu"
    assert choose("new_business", "traditional", "bank", "no_phone") == "nb_bank"
    assert choose("new_business", "traditional", "agency", "no_phone") == "nb_any"
    assert choose("grace_period", "traditional", "bank", "no_phone") == "grace_period"


def test_due_dates_of_r8_and_the_cooling_off_period(app_ctx):
    cal = WorkCalendar.load()
    due, rule = due_date(
        cal, item="grace_period", today=date(2026, 9, 1), grace_end=date(2026, 10, 20), cooling_off_end=None
    )
    assert due == date(2026, 9, 22) and "15" in rule
    due, _ = due_date(
        cal, item="lapse", today=date(2026, 9, 1), grace_end=date(2026, 9, 25), cooling_off_end=None
    )
    assert due == date(2026, 10, 22)  # 15 working days after, across National Day and its make-up Saturday
    due, rule = due_date(
        cal, item="new_business", today=date(2026, 11, 2), grace_end=None, cooling_off_end=date(2026, 11, 20)
    )
    assert due == date(2026, 11, 20) and "犹豫期" in rule
    due, _ = due_date(cal, item="claim", today=date(2026, 11, 2), grace_end=None, cooling_off_end=None)
    assert due == date(2026, 11, 16)
