"""Intake end to end through the API and the CLI: dry run, confirm, all or nothing, R1 scope at its
edges, idempotency, scoping, the error report."""

from __future__ import annotations

import csv
import io
import time
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.intake.models import IntakeBatch
from server.policies.models import Policy, PolicyChange, Salesperson
from server.risk.models import RiskAlert
from server.tasks.models import TaskEvent, VisitTask
from tests.server.conftest import assert_error

COLUMNS = [
    "需求编号",
    "保单号",
    "回访事项",
    "面访原因",
    "机构代码",
    "产品名称",
    "产品类型",
    "销售渠道",
    "保险期间",
    "投保人姓名",
    "投保人证件号码",
    "投保人电话",
    "金额",
    "宽限期截止日",
    "业务员代码",
    "业务员姓名",
    "业务员电话",
]
IDS = ["11010519491231002X", "370102199003071234", "370103198512120015", "37020219700101002X"]


def valid_ids():
    from server.intake.normalise import id_check_digit

    out = []
    for i in range(40):
        first17 = f"3701021985{(i % 12) + 1:02d}1{i % 9}{i:03d}"[:17]
        number = first17 + id_check_digit(first17)
        if not number.endswith("000"):
            out.append(number)
    return out


ID_POOL = valid_ids()


def need(n: int, **over) -> dict:
    row = {
        "需求编号": f"R{n}",
        "保单号": f"P{n:04d}",
        "回访事项": "新单",
        "面访原因": "无电话",
        "机构代码": "370102",
        "产品名称": "鑫福年年终身寿险",
        "产品类型": "传统型",
        "销售渠道": "个人代理",
        "保险期间": "终身",
        "投保人姓名": f"客户{n}",
        "投保人证件号码": ID_POOL[n % len(ID_POOL)],
        "投保人电话": f"1390000{n:04d}",
    }
    row.update(over)
    return row


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode(encoding)


def upload(caller, data: bytes, filename="needs.csv", **query):
    return caller.post(
        "/api/v1/intake/files",
        query_string={"filename": filename, **query},
        data=data,
        headers={"Content-Type": "application/octet-stream"},
    )


def wait(caller, batch_id: int, timeout=30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = caller.get(f"/api/v1/intake/batches/{batch_id}").json
        if batch["status"] not in ("queued", "running"):
            return batch
        time.sleep(0.05)
    raise AssertionError(f"batch {batch_id} did not finish: {batch}")


def check_then_import(caller, data: bytes, **query) -> tuple[dict, dict]:
    response = upload(caller, data, **query)
    assert response.status_code == 202, response.json
    checked = wait(caller, response.json["id"])
    confirmed = caller.post(f"/api/v1/intake/batches/{checked['id']}/confirm")
    assert confirmed.status_code == 202, confirmed.json
    return checked, wait(caller, checked["id"])


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def table_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def test_upload_dry_run_then_confirm_creates_policies_and_tasks(login_as, app):
    admin = login_as("admin")
    rows = [
        need(1),
        need(2, 回访事项="退保", 金额="¥1,000.00"),
        need(3, 回访事项="宽限期", 宽限期截止日="2026/12/31"),
    ]
    checked, imported = check_then_import(admin, csv_bytes(rows))
    assert checked["status"] == "checked" and checked["mode"] == "dry_run"
    assert checked["counts"]["task_created"] == 3 and checked["counts"]["policy_created"] == 3
    assert [r["outcome"] for r in checked["preview"]] == ["task_created"] * 3
    assert count(Policy) == 3 and count(VisitTask) == 3  # the dry run wrote nothing; the import did
    assert imported["status"] == "imported" and imported["progress"] == 1.0
    tasks = db.session.scalars(select(VisitTask).order_by(VisitTask.external_ref)).all()
    assert [(t.external_ref, t.item, t.batch_id) for t in tasks] == [
        ("R1", "new_business", imported["id"]),
        ("R2", "surrender", imported["id"]),
        ("R3", "grace_period", imported["id"]),
    ]
    assert tasks[1].amount_fen == 100000
    # the upload waited on disk for its confirmation only
    stored = db.session.get(IntakeBatch, imported["id"]).stored_name
    assert not (Path(app.instance_path) / "intake" / stored).exists()


def test_dry_run_writes_nothing(login_as):
    admin = login_as("admin")
    before = table_counts()
    batch = wait(admin, upload(admin, csv_bytes([need(1), need(2)])).json["id"])
    assert batch["status"] == "checked" and batch["counts"]["task_created"] == 2
    after = table_counts()
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {
        "intake_batch": 1,
        "audit_event": 1,
    }


def test_one_bad_row_and_nothing_is_written_with_a_row_level_report(login_as, app):
    admin = login_as("admin")
    good = [need(i) for i in range(1, 6)]
    checked = wait(admin, upload(admin, csv_bytes([*good, need(6, 投保人电话="12345")])).json["id"])
    assert checked["error_count"] == 1
    assert_error(admin.post(f"/api/v1/intake/batches/{checked['id']}/confirm"), 409, "batch_has_errors")

    # Force the real import of a file that goes bad only at its end (the dry run cannot catch it:
    # the policy changes institution in between), and count every table before and after.
    ok = wait(admin, upload(admin, csv_bytes(good)).json["id"])
    assert ok["error_count"] == 0
    db.session.execute(
        IntakeBatch.__table__.update().where(IntakeBatch.id == ok["id"]).values(status="checked")
    )
    # Now make the last row invalid on disk (the file the import will read).
    path = app.instance_path + "/intake/" + db.session.get(IntakeBatch, ok["id"]).stored_name
    with open(path, "wb") as fh:
        fh.write(csv_bytes([*good, need(7, 投保人证件号码="3.70102199003071E+17")]))
    db.session.commit()
    before = table_counts()
    admin.post(f"/api/v1/intake/batches/{ok['id']}/confirm")
    rejected = wait(admin, ok["id"])
    assert rejected["status"] == "rejected" and rejected["error_count"] == 1
    after = table_counts()
    # Only the batch's own report changed: not one policy, task, event, alert or audit row.
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {"intake_row_error": 1}
    errors = admin.get(f"/api/v1/intake/batches/{ok['id']}/errors").json
    assert errors["total"] == 1
    (err,) = errors["items"]
    assert (err["row"], err["column"], err["code"]) == (7, "holder_id_number", "id_number_rounded")


def test_error_report_downloads_as_csv_with_bom_and_as_xlsx(login_as):
    admin = login_as("admin")
    rows = [need(1, 投保人电话="12345"), need(2, 回访事项="什么", 投保人证件号码="110105194912310021")]
    batch = wait(admin, upload(admin, csv_bytes(rows)).json["id"])
    assert batch["error_count"] == 3
    response = admin.get(f"/api/v1/intake/batches/{batch['id']}/errors.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines[0] == ["行号", "列", "列名 Column", "内容", "原因", "Reason", "错误代码 Code"]
    assert [(line[0], line[1], line[3]) for line in lines[1:]] == [
        ("2", "投保人电话", "12345"),
        ("3", "回访事项", "什么"),
        ("3", "投保人证件号码", "110105194912310021"),
    ]
    assert "校验位" in lines[3][4] and "check digit" in lines[3][5]
    xlsx = admin.get(f"/api/v1/intake/batches/{batch['id']}/errors.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.get_data())).active
    assert [c.value for c in sheet[1]][:2] == ["行号", "列"] and sheet.max_row == 4


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_messy_files_in_each_encoding_import_cleanly(login_as, encoding):
    admin = login_as("admin")
    rows = [
        need(
            1,
            # GBK has no NBSP; the ideographic space is what GBK files carry instead
            投保人姓名=("\u3000" if encoding.startswith("gb") else "\u00a0") + "王\u3000芳 ",
            投保人电话="１３９ ００００ ０１２３",
            投保人证件号码=ID_POOL[1].lower(),
        ),
        need(2, 回访事项="理赔", 金额="１,２３４.５０元", 保险期间="20年"),
        need(3, 回访事项="宽限期", 宽限期截止日="2026年12月31日"),
        need(4, 回访事项="宽限期", 宽限期截止日="20261230"),
        need(5, 回访事项="宽限期", 宽限期截止日="2026.12.29"),
    ]
    batch = wait(admin, upload(admin, csv_bytes(rows, encoding)).json["id"])
    assert batch["error_count"] == 0, admin.get(f"/api/v1/intake/batches/{batch['id']}/errors").json
    assert batch["encoding"] == ("utf-8-sig" if encoding.startswith("utf") else "gb18030")
    assert batch["counts"]["task_created"] == 5


def test_xlsx_with_excel_cells_and_a_rounded_id(login_as, tmp_path):
    admin = login_as("admin")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["回访需求清单"])
    sheet.append(COLUMNS)
    from datetime import datetime

    sheet.append(
        [
            "R1",
            "P0001",
            "宽限期",
            "无电话",
            370102,
            "产品",
            "传统型",
            "个人代理",
            "终身",
            "甲",
            ID_POOL[0],
            13900000001,
            None,
            datetime(2026, 12, 31),
        ]
    )
    sheet.append(
        [
            "R2",
            "P0002",
            "新单",
            "无电话",
            "370102",
            "产品",
            "传统型",
            "个人代理",
            240,
            "乙",
            370102199003071234.0,
            13900000002,
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    batch = wait(admin, upload(admin, buffer.getvalue(), filename="needs.xlsx").json["id"])
    assert batch["file_format"] == "xlsx" and batch["error_count"] == 1
    (err,) = admin.get(f"/api/v1/intake/batches/{batch['id']}/errors").json["items"]
    assert (err["row"], err["code"]) == (4, "id_number_rounded")
    assert batch["preview"][0]["outcome"] == "task_created", batch["preview"]


@pytest.mark.parametrize(
    "item, amount, term, outcome",
    [
        ("退保", "999.99", "终身", "out_of_scope"),
        ("退保", "1000", "终身", "task_created"),
        ("退保", "1000.01", "终身", "task_created"),
        ("理赔", "999.99", "终身", "out_of_scope"),
        ("理赔", "1000.00", "终身", "task_created"),
        ("新单", "", "12", "out_of_scope"),
        ("新单", "", "1年", "out_of_scope"),
        ("新单", "", "13", "task_created"),
        ("新单", "", "终身", "task_created"),
    ],
)
def test_r1_scope_at_its_edges(login_as, item, amount, term, outcome):
    admin = login_as("admin")
    batch = wait(
        admin, upload(admin, csv_bytes([need(1, 回访事项=item, 金额=amount, 保险期间=term)])).json["id"]
    )
    assert batch["error_count"] == 0
    (row,) = batch["preview"]
    assert row["outcome"] == outcome
    if outcome == "out_of_scope":
        assert row["reason"] and row["reason_en"]


def test_out_of_scope_rows_are_reported_not_dropped_and_do_not_block_the_file(login_as):
    admin = login_as("admin")
    _, imported = check_then_import(
        admin, csv_bytes([need(1), need(2, 保险期间="12"), need(3, 回访事项="退保", 金额="50")])
    )
    assert imported["status"] == "imported"
    assert (imported["counts"]["task_created"], imported["counts"]["out_of_scope"]) == (1, 2)
    reasons = {r["row"]: r.get("reason") for r in imported["preview"]}
    assert "一年" in reasons[3] and "1000" in reasons[4]
    assert count(Policy) == 1  # out-of-scope rows write nothing


def test_the_same_file_twice_creates_nothing_twice(login_as):
    admin = login_as("admin")
    data = csv_bytes([need(1), need(2)])
    check_then_import(admin, data)
    before = table_counts()
    checked, again = check_then_import(admin, data)
    assert checked["counts"]["duplicate"] == 2 and again["counts"]["duplicate"] == 2
    after = table_counts()
    assert {k for k in after if after[k] != before[k]} <= {"intake_batch", "audit_event"}


def test_rows_without_reference_get_one_from_their_content(login_as):
    admin = login_as("admin")
    rows = [{**need(1), "需求编号": ""}, {**need(2), "需求编号": ""}]
    check_then_import(admin, csv_bytes(rows))
    _, again = check_then_import(admin, csv_bytes(rows))
    assert again["counts"]["duplicate"] == 2 and count(VisitTask) == 2


def test_a_refreshed_policy_keeps_history_of_the_phone(login_as):
    admin = login_as("admin")
    check_then_import(admin, csv_bytes([need(1)]))
    _, imported = check_then_import(
        admin, csv_bytes([need(1, 需求编号="R1b", 回访事项="退保", 金额="2000", 投保人电话="13811112222")])
    )
    assert imported["counts"]["policy_updated"] == 1
    (change,) = db.session.scalars(select(PolicyChange)).all()
    assert (change.field, change.old_value, change.new_value, change.source) == (
        "holder_phone",
        "13900000001",
        "13811112222",
        "intake",
    )


def test_salespersons_are_registered_and_r5_risks_flagged(login_as):
    admin = login_as("admin")
    rows = [
        need(1, 业务员代码="S1", 业务员姓名="赵业务", 业务员电话="13700000001"),
        need(2, 投保人电话="13900000001"),  # a different holder with holder 1's phone
        need(3, 投保人电话="13700000001"),  # the salesperson's own phone
    ]
    _, imported = check_then_import(admin, csv_bytes(rows))
    assert imported["counts"]["salesperson_created"] == 1 and imported["counts"]["risk_alerts"] >= 2
    assert db.session.scalars(select(Salesperson.phone)).all() == ["13700000001"]
    kinds = sorted(db.session.scalars(select(RiskAlert.kind)).all())
    assert kinds == ["salesperson_phone", "shared_phone"]


def test_unknown_salesperson_code_without_a_name_is_an_error(login_as):
    admin = login_as("admin")
    batch = wait(admin, upload(admin, csv_bytes([need(1, 业务员代码="S404")])).json["id"])
    (err,) = admin.get(f"/api/v1/intake/batches/{batch['id']}/errors").json["items"]
    assert err["code"] == "salesperson_unknown"


def test_a_city_admin_cannot_import_into_another_city_nor_see_its_batches(login_as):
    qingdao = login_as("admin", institution="3702")
    batch = wait(qingdao, upload(qingdao, csv_bytes([need(1), need(2, 机构代码="370202")])).json["id"])
    (err,) = qingdao.get(f"/api/v1/intake/batches/{batch['id']}/errors").json["items"]
    assert (err["row"], err["code"]) == (2, "out_of_scope")
    assert_error(upload(qingdao, csv_bytes([need(1)]), institution_code="370102"), 403, "out_of_scope")
    jinan = login_as("admin", institution="3701")
    assert_error(jinan.get(f"/api/v1/intake/batches/{batch['id']}"), 404, "not_found")
    assert jinan.get("/api/v1/intake/batches").json["items"] == []
    assert [b["id"] for b in qingdao.get("/api/v1/intake/batches").json["items"]] == [batch["id"]]


def test_a_policy_of_another_city_cannot_be_rewritten_by_a_file(login_as):
    province = login_as("admin")
    check_then_import(province, csv_bytes([need(1)]))  # P0001 in 历下区
    qingdao = login_as("admin", institution="3702")
    batch = wait(qingdao, upload(qingdao, csv_bytes([need(1, 需求编号="X1", 机构代码="370202")])).json["id"])
    (err,) = qingdao.get(f"/api/v1/intake/batches/{batch['id']}/errors").json["items"]
    assert err["code"] == "policy_out_of_scope"


def test_default_institution_fills_empty_cells(login_as):
    admin = login_as("admin")
    batch = wait(
        admin, upload(admin, csv_bytes([need(1, 机构代码="")]), institution_code="370103").json["id"]
    )
    assert batch["error_count"] == 0 and batch["default_institution_code"] == "370103"


def test_file_level_problems_fail_the_batch_with_the_reason(login_as):
    admin = login_as("admin")
    batch = wait(admin, upload(admin, "保单号,回访事项,面访原因\nP1,新单,无电话\n".encode()).json["id"])
    assert batch["status"] == "failed" and batch["failure"]["code"] == "header_missing_columns"
    assert "产品名称" in batch["failure"]["message"]
    assert_error(admin.post(f"/api/v1/intake/batches/{batch['id']}/confirm"), 409, "batch_not_checked")
    assert_error(upload(admin, b""), 422, "file_empty")


def test_only_administrators_import(login_as):
    assert_error(upload(login_as("supervisor", institution="3701"), csv_bytes([need(1)])), 403, "forbidden")


# ---- JSON batches -----------------------------------------------------------------------------


def json_row(n: int, **over) -> dict:
    row = {
        "external_ref": f"J{n}",
        "policy_number": f"J{n:04d}",
        "item": "surrender",
        "source": "phone_refused",
        "product_name": "稳赢一生终身寿险（万能型）",
        "product_type": "universal",
        "channel": "bank",
        "bank_name": "中国银行",
        "holder_name": "孙七",
        "holder_id_number": ID_POOL[n % len(ID_POOL)],
        "holder_phone": f"1370000{n:04d}",
        "amount": "5000.00",
        "paid_to_other": "是",
    }
    row.update(over)
    return row


def test_json_batch_is_idempotent_by_its_reference(login_as):
    admin = login_as("admin")
    body = {"external_ref": "PS-2026-0001", "institution_code": "370102", "rows": [json_row(1), json_row(2)]}
    first = admin.post("/api/v1/intake/batches", json=body)
    assert first.status_code == 201, first.json
    assert first.json["counts"]["task_created"] == 2
    task = db.session.scalars(select(VisitTask).where(VisitTask.external_ref == "J1")).one()
    assert task.paid_to_other is True and task.amount_fen == 500000 and task.item == "surrender"
    events = count(TaskEvent)
    again = admin.post("/api/v1/intake/batches", json=body)
    assert again.status_code == 200 and again.json["replayed"] is True
    assert again.json["batch_id"] == first.json["batch_id"]
    assert count(VisitTask) == 2 and count(TaskEvent) == events
    changed = {**body, "rows": [json_row(3)]}
    assert_error(admin.post("/api/v1/intake/batches", json=changed), 409, "batch_ref_conflict")
    # a new batch carrying an old row: that row is a duplicate, the new one is created
    mixed = {"external_ref": "PS-2026-0002", "institution_code": "370102", "rows": [json_row(2), json_row(4)]}
    assert admin.post("/api/v1/intake/batches", json=mixed).json["counts"] == {
        "rows": 2,
        "duplicate": 1,
        "task_created": 1,
        "policy_created": 1,
        "policy_updated": 0,
        "policy_unchanged": 0,
        "risk_alerts": 0,
    }


def test_json_batch_with_an_invalid_row_writes_nothing(login_as):
    admin = login_as("admin")
    before = table_counts()
    body = {
        "external_ref": "PS-BAD",
        "institution_code": "370102",
        "rows": [json_row(1), json_row(2, amount="12.345")],
    }
    err = assert_error(admin.post("/api/v1/intake/batches", json=body), 422, "intake_rejected")
    assert err["details"]["errors"] == [
        {
            "row": 2,
            "column": "amount",
            "value": "12.345",
            "code": "amount_precision",
            "message": "金额最多保留两位小数（到分）",
            "message_en": "An amount has at most two decimals (fen)",
        }
    ]
    assert table_counts() == before
    # the reference was not used up: the corrected batch goes through
    body["rows"][1]["amount"] = "12.34"
    ok = admin.post("/api/v1/intake/batches", json=body)
    assert ok.status_code == 201 and ok.json["counts"]["out_of_scope"] == 1


def test_json_dry_run_answers_row_by_row(login_as):
    admin = login_as("admin")
    body = {
        "external_ref": "PS-DRY",
        "institution_code": "370102",
        "dry_run": True,
        "rows": [json_row(1), json_row(2, amount="999.99"), json_row(3, holder_phone="123")],
    }
    before = table_counts()
    result = admin.post("/api/v1/intake/batches", json=body)
    assert result.status_code == 200
    assert [o["outcome"] for o in result.json["outcomes"]] == ["task_created", "out_of_scope", "error"]
    assert table_counts() == before


# ---- CLI --------------------------------------------------------------------------------------


def test_cli_import_file_dry_run_then_import_with_report(app, org, tmp_path):
    path = tmp_path / "needs.csv"
    path.write_bytes(csv_bytes([need(1), need(2)], "gbk"))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["huifang", "import-file", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "checked" in dry.output and "task_created" in dry.output
    assert count(VisitTask) == 0
    done = runner.invoke(args=["huifang", "import-file", str(path)])
    assert done.exit_code == 0 and "imported" in done.output
    assert count(VisitTask) == 2

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([need(3, 投保人电话="1")]))
    report = tmp_path / "report.xlsx"
    failed = runner.invoke(args=["huifang", "import-file", str(bad), "--report", str(report)])
    assert failed.exit_code == 1 and "rejected" in failed.output
    assert openpyxl.load_workbook(report).active.max_row == 2


def test_cli_generate_writes_a_file_that_imports_without_errors(app, org, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "gen.csv"
    result = runner.invoke(args=["huifang", "generate", "--policies", "300", "--out", str(out), "--messy"])
    assert result.exit_code == 0, result.output
    imported = runner.invoke(args=["huifang", "import-file", str(out)])
    assert imported.exit_code == 0, imported.output
    assert count(VisitTask) > 200 and count(RiskAlert) >= 1


# ---- R11 phone first: rows whose source is "phone" become first phone callbacks ---------------


@pytest.fixture
def phone_templates(org):
    from server.questionnaires.services import load_templates

    load_templates()


def test_phone_first_rows_become_first_calls_and_the_others_visit_tasks(login_as, phone_templates):
    from server.callbacks.models import PhoneCallback

    admin = login_as("admin")
    rows = [
        json_row(1, source="电话回访", item="新单", amount=None, paid_to_other=None, term="10年"),
        json_row(
            2, source="phone", item="grace_period", amount=None, paid_to_other=None, grace_end="2026-12-31"
        ),
        json_row(3),  # phone_refused: a visit task, as before
    ]
    body = {"external_ref": "PS-PHONE-1", "institution_code": "370102", "rows": rows}
    answer = admin.post("/api/v1/intake/batches", json=body)
    assert answer.status_code == 201, answer.json
    assert answer.json["counts"]["call_created"] == 2 and answer.json["counts"]["task_created"] == 1
    outcomes = {o["row"]: o for o in answer.json["outcomes"]}
    assert outcomes[1]["outcome"] == outcomes[2]["outcome"] == "call_created"
    assert outcomes[3]["outcome"] == "task_created"

    calls = {c.external_ref: c for c in db.session.scalars(select(PhoneCallback))}
    assert set(calls) == {"J1", "J2"}
    assert calls["J1"].kind == "first_call" and calls["J1"].status == "pending"
    assert calls["J1"].questionnaire_code == "phone_new_business" and calls["J1"].item == "new_business"
    assert outcomes[1]["callback_id"] == calls["J1"].id
    assert calls["J2"].questionnaire_code == "phone_grace_period"
    # R8: a grace-period call is due 15 working days before the grace period ends
    assert calls["J2"].due_date == date(2026, 12, 10)
    assert db.session.scalars(select(VisitTask.external_ref)).all() == ["J3"]
    policy = db.session.scalars(select(Policy).where(Policy.policy_number == "J0001")).one()
    assert calls["J1"].policy_id == policy.id and calls["J1"].institution_id == policy.institution_id

    # the same rows again, in another batch: duplicates, nothing made twice
    again = admin.post("/api/v1/intake/batches", json={**body, "external_ref": "PS-PHONE-2"}).json["counts"]
    assert again["duplicate"] == 3 and "call_created" not in again
    assert count(PhoneCallback) == 2 and count(VisitTask) == 1
    # and the agent's queue has them
    agent = login_as("phone_agent", institution="37")
    listed = agent.get("/api/v1/callbacks", query_string={"kind": "first_call"}).json["items"]
    assert {c["id"] for c in listed} == {c.id for c in calls.values()}


def test_a_phone_first_file_with_an_error_makes_no_call(login_as, phone_templates):
    from server.callbacks.models import PhoneCallback

    admin = login_as("admin")
    before = table_counts()
    rows = [need(1, 面访原因="电话回访"), need(2, 面访原因="电话回访", 投保人电话="12")]
    response = upload(admin, csv_bytes(rows))
    checked = wait(admin, response.json["id"])
    # the dry run says what would happen, row by row, and writes no call
    assert checked["counts"]["call_created"] == 1 and checked["error_count"] == 1
    assert [row["outcome"] for row in checked["preview"]] == ["call_created", "error"]
    assert count(PhoneCallback) == 0
    assert_error(admin.post(f"/api/v1/intake/batches/{checked['id']}/confirm"), 409, "batch_has_errors")
    after = table_counts()
    changed = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    assert changed == {"intake_batch": 1, "intake_row_error": 1, "audit_event": 1}  # the batch and its report


def test_phone_first_needs_the_phone_questionnaire_published(login_as):
    admin = login_as("admin")
    body = {
        "external_ref": "PS-NOQ",
        "institution_code": "370102",
        "rows": [json_row(1, source="电话回访", item="新单", amount=None, paid_to_other=None, term="10年")],
    }
    err = assert_error(admin.post("/api/v1/intake/batches", json=body), 422, "intake_rejected")
    assert err["details"]["errors"][0]["code"] == "questionnaire_missing"
