"""Exports: CSV with a BOM, XLSX, masked for the roles that see masked data, audited, streamed."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.extensions import db
from server.search import exports
from tests.server.conftest import assert_error

ID = "370102198001011234"
PHONE = "13912345678"


@pytest.fixture
def task(make_policy, make_task):
    return make_task(make_policy(holder_name="导出客户", holder_id_number=ID, holder_phone=PHONE))


def read_csv(response):
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM first, for Excel"
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"))))


def read_xlsx(response):
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    return {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets
    }


def exported(caller, kind="tasks", **query):
    response = caller.get(f"/api/v1/search/{kind}/export", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.is_streamed
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    return response


def test_csv_has_a_bom_chinese_headers_and_masked_data_for_a_reviewer(login_as, task):
    reviewer = login_as("reviewer")
    response = exported(reviewer, format="csv")
    assert response.mimetype == "text/csv"
    header, row = read_csv(response)
    assert header[:3] == ["任务编号", "状态", "回访事项"]
    values = dict(zip(header, row, strict=True))
    assert values["任务编号"] == str(task.id)
    assert values["回访事项"] == "新契约" and values["投保人"] == "导出客户"
    assert values["投保人证件号码"] == "3701**********1234"
    assert values["投保人电话"] == "139****5678"
    assert ID not in response.get_data(as_text=True) and PHONE not in response.get_data(as_text=True)


def test_an_administrators_export_is_whole_and_excel_keeps_long_numbers_as_text(login_as, task):
    admin = login_as("admin")
    header, row = read_csv(exported(admin, format="csv"))
    values = dict(zip(header, row, strict=True))
    assert values["投保人证件号码"] == "\t" + ID  # Excel would round 18 digits to 15 without the tab
    assert values["投保人电话"] == PHONE
    book = read_xlsx(exported(admin, format="xlsx"))
    (sheet,) = book.values()
    xlsx_values = dict(zip(sheet[0], sheet[1], strict=True))
    assert xlsx_values["投保人证件号码"] == ID and xlsx_values["投保人电话"] == PHONE


def test_xlsx_export_of_a_reviewer_is_masked(login_as, task):
    response = exported(login_as("reviewer"), format="xlsx")
    assert response.mimetype == exports.XLSX_MIME
    book = read_xlsx(response)
    assert list(book) == ["面访任务"]
    header, row = book["面访任务"]
    values = dict(zip(header, row, strict=True))
    assert values["投保人证件号码"] == "3701**********1234" and values["投保人电话"] == "139****5678"


def test_every_export_is_audited_with_the_filters_but_never_a_whole_id_number(login_as, task):
    reviewer = login_as("reviewer")
    exported(reviewer, format="csv", id_number=ID, status=["unassigned", "assigned"])
    exported(login_as("admin"), kind="policies", format="xlsx", phone=PHONE)
    events = list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "search_exported").order_by(AuditEvent.id)
        )
    )
    assert [(e.data["kind"], e.data["format"], e.data["personal_data"]) for e in events] == [
        ("tasks", "csv", "masked"),
        ("policies", "xlsx", "full"),
    ]
    assert events[0].actor_id == reviewer.user.id
    assert events[0].data["filters"]["id_number"] == "3701**********1234"
    assert events[0].data["filters"]["status"] == ["unassigned", "assigned"]
    assert events[1].data["filters"]["phone"] == "139****5678"


def test_exports_are_scoped_like_the_search(login_as, make_policy, make_task, org):
    make_task(make_policy(holder_name="济南客户", institution="370102"))
    make_task(make_policy(holder_name="青岛客户", institution="370202"))
    city = login_as("supervisor", institution="3701")
    rows = read_csv(exported(city, format="csv"))
    assert [r[rows[0].index("投保人")] for r in rows[1:]] == ["济南客户"]
    assert_error(
        city.get("/api/v1/search/tasks/export", query_string={"institution_id": org["3702"]}),
        404,
        "not_found",
    )
    # The refused one is not on record as an export.
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "search_exported")) == 1


def test_spreadsheet_formulas_in_data_stay_text(login_as, make_policy, make_task):
    make_task(make_policy(holder_name='=HYPERLINK("http://x.example","点我")', insured_name="+1"))
    admin = login_as("admin")
    header, row = read_csv(exported(admin, format="csv"))
    values = dict(zip(header, row, strict=True))
    assert values["投保人"].startswith("'=") and values["被保险人"] == "'+1"
    book = load_workbook(io.BytesIO(exported(admin, format="xlsx").get_data()))
    sheet = book.worksheets[0]
    holder = sheet.cell(row=2, column=header.index("投保人") + 1)
    assert holder.data_type == "s" and holder.value.startswith("=HYPERLINK")


def test_english_headers_and_every_kind_exports(
    login_as, make_policy, make_task, make_visit, make_case, make_callback
):
    task = make_task(make_policy())
    visit = make_visit(task)
    make_case(task.policy, task_id=task.id)
    make_callback(task, visit, status="done", outcome="confirmed")
    admin = login_as("admin")
    for kind in ("policies", "tasks", "visits", "cases", "callbacks"):
        header, row = read_csv(exported(admin, kind=kind, format="csv", lang="en"))
        assert "Policy number" in header and row, kind
    header, row = read_csv(exported(admin, kind="callbacks", format="csv"))
    assert dict(zip(header, row, strict=True))["回访结果"] == "确认无误"


def test_a_sheet_too_long_for_excel_goes_on_in_the_next(login_as, make_policy, make_task, monkeypatch):
    for _ in range(5):
        make_task(make_policy())
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 2)
    book = read_xlsx(exported(login_as("admin"), format="xlsx", lang="en"))
    assert list(book) == ["visit tasks", "visit tasks 2", "visit tasks 3"]
    assert [len(rows) - 1 for rows in book.values()] == [2, 2, 1]


def test_export_arguments_are_checked(login_as):
    admin = login_as("admin")
    assert_error(admin.get("/api/v1/search/tasks/export?format=pdf"), 422, "validation_error")
    assert_error(login_as("specialist").get("/api/v1/search/tasks/export"), 403, "forbidden")
