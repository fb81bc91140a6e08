"""The monthly report: XLSX per institution (with its subtree), specialist and category; audited."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import select, update

from server.audit.models import AuditEvent
from server.extensions import db
from server.questionnaires.services import ensure_problem_categories
from server.tasks.models import VisitTask
from server.tasks.services import today
from tests.server.conftest import assert_error

THIS_MONTH = f"{today():%Y-%m}"


def sheets(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.get_data()))
    return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets}


def test_monthly_report_per_institution_rolls_up_the_subtree(
    login_as, make_policy, make_task, make_visit, make_case, make_callback, make_user, org
):
    ensure_problem_categories()
    db.session.commit()
    alice = make_user("specialist", institution="370102", display_name="王专员")
    lixia = make_task(make_policy(institution="370102"))
    make_task(make_policy(institution="370202"))
    db.session.execute(
        update(VisitTask).where(VisitTask.id == lixia.id).values(status="closed", assignee_id=alice.id)
    )
    db.session.commit()
    make_visit(lixia, user=alice, finished_at=f"{today():%Y-%m-%d}T10:00:00+08:00")
    make_case(lixia.policy, category="misleading_sale")
    # First phone calls (R11): one reached, one sent to re-confirmation (R12), one still being tried.
    make_callback(policy=lixia.policy, item="new_business", status="done", outcome="answered")
    make_callback(policy=lixia.policy, item="new_business", status="recontact", attempts=3)
    make_callback(policy=lixia.policy, item="new_business", status="pending", attempts=1)
    # Last year's task is not in this month's report.
    old = make_task(make_policy(institution="370103"))
    db.session.execute(
        update(VisitTask).where(VisitTask.id == old.id).values(created_at=datetime(2025, 1, 15, tzinfo=UTC))
    )
    db.session.commit()

    admin = login_as("admin")
    book = sheets(admin.get("/api/v1/stats/monthly-report", query_string={"month": THIS_MONTH}))
    assert list(book) == ["机构", "专员", "问题分类"]
    header, *rows = book["机构"]
    assert header[:4] == ["机构代码", f"机构（{THIS_MONTH}，山东省）", "层级", "任务数"]
    tasks = {row[0]: row[3] for row in rows}
    assert tasks == {"37": 2, "3701": 1, "370102": 1, "370103": 0, "3702": 1, "370202": 1, "370211": 0}
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_code["370102"]["完成率"] == 1.0 and by_code["370102"]["按时率"] == 1.0
    assert by_code["370102"][header[1]].strip("\u3000") == "历下区"
    assert by_code["37"]["新增问题件"] == 1
    assert (by_code["370102"]["首次电话回访"], by_code["370102"]["首次电话接通"]) == (3, 1)
    assert by_code["37"]["转联系方式复核"] == 1 and by_code["37"]["电话接通率"] == 0.5
    _, *people = book["专员"]
    assert {row[1]: row[3] for row in people} == {"王专员": 1, "（未分配）": 1}
    assert book["问题分类"][1] == ["misleading_sale", "销售误导", "是", 1]

    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "stats_report_exported")).one()
    assert event.actor_id == admin.user.id and event.data["month"] == THIS_MONTH

    # A city gets its own subtree, and cannot ask for another's.
    city = login_as("supervisor", institution="3702")
    city_rows = sheets(city.get("/api/v1/stats/monthly-report", query_string={"month": THIS_MONTH}))["机构"][
        1:
    ]
    assert [row[0] for row in city_rows] == ["3702", "370202", "370211"]
    assert_error(
        city.get("/api/v1/stats/monthly-report", query_string={"institution_id": org["3701"]}),
        404,
        "not_found",
    )


def test_monthly_report_defaults_to_last_month(login_as):
    book = sheets(login_as("reviewer").get("/api/v1/stats/monthly-report"))
    header = book["机构"][0]
    last = today().replace(day=1).toordinal() - 1
    assert header[1].startswith(f"机构（{datetime.fromordinal(last):%Y-%m}")
