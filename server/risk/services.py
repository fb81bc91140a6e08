"""R5 risk alerts: found at intake with indexed lookups, investigated and resolved by people.

- shared_phone: policies of different holders give the same contact phone (an agent may have
  written their own number to block the callback);
- salesperson_phone: a customer's phone (holder or insured) belongs to a salesperson.

Detection looks up only the phones of the policies just received (``phone = ANY(:array)`` on
PostgreSQL, ``phone IN (...)`` on SQLite, on indexed columns), so its cost does not grow with the
size of the book, and a chunk of intake costs a fixed handful of round trips.
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
from server.intake import bulk
from server.policies.models import Policy, Salesperson
from server.risk.models import RiskAlert, RiskAlertPolicy
from server.scoping import Scope


def _rows(columns, where_column, values):
    """``SELECT columns WHERE where_column IN values``: one ``= ANY(:array)`` round trip on
    PostgreSQL, chunks under SQLite's bound-parameter limit (server.intake.bulk)."""
    out = []
    for chunk in bulk.batches(values):
        out += db.session.execute(select(*columns).where(bulk.among(where_column, chunk))).all()
    return out


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
    alerts: dict[str, RiskAlert],
    kind: str,
    phone: str,
    policy_ids: set[int],
    institution_ids: set[int],
    salesperson_id=None,
) -> bool:
    """Raise or extend the alert of this kind on this phone (``alerts``: those known, by phone)."""
    alert = alerts.get(phone)
    have = {link.policy_id for link in alert.policies} if alert else set()
    new = policy_ids - have
    if alert is not None and not new:
        return False
    if have:
        institution_ids = institution_ids | {
            r.institution_id for r in _rows((Policy.institution_id,), Policy.id, have)
        }
    institution_id = _common_institution(institution_ids)
    if alert is None:
        alert = alerts[phone] = RiskAlert(
            kind=kind, phone=phone, salesperson_id=salesperson_id, status="open"
        )
    elif alert.status in ("resolved", "dismissed"):
        alert.status = "open"  # a new policy with the same phone reopens the question
        alert.resolution = (alert.resolution or "") + " [新保单使用同一号码，已重新打开]"
    alert.institution_id = institution_id
    alert.policies.extend(RiskAlertPolicy(policy_id=pid) for pid in sorted(new))
    db.session.add(alert)
    return True


def _alerts(kind: str, phones) -> dict[str, RiskAlert]:
    """The alerts of this kind already raised on these phones, by phone (one query)."""
    found = {}
    for chunk in bulk.batches(sorted(phones)):
        for alert in db.session.scalars(
            select(RiskAlert).where(RiskAlert.kind == kind, bulk.among(RiskAlert.phone, chunk))
        ):
            found[alert.phone] = alert
    return found


def detect_for_policies(policy_ids: list[int]) -> int:
    """Check these policies' phones; create or extend alerts. Returns how many alerts changed. No commit.

    A fixed number of queries whatever the number of policies (on PostgreSQL; SQLite cuts them
    in chunks of 900), plus a few for each alert that changes.
    """
    received = _rows((Policy.id, Policy.holder_phone, Policy.insured_phone), Policy.id, policy_ids)
    holder_phones = {row.holder_phone for row in received if row.holder_phone}
    customer_phones = holder_phones | {row.insured_phone for row in received if row.insured_phone}
    changed = 0

    by_phone = defaultdict(list)
    for row in _rows(
        (Policy.id, Policy.holder_phone, Policy.holder_id_number, Policy.holder_name, Policy.institution_id),
        Policy.holder_phone,
        holder_phones,
    ):
        by_phone[row.holder_phone].append(row)
    shared = {phone: rows for phone, rows in by_phone.items() if len({_holder_key(r) for r in rows}) > 1}
    if shared:
        alerts = _alerts("shared_phone", shared)
        for phone, rows in sorted(shared.items()):
            changed += _alert(
                alerts,
                "shared_phone",
                phone,
                {r.id for r in rows},
                {r.institution_id for r in rows},
            )

    sellers = _rows((Salesperson.id, Salesperson.phone), Salesperson.phone, customer_phones)
    if sellers:
        seller_phones = {seller.phone for seller in sellers}
        carriers = defaultdict(set)  # phone -> (policy id, institution id) of every policy giving it
        for row in _rows(
            (Policy.id, Policy.institution_id, Policy.holder_phone), Policy.holder_phone, seller_phones
        ):
            carriers[row.holder_phone].add((row.id, row.institution_id))
        for row in _rows(
            (Policy.id, Policy.institution_id, Policy.insured_phone), Policy.insured_phone, seller_phones
        ):
            carriers[row.insured_phone].add((row.id, row.institution_id))
        alerts = _alerts("salesperson_phone", seller_phones)
        for seller in sorted(sellers, key=lambda s: (s.phone, s.id)):
            rows = carriers[seller.phone]
            changed += _alert(
                alerts,
                "salesperson_phone",
                seller.phone,
                {pid for pid, _ in rows},
                {iid for _, iid in rows},
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
