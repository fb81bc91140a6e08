"""How a task gets its questionnaire and its due date.

Questionnaire: the questionnaire_rule table (head office's, R10) wins, the most specific matching row
first; without a match, the built-in defaults below follow R6–R9, R14, R15.

Due date, on the working-day calendar:
- grace_period (R8): 15 working days before the grace period ends;
- lapse (R8, second call): within 15 working days after the grace period ended;
- new_business: before the cooling-off period ends when that is still ahead (the customer can then
  still cancel with a full refund), else the default;
- everything else, explanation visits and re-signs: DEFAULT_WORKDAYS working days from intake
  ("returned promptly", R14).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from server.calendar.services import WorkCalendar
from server.extensions import db
from server.policies.facts import is_new_type
from server.tasks.models import QuestionnaireRule

R8_WORKDAYS = 15
DEFAULT_WORKDAYS = 10


def default_questionnaire(item: str, product_type: str, channel: str, source: str) -> str:
    if source == "explanation":
        return "explanation"  # R14
    if source == "re_sign":
        return "re_sign"  # R15
    if item == "grace_period":
        return "grace_period"  # R8 first call
    if item == "lapse":
        return "after_grace"  # R8 second call
    if item in ("surrender", "claim"):
        return "surrender_claim"  # R9
    # New business (R7); bank-channel statements are a section of these templates.
    return "new_business_new_type" if is_new_type(product_type) else "new_business"


class QuestionnaireChooser:
    """The rule table loaded once for a batch of tasks."""

    def __init__(self) -> None:
        self.rules = list(db.session.scalars(select(QuestionnaireRule)))

    def choose(self, item: str, product_type: str, channel: str, source: str) -> str:
        best, best_score = None, -1
        for rule in self.rules:
            wanted = (rule.product_type, rule.channel, rule.source)
            actual = (product_type, channel, source)
            if rule.item != item or any(
                w is not None and w != a for w, a in zip(wanted, actual, strict=True)
            ):
                continue
            score = sum(w is not None for w in wanted)
            if score > best_score:
                best, best_score = rule, score
        if best is not None:
            return best.questionnaire_code
        return default_questionnaire(item, product_type, channel, source)


def due_date(
    calendar: WorkCalendar,
    *,
    item: str,
    today: date,
    grace_end: date | None,
    cooling_off_end: date | None,
) -> tuple[date, str]:
    """The due date and, for people, how it was reached."""
    if item == "grace_period" and grace_end is not None:
        return (
            calendar.add_workdays(grace_end, -R8_WORKDAYS),
            f"宽限期截止日 {grace_end.isoformat()} 前 {R8_WORKDAYS} 个工作日（R8）",
        )
    if item == "lapse" and grace_end is not None:
        return (
            calendar.add_workdays(grace_end, R8_WORKDAYS),
            f"宽限期截止日 {grace_end.isoformat()} 后 {R8_WORKDAYS} 个工作日内（R8）",
        )
    if item == "new_business" and cooling_off_end is not None and cooling_off_end > today:
        return cooling_off_end, f"犹豫期截止日 {cooling_off_end.isoformat()} 前"
    return (
        calendar.add_workdays(today, DEFAULT_WORKDAYS),
        f"接收后 {DEFAULT_WORKDAYS} 个工作日内",
    )
