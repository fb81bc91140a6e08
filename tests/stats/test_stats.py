"""Statistics: the figures, each dimension, drill-down through the tree, scope, the problems' trend."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from server.extensions import db
from server.questionnaires.services import ensure_problem_categories
from server.stats import services
from server.tasks.models import VisitTask
from server.tasks.services import today
from tests.server.conftest import assert_error

THIS_MONTH = f"{today():%Y-%m}"


def set_task(task, **values):
    db.session.execute(update(VisitTask).where(VisitTask.id == task.id).values(**values))
    db.session.commit()


@pytest.fixture
def work(app_ctx, make_policy, make_task, make_visit, make_case, make_callback, make_user):
    """Jinan (历下区, 市中区) and Qingdao (市南区): 7 tasks, 5 visits, 3 confirming callbacks and a
    first call, 2 cases, this month."""
    alice = make_user("specialist", institution="370102", display_name="王专员")
    bob = make_user("specialist", institution="370202", display_name="刘专员")
    ensure_problem_categories()
    db.session.commit()
    # 历下区: one on time, one late, one open and overdue, one cancelled.
    on_time = make_task(make_policy(channel="bank", product_type="universal"), due_date=date(2026, 12, 31))
    late = make_task(make_policy(), item="grace_period", due_date=date(2026, 1, 10))
    overdue = make_task(make_policy(), due_date=date(2026, 1, 10))
    cancelled = make_task(make_policy())
    set_task(on_time, status="closed", assignee_id=alice.id)
    set_task(late, status="submitted", assignee_id=alice.id)
    set_task(overdue, status="assigned", assignee_id=alice.id)
    set_task(cancelled, status="cancelled")
    # 市中区: one completed on time. 市南区 (Qingdao): one completed on time, one unassigned.
    zhong = make_task(make_policy(institution="370103"), source="explanation")
    set_task(zhong, status="approved", assignee_id=alice.id)
    qd = make_task(make_policy(institution="370202"), item="claim")
    set_task(qd, status="closed", assignee_id=bob.id)
    make_task(make_policy(institution="370202"))

    v1 = make_visit(on_time, user=alice, finished_at="2026-11-20T10:00:00+08:00", review_state="approved")
    make_visit(late, user=alice, finished_at="2026-02-01T10:00:00+08:00", review_state="pending")
    make_visit(overdue, user=alice, outcome="not_at_home", finished_at="2026-01-05T10:00:00+08:00")
    make_visit(zhong, user=alice, finished_at="2026-11-01T10:00:00+08:00", review_state="returned")
    v5 = make_visit(qd, user=bob, finished_at="2026-11-01T10:00:00+08:00", review_state="approved")

    make_callback(on_time, v1, status="done", outcome="confirmed")
    make_callback(qd, v5, status="done", outcome="not_visited")
    make_callback(qd, v5, status="pending")
    make_callback(policy=qd.policy, item="claim", status="done", outcome="answered")  # a first call (R11)
    make_callback(policy=qd.policy, item="claim", status="recontact", attempts=3)  # every attempt spent
    make_callback(policy=qd.policy, item="claim", status="pending", attempts=1)  # still being tried

    now = datetime.now(UTC)
    make_case(
        on_time.policy, category="misleading_sale", task_id=on_time.id, created_at=now - timedelta(hours=1)
    )
    make_case(
        qd.policy,
        category="signature_not_genuine",
        status="resolved",
        task_id=qd.id,
        created_at=now - timedelta(hours=2),
        resolved_at=now - timedelta(hours=2) + timedelta(days=10),
    )
    return {"alice": alice, "bob": bob}


def overview(caller, **query):
    response = caller.get("/api/v1/stats/overview", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def by_label(body):
    return {g["label"]: g for g in body["groups"]}


def test_the_figures_of_the_province(login_as, work):
    body = overview(login_as("admin"))
    totals = body["totals"]
    assert body["period"]["month_to"] == THIS_MONTH and len(body["period"]["months"]) == 12
    assert totals["tasks"] == 7 and totals["tasks_cancelled"] == 1
    assert totals["tasks_completed"] == 4  # closed, submitted, approved, closed
    assert totals["tasks_on_time"] == 3  # the late one finished after its due date
    assert totals["completion_rate"] == round(4 / 6, 4) and totals["on_time_rate"] == 0.75
    assert totals["tasks_overdue_open"] == 1
    assert (
        totals["visits"],
        totals["visits_completed"],
        totals["visits_approved"],
        totals["visits_returned"],
    ) == (
        5,
        4,
        2,
        1,
    )
    assert (totals["callbacks"], totals["callbacks_done"], totals["callbacks_confirmed"]) == (3, 2, 1)
    assert totals["confirm_rate"] == 0.5
    assert (totals["first_calls"], totals["first_calls_done"]) == (3, 1)
    assert (totals["first_calls_reached"], totals["first_calls_recontact"]) == (1, 1)
    assert totals["reach_rate"] == 0.5  # the pending call is not counted yet
    assert (totals["cases_opened"], totals["cases_open"], totals["cases_resolved"]) == (2, 1, 1)
    assert totals["avg_days_to_close"] == pytest.approx(10, abs=0.01)
    breakdowns = body["breakdowns"]
    assert breakdowns["task_status"] == {
        "closed": 2,
        "submitted": 1,
        "assigned": 1,
        "cancelled": 1,
        "approved": 1,
        "unassigned": 1,
    }
    assert breakdowns["visit_outcome"] == {"completed": 4, "not_at_home": 1}
    assert breakdowns["callback_outcome"] == {"confirmed": 1, "not_visited": 1, "answered": 1}
    assert [(c["code"], c["name"], c["count"]) for c in breakdowns["case_category"]] == [
        ("misleading_sale", "销售误导", 1),
        ("signature_not_genuine", "签名非本人所签", 1),
    ]
    assert sum(b["count"] for b in breakdowns["open_task_age"]) == 2  # assigned + unassigned
    assert breakdowns["open_task_age"][0] == {"bucket": "0-7", "count": 2}


def test_drill_down_through_the_tree(login_as, work, org):
    admin = login_as("admin")
    province = by_label(overview(admin))
    assert set(province) == {"济南市", "青岛市"}
    assert province["济南市"]["tasks"] == 5 and province["青岛市"]["tasks"] == 2
    assert province["济南市"]["drillable"] is True and province["济南市"]["institution_id"] == org["3701"]
    assert province["青岛市"]["confirm_rate"] == 0.0 and province["济南市"]["confirm_rate"] == 1.0
    jinan = overview(admin, institution_id=org["3701"])
    assert [b["name"] for b in jinan["breadcrumb"]] == ["山东省", "济南市"]
    counties = by_label(jinan)
    assert set(counties) == {"历下区", "市中区"}
    assert counties["历下区"]["tasks"] == 4 and counties["历下区"]["cases_opened"] == 1
    assert counties["市中区"]["drillable"] is False
    county = overview(admin, institution_id=org["370102"])
    assert [g["own_level"] for g in county["groups"]] == [True]  # a county's own records
    assert county["totals"]["tasks"] == 4


def test_a_city_sees_only_its_subtree(login_as, work, org):
    city = login_as("supervisor", institution="3701")
    body = overview(city)
    assert body["institution"]["name"] == "济南市" and body["totals"]["tasks"] == 5
    assert body["totals"]["callbacks"] == 1 and body["totals"]["cases_opened"] == 1
    assert [b["name"] for b in body["breadcrumb"]] == ["济南市"]
    for outside in ("37", "3702", "370202"):
        assert_error(
            city.get("/api/v1/stats/overview", query_string={"institution_id": org[outside]}),
            404,
            "not_found",
        )
    problems = city.get("/api/v1/stats/problems").json
    assert [c["code"] for c in problems["categories"]] == ["misleading_sale"]


def test_every_dimension(login_as, work):
    admin = login_as("admin")
    people = by_label(overview(admin, by="specialist"))
    assert people["王专员"]["tasks"] == 4 and people["王专员"]["visits"] == 4
    assert people["刘专员"]["callbacks_done"] == 1 and people["刘专员"]["confirm_rate"] == 0.0
    assert people[None]["tasks"] == 2  # not assigned
    items = by_label(overview(admin, by="item"))
    assert items["grace_period"]["tasks"] == 1 and items["claim"]["tasks_completed"] == 1
    assert items["claim"]["first_calls"] == 3 and items["claim"]["callbacks"] == 2
    assert items["claim"]["reach_rate"] == 0.5
    sources = by_label(overview(admin, by="source"))
    assert sources["explanation"]["tasks"] == 1
    channels = by_label(overview(admin, by="channel"))
    assert (
        channels["bank"]["tasks"] == 1
        and channels["bank"]["visits"] == 1
        and channels["bank"]["cases_opened"] == 1
    )
    assert by_label(overview(admin, by="product_type"))["universal"]["callbacks_confirmed"] == 1
    months = overview(admin, by="month", month_from="2026-01", month_to=THIS_MONTH)
    assert [g["key"] for g in months["groups"]] == months["period"]["months"]
    counted = {g["key"]: g["tasks"] for g in months["groups"] if g["tasks"]}
    assert counted == {THIS_MONTH: 7}


def test_the_period_bounds_what_is_counted(login_as, work):
    admin = login_as("admin")
    assert overview(admin, month_from="2025-01", month_to="2025-06")["totals"]["tasks"] == 0
    backwards = overview(admin, month_from=THIS_MONTH, month_to="2026-01")
    assert backwards["period"]["month_from"] == "2026-01"


def test_the_problems_trend(login_as, work):
    body = login_as("compliance_officer").get("/api/v1/stats/problems").json
    assert len(body["period"]["months"]) == 12
    series = {c["code"]: c for c in body["categories"]}
    assert series["misleading_sale"]["name"] == "销售误导" and series["misleading_sale"]["reportable"] is True
    assert (
        series["signature_not_genuine"]["counts"][-1] == 1
        and sum(series["signature_not_genuine"]["counts"]) == 1
    )


def test_arguments_and_roles(login_as):
    admin = login_as("admin")
    for query in ({"month_from": "2026-13"}, {"by": "colour"}, {"month_to": "26-01"}):
        assert_error(admin.get("/api/v1/stats/overview", query_string=query), 422, "validation_error")
    assert_error(
        admin.get("/api/v1/stats/overview", query_string={"month_from": "2020-01", "month_to": "2026-01"}),
        422,
        "validation_error",
    )
    assert_error(login_as("specialist").get("/api/v1/stats/overview"), 403, "forbidden")
    empty = overview(admin)
    assert empty["totals"]["tasks"] == 0 and empty["totals"]["completion_rate"] is None
    assert [(g["label"], g["tasks"]) for g in empty["groups"]] == [("济南市", 0), ("青岛市", 0)]


def test_period_helper():
    span = services.period("2026-11", "2027-02")
    assert span.months == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert span.end == date(2027, 3, 1)
