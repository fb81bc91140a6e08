"""Phone callback figures for the dashboard: reach rate, attempts per reach, visits by reason."""

from __future__ import annotations

from server.callbacks.stats import callback_stats
from server.dbtypes import utcnow
from server.extensions import db
from server.institutions.models import Institution
from server.scoping import Scope


def test_reach_rate_attempts_per_reach_and_visits_by_reason(first_call, agent, app_ctx):
    ids = [first_call()[1] for _ in range(4)]
    # 1: reached at the second attempt, wants an explanation visit; 2: refused: a phone_refused visit;
    # 3: reached at once, answered... cut short as misconduct; 4: never reached (still pending).
    agent.post("/api/v1/callbacks/next")
    agent.post(f"/api/v1/callbacks/{ids[0]}/attempts", json={"result": "busy"})
    from server.callbacks.models import PhoneCallback

    callback = db.session.get(PhoneCallback, ids[0])
    callback.next_attempt_at = utcnow()
    db.session.commit()
    for callback_id, body in (
        (ids[0], {"result": "reached", "outcome": "wants_explanation"}),
        (ids[1], {"result": "refused"}),
        (ids[2], {"result": "reached", "outcome": "misconduct"}),
    ):
        answer = agent.post(f"/api/v1/callbacks/{callback_id}/attempts", json=body)
        assert answer.status_code == 200, answer.json
    [row] = callback_stats()
    month = utcnow().strftime("%Y-%m")
    assert row["month"] == month and row["calls"] == 4 and row["reached"] == 3
    assert row["reach_rate"] == 0.75
    assert row["attempts_per_reach"] == round(4 / 3, 2)
    assert row["visits"] == {
        "phone_refused": 1,
        "wants_letter": 0,
        "wants_explanation": 1,
        "unsigned_papers": 0,
    }
    assert row["visit_share"] == 0.5
    other = db.session.query(Institution).filter(Institution.code == "3702").one()
    assert callback_stats(Scope(other.path)) == []
