"""R5 risk alerts: found at intake with indexed lookups, investigated and resolved by people.

- shared_phone: policies of different holders give the same contact phone (an agent may have
  written their own number to block the callback);
- salesperson_phone: a customer's phone (holder or insured) belongs to a salesperson.

Detection looks up only the phones of the policies just received (``phone IN (...)`` on indexed
columns), so its cost does not grow with the size of the book.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import takewhile

from sqlalchemy import select

from server.audit import services as audit
from server.dbtypes import utcnow
from server.errors import HuifangError
from server.extensions import db
from server.institutions.models import Institution
from server.policies.models import Policy, Salesperson
from server.risk.models import RiskAlert, RiskAlertPolicy
from server.scoping import Scope

CHUNK = 900  # under SQLite's bound-parameter limit


def _chunks(values):
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _holder_key(policy_row) -> str:
    return policy_row.holder_id_number or f"name:{policy_row.holder_name}"


def _common_institution(institution_ids: set[int]) -> int:
    """The lowest institution whose subtree holds all of these, so that each of them can see it."""
    rows = db.session.scalars(select(Institution).where(Institution.id.in_(institution_ids))).all()
    shared = list(
        takewhile(lambda ids: len(set(ids)) == 1, zip(*(row.path_ids for row in rows), strict=False))
    )
    return shared[-1][0] if shared else rows[0].path_ids[0]


def _alert(
    kind: str, phone: str, policy_ids: set[int], institution_ids: set[int], salesperson_id=None
) -> bool:
    alert = db.session.scalars(
        select(RiskAlert).where(RiskAlert.kind == kind, RiskAlert.phone == phone)
    ).first()
    have = {link.policy_id for link in alert.policies} if alert else set()
    new = policy_ids - have
    if alert is not None and not new:
        return False
    if have:
        institution_ids = institution_ids | set(
            db.session.scalars(select(Policy.institution_id).where(Policy.id.in_(have)))
        )
    institution_id = _common_institution(institution_ids)
    if alert is None:
        alert = RiskAlert(kind=kind, phone=phone, salesperson_id=salesperson_id, status="open")
    elif alert.status in ("resolved", "dismissed"):
        alert.status = "open"  # a new policy with the same phone reopens the question
        alert.resolution = (alert.resolution or "") + " [新保单使用同一号码，已重新打开]"
    alert.institution_id = institution_id
    alert.policies.extend(RiskAlertPolicy(policy_id=pid) for pid in sorted(new))
    db.session.add(alert)
    return True


def detect_for_policies(policy_ids: list[int]) -> int:
    """Check these policies' phones; create or extend alerts. Returns how many alerts changed. No commit."""
    received = []
    for chunk in _chunks(policy_ids):
        received += db.session.execute(
            select(Policy.id, Policy.holder_phone, Policy.insured_phone).where(Policy.id.in_(chunk))
        ).all()
    holder_phones = {row.holder_phone for row in received if row.holder_phone}
    customer_phones = holder_phones | {row.insured_phone for row in received if row.insured_phone}
    changed = 0

    by_phone = defaultdict(list)
    for chunk in _chunks(holder_phones):
        for row in db.session.execute(
            select(
                Policy.id,
                Policy.holder_phone,
                Policy.holder_id_number,
                Policy.holder_name,
                Policy.institution_id,
            ).where(Policy.holder_phone.in_(chunk))
        ):
            by_phone[row.holder_phone].append(row)
    for phone, rows in by_phone.items():
        if len({_holder_key(row) for row in rows}) > 1:
            changed += _alert("shared_phone", phone, {r.id for r in rows}, {r.institution_id for r in rows})

    for chunk in _chunks(customer_phones):
        sellers = db.session.execute(
            select(Salesperson.id, Salesperson.phone).where(Salesperson.phone.in_(chunk))
        ).all()
        for seller in sellers:
            rows = db.session.execute(
                select(Policy.id, Policy.institution_id).where(
                    (Policy.holder_phone == seller.phone) | (Policy.insured_phone == seller.phone)
                )
            ).all()
            changed += _alert(
                "salesperson_phone",
                seller.phone,
                {r.id for r in rows},
                {r.institution_id for r in rows},
                seller.id,
            )
    return changed


def update_status(scope: Scope, actor, alert_id: int, status: str, resolution: str | None) -> RiskAlert:
    alert = scope.get(RiskAlert, alert_id, "风险提示", "risk alert")
    if status in ("resolved", "dismissed") and not (resolution and resolution.strip()):
        raise HuifangError(
            "resolution_required",
            "结案或排除时请写明调查结论",
            "Say what the investigation found when resolving or dismissing",
            422,
        )
    before = alert.status
    alert.status = status
    if resolution:
        alert.resolution = resolution.strip()
    if status in ("resolved", "dismissed"):
        alert.resolved_by, alert.resolved_at = actor.id, utcnow()
    audit.record(
        "risk_alert_updated",
        target=alert,
        institution_id=alert.institution_id,
        before=before,
        after=status,
        resolution=resolution,
    )
    db.session.commit()
    return alert
