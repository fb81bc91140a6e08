"""validate_submission: a pure function over plain data, as the sync push will call it."""

from __future__ import annotations

import pytest

from server.questionnaires.logic import required_signers
from server.questionnaires.submission import problems_found, validate_submission
from tests.questionnaires.conftest import GRACE, TRADITIONAL, TRADITIONAL_BANK, UNIVERSAL

SIGNED = {
    "holder": {"strokes": [[1, 2, 0]]},
    "insured": {"strokes": [[1, 2, 0]]},
    "specialist": {"strokes": [[3]]},
}


def complete_new_business(**changes):
    answers = {
        "holder_present": True,
        "holder_id_check": "1234",
        "holder_signed_self": True,
        "insured_signed_self": True,
        "read_terms": True,
        "liability": "understood",
        "exclusions": "understood",
        "cooling_off_rights": "understood",
        "surrender_loss": "understood",
        "payment_period": "understood",
        "extra_promises": False,
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


def codes(errors):
    return {(e["question_id"], e["code"]) for e in errors}


def test_a_complete_visit_has_no_errors(templates):
    assert validate_submission(templates["new_business"], TRADITIONAL, complete_new_business(), SIGNED) == []


def test_required_answers_of_relevant_questions_only(templates):
    answers = complete_new_business(read_terms=None, payment_period=None)
    errors = validate_submission(templates["new_business"], TRADITIONAL, answers, SIGNED)
    assert codes(errors) == {("read_terms", "required"), ("payment_period", "required")}
    # A single-premium policy is not asked about its payment period at all.
    single = {**TRADITIONAL, "regular_premium": False}
    assert codes(validate_submission(templates["new_business"], single, answers, SIGNED)) == {
        ("read_terms", "required")
    }


def test_an_answer_to_an_irrelevant_question_is_refused(templates):
    answers = complete_new_business(bank_insurer="understood")  # agency policy: no bank section
    errors = validate_submission(templates["new_business"], TRADITIONAL, answers, SIGNED)
    assert codes(errors) == {("bank_insurer", "not_relevant")}
    assert errors[0]["message"] and errors[0]["message_en"]


def test_unknown_questions_and_wrong_types_point_to_the_question(templates):
    answers = complete_new_business(read_terms="yes", liability="ok", nonsense=1)
    errors = validate_submission(templates["new_business"], TRADITIONAL, answers, SIGNED)
    assert codes(errors) == {
        ("read_terms", "answer_type"),
        ("liability", "answer_type"),
        ("nonsense", "unknown_question"),
    }
    for error in errors:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]) and error["message_en"].isascii()


def test_identity_check_compares_with_the_policys_id_number(templates):
    wrong = validate_submission(
        templates["new_business"], TRADITIONAL, complete_new_business(holder_id_check="9999"), SIGNED
    )
    assert codes(wrong) == {("holder_id_check", "identity_mismatch")}
    short = validate_submission(
        templates["new_business"], TRADITIONAL, complete_new_business(holder_id_check="34"), SIGNED
    )
    assert codes(short) == {("holder_id_check", "identity_length")}
    lower_x = {**TRADITIONAL, "holder_id_number": "37010219800101123X"}
    ok = validate_submission(
        templates["new_business"], lower_x, complete_new_business(holder_id_check="123x"), SIGNED
    )
    assert ok == []
    no_number = {k: v for k, v in TRADITIONAL.items() if k != "holder_id_number"}
    unknown = validate_submission(templates["new_business"], no_number, complete_new_business(), SIGNED)
    assert codes(unknown) == {("holder_id_check", "identity_unverifiable")}


def test_required_signatures_must_be_present(templates):
    errors = validate_submission(
        templates["new_business"], TRADITIONAL, complete_new_business(), {"holder": {"x": 1}}
    )
    assert codes(errors) == {("sign_insured", "signature_missing"), ("sign_specialist", "signature_missing")}
    # Holder insures themselves: no insured signature is expected, and one given is refused.
    own = {**TRADITIONAL, "insured_is_holder": True}
    answers = complete_new_business(insured_signed_self=None)
    assert codes(validate_submission(templates["new_business"], own, answers, SIGNED)) == {
        ("sign_insured", "signature_not_expected")
    }


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (TRADITIONAL, ["holder", "insured", "specialist"]),
        ({**TRADITIONAL, "insured_is_holder": True}, ["holder", "specialist"]),
        ({**TRADITIONAL, "pays_on_death": False}, ["holder", "specialist"]),
        ({**GRACE}, ["holder", "specialist"]),
        ({**GRACE, "source": "re_sign"}, ["holder", "insured", "specialist"]),
    ],
)
def test_required_signers_follow_r7(policy, expected):
    assert required_signers(policy) == expected


def test_constraints_are_checked_with_the_answer_as_value():
    definition = {
        "schema_version": 1,
        "code": "c",
        "title": "t",
        "item": "other",
        "sections": [
            {
                "id": "s",
                "title": "s",
                "questions": [
                    {
                        "id": "years",
                        "type": "number",
                        "text": "交了几年？",
                        "integer": True,
                        "constraint": {"<=": [{"var": "value"}, {"var": "policy.payment_period_years"}]},
                        "constraint_message": "不能超过交费期间",
                        "constraint_message_en": "Cannot exceed the payment period",
                    }
                ],
            }
        ],
    }
    assert (
        validate_submission(
            definition, {"payment_period_years": 20}, {"years": 5}, {"holder": 1, "specialist": 1}
        )
        == []
    )
    errors = validate_submission(
        definition, {"payment_period_years": 20}, {"years": 25}, {"holder": 1, "specialist": 1}
    )
    assert [(e["code"], e["message"]) for e in errors] == [("constraint", "不能超过交费期间")]
    half = validate_submission(
        definition, {"payment_period_years": 20}, {"years": 2.5}, {"holder": 1, "specialist": 1}
    )
    assert codes(half) == {("years", "answer_type")}


def test_answers_that_signal_problems_carry_their_category(templates):
    answers = complete_new_business(holder_signed_self=False, extra_promises=True, bank_called_deposit=True)
    found = problems_found(templates["new_business"], TRADITIONAL_BANK, answers)
    assert {(p["question_id"], p["category"]) for p in found} == {
        ("holder_signed_self", "proxy_signature"),
        ("extra_promises", "misleading_sale"),
        ("bank_called_deposit", "misleading_sale"),
    }
    assert problems_found(templates["new_business_new_type"], UNIVERSAL, {"fee_items": "not_understood"}) == [
        {"question_id": "fee_items", "category": "not_understood"}
    ]


def test_r9_money_not_received_is_a_problem(templates):
    from tests.questionnaires.conftest import CLAIM_BY_PROXY

    found = problems_found(
        templates["surrender_claim"], CLAIM_BY_PROXY, {"proxy_received": False, "satisfaction": "satisfied"}
    )
    assert found == [{"question_id": "proxy_received", "category": "money_not_received"}]


def test_garbage_in_is_an_error_not_a_crash(templates):
    assert codes(validate_submission(templates["new_business"], TRADITIONAL, ["x"], {})) == {
        (None, "answers_type")
    }
    assert codes(validate_submission(templates["new_business"], TRADITIONAL, {}, None)) == {
        (None, "signatures_type")
    }
