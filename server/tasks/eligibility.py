"""R1: which business needs a callback at all.

(a) new business with an individual policyholder and a term longer than one year;
(b) renewal premiums entering the grace period; (c) lapsed policies; (d) surrenders, claims and
benefit payments of 1000 yuan or more (以上 includes the amount itself). Group business and terms
of one year or less are out of scope. Other items may use the same process (R1, last sentence).
"""

from __future__ import annotations

from dataclasses import dataclass

THRESHOLD_FEN = 1000_00  # 1000 yuan, inclusive
ITEMS = ("new_business", "grace_period", "lapse", "surrender", "claim", "other")


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    message_en: str


GROUP = Reason("out_of_scope_group", "团体业务不在回访范围内", "Group business is outside the callback scope")
NOT_PERSON = Reason(
    "out_of_scope_holder", "投保人不是个人，不在新契约回访范围内", "The policyholder is not an individual"
)
SHORT_TERM = Reason(
    "out_of_scope_term",
    "保险期间不超过一年，不在新契约回访范围内",
    "The term is one year or less; new business callbacks cover longer terms only",
)
SMALL_AMOUNT = Reason(
    "out_of_scope_amount",
    "退保或理赔给付金额不足 1000 元，不在回访范围内",
    "Surrenders and claims under 1000 yuan are outside the callback scope",
)
NO_AMOUNT = Reason(
    "amount_missing", "退保或理赔回访需要金额", "A surrender or claim callback needs the amount paid"
)


def out_of_scope(
    item: str,
    *,
    group_business: bool,
    holder_is_person: bool = True,
    term_months: int | None,
    amount_fen: int | None,
) -> Reason | None:
    """Why this business needs no callback under R1, or None when it does."""
    if group_business:
        return GROUP
    if item == "new_business":
        if not holder_is_person:
            return NOT_PERSON
        if term_months is not None and term_months <= 12:
            return SHORT_TERM
    if item in ("surrender", "claim"):
        if amount_fen is None:
            return NO_AMOUNT
        if amount_fen < THRESHOLD_FEN:
            return SMALL_AMOUNT
    return None
