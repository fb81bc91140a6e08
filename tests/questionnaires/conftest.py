"""Fixtures for questionnaire tests: the API callers of tests/server, sample policies, templates."""

from __future__ import annotations

import json

import pytest

from server.questionnaires import services
from tests.server.conftest import *  # noqa: F403 - org, make_user, login_as, ...

# Sample policy facts (server/policies/facts.py), one per kind of policy a clause applies to.
BASE = {
    "policy_number": "P00000001",
    "product_name": "鑫福年年终身寿险",
    "holder_name": "张三",
    "insured_name": "张小明",
    "holder_id_number": "370102198001011234",
    "holder_id_masked": "370***********1234",
    "insured_is_holder": False,
    "pays_on_death": True,
    "regular_premium": True,
    "payment_frequency": "annual",
    "payment_period_years": 20,
    "premium_fen": 1200000,
    "sum_assured_fen": 50000000,
    "term_years": 30,
    "cooling_off_end": "2026-12-10",
    "institution_name": "济南市中心支公司",
    "item": "new_business",
    "source": "no_phone",
    "fee_items": [],
}


def facts(**changes) -> dict:
    return {**BASE, **changes}


TRADITIONAL = facts(product_type="traditional", new_type=False, channel="agency")
TRADITIONAL_BANK = facts(product_type="traditional", new_type=False, channel="bank", bank_name="中国工商银行")
TRADITIONAL_SINGLE = facts(
    product_type="traditional", new_type=False, channel="agency", regular_premium=False
)
FEES = [
    {"code": "initial_charge", "name": "初始费用", "rate": "3%", "amount_fen": 36000},
    {"code": "cost_of_cover", "name": "风险保险费", "rate": "按月扣除", "amount_fen": None},
    {"code": "policy_admin", "name": "保单管理费", "rate": "每月5元", "amount_fen": 500},
]
UNIVERSAL = facts(
    product_type="universal",
    new_type=True,
    channel="agency",
    fee_items=FEES,
    first_premium_deduction_fen=36500,
    account_credit_fen=1163500,
)
UNIT_LINKED_BANK = {
    **UNIVERSAL,
    "product_type": "unit_linked",
    "channel": "bank",
    "bank_name": "中国建设银行",
}
PARTICIPATING = facts(product_type="participating", new_type=True, channel="agency", accumulating=False)
PARTICIPATING_ACCUMULATING = {**UNIVERSAL, "product_type": "participating", "accumulating": True}
GRACE = facts(
    product_type="traditional",
    channel="agency",
    item="grace_period",
    premium_due_date="2026-12-01",
    grace_end="2027-01-30",
)
LAPSE = {**GRACE, "item": "lapse", "lapse_date": "2027-01-31"}
SURRENDER = facts(
    product_type="traditional", channel="agency", item="surrender", amount_fen=250000, paid_to_other=False
)
SURRENDER_BY_PROXY = {**SURRENDER, "paid_to_other": True}
CLAIM_BY_PROXY = {**SURRENDER_BY_PROXY, "item": "claim", "amount_fen": 100000}
EXPLANATION = {**TRADITIONAL, "source": "explanation"}
RE_SIGN = {**TRADITIONAL, "source": "re_sign"}


@pytest.fixture(scope="session")
def templates() -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in services.template_files()}
