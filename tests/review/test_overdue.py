"""Overdue work for supervisors, and the daily digest that lists it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from server.cases import services as cases
from server.extensions import db
from server.visits.models import Visit
from tests.server.conftest import assert_error


def test_overdue_lists_late_tasks_reviews_and_cases_of_the_subtree(
    synced_visit, make_task, make_policy, login_as, app_ctx
):
    late = make_task()
    late.due_date = date.today() - timedelta(days=2)
    make_task()  # not late
    record = synced_visit()
    visit = db.session.get(Visit, record["uuid"])
    visit.submitted_at = datetime.now(UTC) - timedelta(days=20)
    case = cases.open_case("problem", "other", policy=make_policy(), summary="x", source="manual", actor=None)
    case.due_date = date.today() - timedelta(days=1)
    elsewhere = make_task(policy=make_policy(institution="370202"))
    elsewhere.due_date = date.today() - timedelta(days=5)
    db.session.commit()

    supervisor = login_as("supervisor", institution="3701")
    report = supervisor.get("/api/v1/overdue").json
    assert [t["id"] for t in report["tasks"]["items"]] == [late.id]
    assert [v["uuid"] for v in report["reviews"]["items"]] == [record["uuid"]]
    assert [c["id"] for c in report["cases"]["items"]] == [case.id]
    assert report["callbacks"]["count"] == 0
    assert_error(login_as("specialist", institution="370102").get("/api/v1/overdue"), 403, "forbidden")


def test_the_daily_digest_prints_the_counts(app, make_task, app_ctx):
    late = make_task()
    late.due_date = date.today() - timedelta(days=2)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["huifang", "digest"])
    assert result.exit_code == 0, result.output
    assert "逾期面访任务：1 件" in result.output and late.policy.policy_number in result.output
    missing = app.test_cli_runner().invoke(args=["huifang", "digest", "--institution", "99"])
    assert missing.exit_code != 0 and "no institution" in missing.output
