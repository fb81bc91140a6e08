"""`make run`'s demo book: a reviewer finds a synced visit waiting for review at once."""

from __future__ import annotations

from server import demo
from server.evidence import services as evidence
from server.extensions import db
from server.visits.models import Visit


def test_the_demo_work_includes_a_synced_visit_waiting_for_review(app_ctx, login_as):
    demo.load()
    demo.load_work()
    demo.load_work()  # idempotent
    [visit] = db.session.query(Visit).all()
    assert visit.state == "submitted" and visit.review_state == "pending", visit.flags
    assert evidence.verify_visit(visit.uuid)["ok"]
    reviewer = login_as("reviewer", institution="37")
    queue = reviewer.get("/api/v1/review/queue").json
    assert [v["policy_number"] for v in queue["items"]] == [demo.REVIEW_SAMPLE.number]
    detail = reviewer.get(f"/api/v1/review/visits/{visit.uuid}").json
    assert not {"quick_visit", "late", "outside_working_hours", "identity_mismatch"} & set(detail["flags"])
