"""Policy facts: the flat view of a policy and its visit task that questionnaires read.

Relevance rules (JSONLogic), placeholders and required signers are evaluated over this mapping, on the
server and on the tablet alike, so its keys are a contract between server/policies, server/tasks,
server/questionnaires, the sync protocol and the PWA. Add keys; never rename one.

Money is integer fen (1 yuan = 100 fen); dates are ISO strings (YYYY-MM-DD); enumerations are the
code words below.
"""

from __future__ import annotations

from typing import Literal, TypedDict

ProductType = Literal["traditional", "participating", "universal", "unit_linked"]
# R7 "new-type products": participating, universal and unit-linked.
NEW_TYPE_PRODUCTS = frozenset({"participating", "universal", "unit_linked"})
Channel = Literal["agency", "bank", "telemarketing", "broker", "internet", "direct"]
PaymentFrequency = Literal["single", "annual", "semiannual", "quarterly", "monthly"]
# R1 business items.
Item = Literal["new_business", "grace_period", "lapse", "surrender", "claim", "other"]
# R12–R15: why a visit instead of (or after) the phone callback.
Source = Literal["no_phone", "phone_refused", "phone_failed", "explanation", "re_sign"]


class FeeItem(TypedDict):
    """R7 fee items of universal, unit-linked and accumulating participating products."""

    code: str  # initial_charge | cost_of_cover | policy_admin | asset_management | other
    name: str  # 初始费用, 风险保险费, 保单管理费, 资产管理费, ...
    rate: str  # as printed on the policy, e.g. "3%" or "每月5元"
    amount_fen: int | None


class PolicyFacts(TypedDict, total=False):
    policy_number: str
    product_name: str
    product_type: ProductType
    new_type: bool  # product_type in NEW_TYPE_PRODUCTS
    accumulating: bool  # participating product with an accumulating account (R7 fee disclosure)
    channel: Channel
    bank_name: str | None  # for channel == "bank"
    item: Item
    source: Source
    holder_name: str
    # Server only: the identity check (R7) compares against it; never sent to a device.
    holder_id_number: str | None
    insured_id_number: str | None
    # What the tablet shows: the region code only, so that the last digits must come from the
    # customer's own card, not from the screen.
    holder_id_masked: str | None
    insured_id_masked: str | None
    insured_name: str
    insured_is_holder: bool
    pays_on_death: bool  # R7: the insured must sign too
    regular_premium: bool  # not single premium: R7 states the payment period and premium
    payment_frequency: PaymentFrequency
    payment_period_years: int
    premium_fen: int  # the premium per payment
    sum_assured_fen: int | None
    term_years: int | None
    delivery_date: str | None  # policy delivered (回执签收)
    cooling_off_end: str | None  # 犹豫期截止日
    premium_due_date: str | None  # renewal premium due
    grace_end: str | None  # 宽限期截止日
    lapse_date: str | None
    amount_fen: int | None  # surrender value, claim or benefit paid (R9)
    paid_to_other: bool  # R9: someone collected the money on the customer's behalf
    fee_items: list[FeeItem]
    first_premium_deduction_fen: int | None  # R7: deducted from the first premium
    account_credit_fen: int | None  # R7: net amount credited to the account
    salesperson_name: str | None
    institution_name: str


SERVER_ONLY_FACTS = frozenset({"holder_id_number", "insured_id_number"})


def is_new_type(product_type: str) -> bool:
    return product_type in NEW_TYPE_PRODUCTS


def identity_masked(id_number: str | None) -> str | None:
    """370102199003071234 → 370102************: the issuing region, nothing the customer must say."""
    if not id_number:
        return None
    return id_number[:6] + "*" * max(len(id_number) - 6, 0)


def for_device(facts: PolicyFacts) -> PolicyFacts:
    """The facts a tablet may carry (offline, possibly lost): without the full ID numbers."""
    return {key: value for key, value in facts.items() if key not in SERVER_ONLY_FACTS}


def build_facts(policy, task=None) -> PolicyFacts:
    """The facts of a policy (and of the task about it) under the contract's names."""
    details = policy.details or {}

    def iso(value):
        return value.isoformat() if value else None

    facts: PolicyFacts = {
        "policy_number": policy.policy_number,
        "product_name": policy.product_name,
        "product_type": policy.product_type,
        "new_type": is_new_type(policy.product_type),
        "accumulating": bool(details.get("accumulating", False)),
        "channel": policy.channel,
        "bank_name": policy.bank_name,
        "holder_name": policy.holder_name,
        "holder_id_number": policy.holder_id_number,
        "insured_id_number": policy.insured_id_number,
        "holder_id_masked": identity_masked(policy.holder_id_number),
        "insured_id_masked": identity_masked(policy.insured_id_number),
        "insured_name": policy.insured_name,
        "insured_is_holder": (policy.insured_id_number or policy.insured_name)
        == (policy.holder_id_number or policy.holder_name),
        "pays_on_death": policy.pays_on_death,
        "regular_premium": policy.payment_frequency != "single",
        "payment_frequency": policy.payment_frequency,
        "payment_period_years": policy.payment_period_years,
        "premium_fen": policy.premium_fen,
        "sum_assured_fen": policy.sum_assured_fen,
        "term_years": policy.term_months // 12 if policy.term_months else None,
        "delivery_date": iso(policy.delivery_date),
        "cooling_off_end": iso(policy.cooling_off_end),
        "premium_due_date": iso(policy.premium_due_date),
        "grace_end": iso(policy.grace_end),
        "lapse_date": iso(policy.lapse_date),
        "fee_items": details.get("fee_items", []),
        "first_premium_deduction_fen": details.get("first_premium_deduction_fen"),
        "account_credit_fen": details.get("account_credit_fen"),
        "salesperson_name": policy.salesperson.name if policy.salesperson else None,
        "institution_name": policy.institution.name,
    }
    if task is not None:
        facts.update(
            {
                "item": task.item,
                "source": task.source,
                "amount_fen": task.amount_fen,
                "paid_to_other": task.paid_to_other,
            }
        )
    return facts
