"""The built-in province templates: valid, publishable, and covering every clause of R6–R9, R14, R15."""

from __future__ import annotations

import pytest

from server.questionnaires import definition as defs
from server.questionnaires import services
from server.questionnaires.submission import relevant_questions
from tests.questionnaires.conftest import (
    CLAIM_BY_PROXY,
    EXPLANATION,
    GRACE,
    LAPSE,
    PARTICIPATING,
    PARTICIPATING_ACCUMULATING,
    RE_SIGN,
    SURRENDER,
    SURRENDER_BY_PROXY,
    TRADITIONAL,
    TRADITIONAL_BANK,
    TRADITIONAL_SINGLE,
    UNIT_LINKED_BANK,
    UNIVERSAL,
)

CODES = {
    "new_business",
    "new_business_new_type",
    "grace_period",
    "after_grace",
    "surrender_claim",
    "explanation",
    "re_sign",
    # Phone versions of R6–R9 for the first callback by phone (R11): no signatures, no photos.
    "phone_new_business",
    "phone_grace_period",
    "phone_after_grace",
    "phone_surrender_claim",
}
SEEDED = {code for code, *_ in services.SEED_CATEGORIES}

NEW_BUSINESS = [("new_business", TRADITIONAL), ("new_business", TRADITIONAL_BANK)]
NEW_TYPE = [("new_business_new_type", f) for f in (UNIVERSAL, UNIT_LINKED_BANK, PARTICIPATING)]
ALL_NEW = NEW_BUSINESS + NEW_TYPE
FEE_PRODUCTS = [
    ("new_business_new_type", f) for f in (UNIVERSAL, UNIT_LINKED_BANK, PARTICIPATING_ACCUMULATING)
]
BANK = [("new_business", TRADITIONAL_BANK), ("new_business_new_type", UNIT_LINKED_BANK)]
REGULAR = [("new_business", TRADITIONAL), ("new_business_new_type", UNIVERSAL)]
DEATH_COVER_OTHER_INSURED = [("new_business", TRADITIONAL), ("new_business_new_type", UNIVERSAL)]

# One row per clause: the clause (as the guideline puts it), the question id that covers it, and the
# (template, sample policy) pairs it applies to; some need answers first. The question must exist, be
# relevant for every one of those policies, and name the clause in its "clauses".
CLAUSES = [
    ("R6.liability", "R6 insurance liability", "liability", ALL_NEW, {}),
    ("R6.exclusions", "R6 exclusions", "exclusions", ALL_NEW, {}),
    ("R6.cooling_off", "R6 cooling-off rights", "cooling_off_rights", ALL_NEW, {}),
    ("R6.fees", "R6 fees", "fee_items", FEE_PRODUCTS, {}),
    ("R6.surrender_loss", "R6 surrender loss", "surrender_loss", ALL_NEW, {}),
    (
        "R6.non_guaranteed",
        "R6 uncertainty of non-guaranteed benefits",
        "non_guaranteed_benefits",
        NEW_TYPE,
        {},
    ),
    ("R6.direct_questions", "R6 asked directly, without evasion", "extra_promises", ALL_NEW, {}),
    ("R7.identity", "R7 respondent is the policyholder (ID number)", "holder_id_check", ALL_NEW, {}),
    ("R7.holder_signature", "R7 policyholder's signature genuine", "holder_signed_self", ALL_NEW, {}),
    (
        "R7.insured_signature",
        "R7 insured's signature genuine (death cover)",
        "insured_signed_self",
        DEATH_COVER_OTHER_INSURED,
        {},
    ),
    (
        "R7.insured_signature",
        "R7 the insured signs the visit (death cover)",
        "sign_insured",
        DEATH_COVER_OTHER_INSURED,
        {},
    ),
    ("R7.read_terms", "R7 read the policy terms", "read_terms", ALL_NEW, {}),
    ("R7.read_brochure", "R7 read the product brochure (new-type)", "read_brochure", NEW_TYPE, {}),
    ("R7.liability", "R7 understood liability", "liability", ALL_NEW, {}),
    ("R7.exclusions", "R7 understood exclusions", "exclusions", ALL_NEW, {}),
    ("R7.cooling_off", "R7 cooling-off rights", "cooling_off_rights", ALL_NEW, {}),
    ("R7.surrender_loss", "R7 loss on surrender after cooling-off", "surrender_loss", ALL_NEW, {}),
    (
        "R7.payment_period_premium",
        "R7 regular premium: payment period and premium",
        "payment_period",
        REGULAR,
        {},
    ),
    ("R7.bank_insurer_not_bank", "R7 bank: insurer not bank", "bank_insurer", BANK, {}),
    ("R7.bank_is_insurance", "R7 bank: it is insurance", "bank_is_insurance", BANK, {}),
    (
        "R7.non_guaranteed",
        "R7 benefits beyond guaranteed are illustrations",
        "non_guaranteed_benefits",
        NEW_TYPE,
        {},
    ),
    ("R7.fee_items", "R7 fee items", "fee_items", FEE_PRODUCTS, {}),
    ("R7.fee_rates", "R7 fee rates", "fee_items", FEE_PRODUCTS, {}),
    (
        "R7.first_premium_deduction",
        "R7 amount deducted from the first premium",
        "first_premium_deduction",
        FEE_PRODUCTS,
        {},
    ),
    (
        "R7.account_credit",
        "R7 net amount credited to the account",
        "first_premium_deduction",
        FEE_PRODUCTS,
        {},
    ),
    ("R8.grace_end_date", "R8 grace period end date", "grace_end_notice", [("grace_period", GRACE)], {}),
    ("R8.payment_reminder", "R8 reminder to pay", "payment_reminder", [("grace_period", GRACE)], {}),
    ("R8.late_reason", "R8 why the payment is late", "late_reason", [("after_grace", LAPSE)], {}),
    (
        "R8.salesperson_misuse",
        "R8 salesperson held back or misused the premium",
        "gave_premium_to_salesperson",
        [("after_grace", LAPSE)],
        {},
    ),
    ("R8.lapse_status", "R8 lapsed status", "lapse_status", [("after_grace", LAPSE)], {}),
    ("R8.reinstatement", "R8 how to reinstate", "reinstatement", [("after_grace", LAPSE)], {}),
    (
        "R9.satisfaction",
        "R9 satisfaction with the service",
        "satisfaction",
        [("surrender_claim", SURRENDER), ("surrender_claim", CLAIM_BY_PROXY)],
        {},
    ),
    (
        "R9.proxy_received",
        "R9 collected by someone else: did the customer receive it",
        "proxy_received",
        [("surrender_claim", SURRENDER_BY_PROXY), ("surrender_claim", CLAIM_BY_PROXY)],
        {},
    ),
    (
        "R14.in_person",
        "R14 the policyholder in person",
        "holder_id_check",
        [("explanation", EXPLANATION)],
        {},
    ),
    (
        "R14.topics",
        "R14 what the customer is unclear about",
        "unclear_topics",
        [("explanation", EXPLANATION)],
        {},
    ),
    (
        "R14.explanation",
        "R14 the explanation given",
        "explain_liability",
        [("explanation", EXPLANATION)],
        {"unclear_topics": ["liability"]},
    ),
    (
        "R14.explanation",
        "R14 the explanation given (fees)",
        "explain_fees",
        [("explanation", {**EXPLANATION, **{k: UNIVERSAL[k] for k in ("fee_items", "product_type")}})],
        {"unclear_topics": ["fees"]},
    ),
    (
        "R14.understood",
        "R14 the customer now understands",
        "now_understood",
        [("explanation", EXPLANATION)],
        {},
    ),
    ("R14.holder_signs", "R14 the policyholder signs", "sign_holder", [("explanation", EXPLANATION)], {}),
    (
        "R14.confirming_callback",
        "R14 a confirming phone callback follows",
        "confirming_callback",
        [("explanation", EXPLANATION)],
        {},
    ),
    ("R15.documents", "R15 which documents were unsigned", "documents", [("re_sign", RE_SIGN)], {}),
    ("R15.who_signed", "R15 who signed instead", "original_signer", [("re_sign", RE_SIGN)], {}),
    ("R15.procedure", "R15 how to re-sign", "re_sign_procedure", [("re_sign", RE_SIGN)], {}),
    ("R15.holder_re_signs", "R15 the policyholder signs again", "sign_holder", [("re_sign", RE_SIGN)], {}),
    (
        "R7.insured_signature",
        "R15 the insured signs again (death cover)",
        "sign_insured",
        [("re_sign", RE_SIGN)],
        {},
    ),
    (
        "R15.evidence",
        "R15 the re-signed pages photographed",
        "re_signed_photos",
        [("re_sign", RE_SIGN)],
        {"agrees_to_re_sign": True},
    ),
    (
        "R13.in_person",
        "R13 the visit reaches the policyholder in person",
        "holder_present",
        [(c, TRADITIONAL) for c in sorted(CODES)],
        {},
    ),
    (
        "R13.holder_signs",
        "R13 the policyholder signs every visit questionnaire",
        "sign_holder",
        [(c, TRADITIONAL) for c in sorted(CODES) if not c.startswith("phone_")],
        {},
    ),
]


def test_every_built_in_template_is_there(templates):
    assert set(templates) == CODES
    for code, definition in templates.items():
        assert definition["code"] == code


@pytest.mark.parametrize("code", sorted(CODES))
def test_template_is_valid_against_the_schema_and_publishable(templates, code):
    definition = templates[code]
    errors = list(defs._validator().iter_errors(definition))
    assert errors == [], [e.message for e in errors]
    assert defs.check_definition(definition, SEEDED) == []
    assert defs.check_publishable(definition) == []


@pytest.mark.parametrize(
    ("clause", "label", "question_id", "applies_to", "answers"), CLAUSES, ids=[r[1] for r in CLAUSES]
)
def test_clause_is_covered(templates, clause, label, question_id, applies_to, answers):
    for code, policy in applies_to:
        questions = defs.questions_by_id(templates[code])
        assert question_id in questions, f"{label}: {code} has no question {question_id}"
        assert clause in questions[question_id].get("clauses", []), (
            f"{code}.{question_id} does not name {clause}"
        )
        relevant = relevant_questions(templates[code], policy, answers)
        assert question_id in relevant, f"{label}: {code}.{question_id} is not asked of {policy}"


def test_every_clause_a_template_names_is_in_the_table(templates):
    named = {
        c for d in templates.values() for _, _, _, q in defs.iter_questions(d) for c in q.get("clauses", [])
    }
    assert named <= {row[0] for row in CLAUSES}


@pytest.mark.parametrize(
    ("code", "policy", "question_id"),
    [
        ("new_business", TRADITIONAL, "bank_insurer"),  # agency: no bank statement
        ("new_business", TRADITIONAL_SINGLE, "payment_period"),  # single premium: no payment period
        ("new_business", {**TRADITIONAL, "insured_is_holder": True}, "insured_signed_self"),
        ("new_business", {**TRADITIONAL, "pays_on_death": False}, "sign_insured"),
        ("new_business_new_type", PARTICIPATING, "fee_items"),  # non-accumulating participating: no fee items
        ("new_business_new_type", UNIVERSAL, "unit_linked_risk"),
        ("surrender_claim", SURRENDER, "proxy_received"),
        ("surrender_claim", CLAIM_BY_PROXY, "surrender_reason"),
        ("grace_period", GRACE, "sign_insured"),  # R7 is new business: not on a grace-period visit
    ],
)
def test_questions_are_not_put_where_they_do_not_apply(templates, code, policy, question_id):
    assert question_id not in relevant_questions(templates[code], policy, {})


def test_template_texts_fill_without_gaps_for_their_policies(templates):
    from server.questionnaires.placeholders import MISSING, fill

    samples = {
        "new_business": TRADITIONAL_BANK,
        "new_business_new_type": UNIT_LINKED_BANK,
        "grace_period": GRACE,
        "after_grace": LAPSE,
        "surrender_claim": CLAIM_BY_PROXY,
        "explanation": {
            **EXPLANATION,
            **{k: UNIVERSAL[k] for k in UNIVERSAL if k.endswith("_fen") or k == "fee_items"},
        },
        "re_sign": RE_SIGN,
    }
    for code, policy in samples.items():
        definition = templates[code]
        relevant = set(relevant_questions(definition, policy, {"unclear_topics": ["fees", "premium"]}))
        for _, _, _, q in defs.iter_questions(definition):
            if q["id"] in relevant:
                assert MISSING not in fill(q["text"], policy), (code, q["id"], fill(q["text"], policy))
        assert MISSING not in fill(definition["intro"], policy), code
