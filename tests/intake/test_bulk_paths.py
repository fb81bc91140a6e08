"""The fast paths of a large intake, on both engines: COPY with sequence ids on PostgreSQL and
executemany / INSERT ... RETURNING on SQLite, ``= ANY(:array)`` lookups, the remembered calendar,
and files read and checked in a second process. Each is held to what the plain path does."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.calendar import services as calendar
from server.calendar.services import WorkCalendar
from server.extensions import db
from server.institutions.models import Institution
from server.intake import bulk, pipeline
from server.intake import services as intake
from server.intake.models import IntakeBatch, IntakeRowError
from server.intake.parsing import FileError
from server.intake.validators import Checked
from server.policies.models import Policy, Salesperson
from server.risk.models import RiskAlert
from server.risk.services import detect_for_policies
from server.scoping import Scope
from server.tasks.models import TaskEvent, VisitTask
from server.tasks.rules import due_date
from server.tasks.services import TaskSpec, create_tasks, existing_external_refs, today
from tests.intake.test_intake import COLUMNS, ID_POOL, csv_bytes, need


def table_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def table_rows(model) -> list[tuple]:
    table = model.__table__
    return [tuple(row) for row in db.session.execute(select(table).order_by(*table.primary_key.columns))]


# ---- = ANY(:array) and its array literal --------------------------------------------------------


def test_among_finds_exactly_the_values_asked_however_they_are_spelt(app_ctx, make_policy):
    awkward = ['P"1', "P\\2", "P,3", "P{4}", "NULL", "P 6", "保单7", "P'8"]
    made = {number: make_policy(policy_number=number).id for number in awkward}
    make_policy(policy_number="P-other")
    found = db.session.execute(
        select(Policy.policy_number, Policy.id).where(bulk.among(Policy.policy_number, [*awkward, "P-none"]))
    ).all()
    assert dict(found) == made
    ids = sorted(made.values())
    assert sorted(db.session.scalars(select(Policy.id).where(bulk.among(Policy.id, ids[:3])))) == ids[:3]
    assert db.session.scalars(select(Policy.id).where(bulk.among(Policy.id, []))).all() == []
    # More values than SQLite takes in one statement: cut in batches there, one array on PostgreSQL.
    many = [f"R{i}" for i in range(2500)]
    batches = bulk.batches(many)
    assert [v for batch in batches for v in batch] == many
    assert len(batches) == (1 if db.engine.dialect.name == "postgresql" else 3)
    assert existing_external_refs(many) == set()


# ---- create_tasks: COPY (PostgreSQL) and INSERT ... RETURNING (SQLite) give the same tasks ----


def test_bulk_tasks_carry_due_dates_questionnaires_status_and_history(app_ctx, make_policy):
    grace = make_policy(grace_end=date(2026, 10, 20))
    coolable = make_policy(cooling_off_end=date(2099, 1, 5))  # still ahead: due before it ends
    linked = make_policy(product_type="unit_linked")
    specs = [
        TaskSpec(grace.id, "grace_period", "no_phone", grace.institution_id),
        TaskSpec(grace.id, "lapse", "phone_refused", grace.institution_id, event_date=date(2026, 2, 10)),
        TaskSpec(coolable.id, "new_business", "no_phone", coolable.institution_id),
        TaskSpec(linked.id, "new_business", "phone_failed", linked.institution_id, notes="换号"),
        TaskSpec(
            linked.id,
            "surrender",
            "explanation",
            linked.institution_id,
            amount_fen=100_000,
            paid_to_other=True,
        ),
        TaskSpec(linked.id, "claim", "no_phone", linked.institution_id, due_date=date(2026, 12, 1)),
    ]
    many = specs * 300
    many[0] = replace(specs[0], external_ref="B-1")
    ids = create_tasks(many, actor_id=None, batch_id=42)  # 1800 tasks: COPY-sized
    db.session.commit()
    assert len(ids) == 1800 and ids == sorted(ids) and len(set(ids)) == 1800

    cal = WorkCalendar.load()
    day = today()
    expected = [
        (
            "grace_period",
            "unassigned",
            *due_date(
                cal, item="grace_period", today=day, grace_end=date(2026, 10, 20), cooling_off_end=None
            ),
        ),
        (
            "after_grace",
            "unassigned",
            *due_date(cal, item="lapse", today=day, grace_end=date(2026, 2, 10), cooling_off_end=None),
        ),
        ("new_business", "unassigned", date(2099, 1, 5), "犹豫期截止日 2099-01-05 前"),
        (
            "new_business_new_type",
            "recontact",  # R12: a failed phone callback goes to contact re-confirmation first
            *due_date(cal, item="new_business", today=day, grace_end=None, cooling_off_end=None),
        ),
        (
            "explanation",
            "unassigned",
            *due_date(cal, item="surrender", today=day, grace_end=None, cooling_off_end=None),
        ),
        ("surrender_claim", "unassigned", date(2026, 12, 1), "由来源系统指定"),
    ]
    assert expected[0][2] == date(2026, 9, 22)  # 15 working days before 20 October, National Day skipped
    tasks = {t.id: t for t in db.session.scalars(select(VisitTask))}
    for index, task_id in enumerate(ids):
        task, spec = tasks[task_id], specs[index % 6]
        assert (task.questionnaire_code, task.status, task.due_date, task.due_rule) == expected[index % 6]
        assert (task.policy_id, task.item, task.source, task.institution_id) == (
            spec.policy_id,
            spec.item,
            spec.source,
            spec.institution_id,
        )
        assert (task.event_date, task.amount_fen, task.paid_to_other, task.notes) == (
            spec.event_date,
            spec.amount_fen,
            spec.paid_to_other,
            spec.notes,
        )
        assert task.batch_id == 42 and task.assignee_id is None and task.questionnaire_version_id is None
        assert task.created_at.tzinfo is not None and task.created_at == task.updated_at
    assert tasks[ids[0]].external_ref == "B-1" and tasks[ids[6]].external_ref is None

    events = db.session.scalars(select(TaskEvent).order_by(TaskEvent.id)).all()
    assert [e.task_id for e in events] == ids  # one "created" event each, in the same order
    for event in events:
        task = tasks[event.task_id]
        assert (event.action, event.from_status, event.to_status, event.actor_id) == (
            "created",
            None,
            task.status,
            None,
        )
        assert event.data == {"batch_id": 42, "due_rule": task.due_rule}
        assert event.at == task.created_at

    # The ids came from the table's own sequence: the ORM's next insert follows without a clash.
    later = VisitTask(
        policy_id=grace.id,
        item="new_business",
        source="no_phone",
        questionnaire_code="new_business",
        institution_id=grace.institution_id,
        due_date=date(2026, 12, 31),
        due_rule="测试",
    )
    db.session.add(later)
    db.session.commit()
    assert later.id > max(ids)


def test_a_due_date_in_an_unknown_year_writes_nothing(app_ctx, make_policy):
    policy = make_policy(grace_end=date(2031, 6, 30))
    before = table_counts()
    with pytest.raises(Exception) as caught:
        create_tasks(
            [
                TaskSpec(policy.id, "new_business", "no_phone", policy.institution_id),
                TaskSpec(policy.id, "grace_period", "no_phone", policy.institution_id),
            ],
            actor_id=None,
            batch_id=None,
        )
    assert getattr(caught.value, "code", None) == "calendar_year_unknown"
    db.session.flush()
    assert table_counts() == before


# ---- the calendar remembers, and an administrator's override still wins ------------------------


def test_the_remembered_calendar_still_obeys_overrides_and_new_entries(app_ctx):
    first = WorkCalendar.load()
    # Spring Festival 2026: 15–23 February off, Saturday 14 and Saturday 28 February worked.
    assert first.add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert first.add_workdays(date(2026, 2, 14), 1) == date(2026, 2, 24)
    assert first.add_workdays(date(2026, 2, 14), 1) == date(2026, 2, 24)  # asked again: remembered
    assert first.add_workdays(date(2026, 2, 24), -1) == date(2026, 2, 14)
    assert first.is_workday(date(2026, 10, 5)) is False  # National Day week
    calendar.set_day(date(2026, 10, 5), True, "调整", None)
    db.session.commit()
    # The package's answer is remembered for the process, the override is read at each load.
    assert WorkCalendar.load().is_workday(date(2026, 10, 5)) is True
    assert first.is_workday(date(2026, 10, 5)) is False  # a loaded calendar is a snapshot
    with pytest.raises(Exception) as caught:
        WorkCalendar.load().add_workdays(date(2031, 1, 5), 3)
    assert getattr(caught.value, "code", None) == "calendar_year_unknown"


# ---- risk detection in a fixed number of queries -------------------------------------------


def test_two_salespersons_on_one_customer_phone_raise_one_alert(app_ctx, make_policy, org):
    policy = make_policy(holder_phone="13712345678")
    for code in ("S-A", "S-B"):
        db.session.add(Salesperson(code=code, name="业务员", phone="13712345678", institution_id=org["3701"]))
    db.session.commit()
    assert detect_for_policies([policy.id]) == 1
    db.session.commit()
    (alert,) = db.session.scalars(select(RiskAlert)).all()
    assert (alert.kind, alert.phone, [p.policy_id for p in alert.policies]) == (
        "salesperson_phone",
        "13712345678",
        [policy.id],
    )
    assert detect_for_policies([policy.id]) == 0  # nothing new: nothing changes


def test_shared_phones_across_more_policies_than_one_sqlite_statement_takes(app_ctx, make_policy, org):
    rows = [
        {
            "policy_number": f"SH{i:05d}",
            "product_name": "鑫福",
            "product_type": "traditional",
            "channel": "agency",
            "holder_name": f"客户{i}",
            "holder_id_number": ID_POOL[i % len(ID_POOL)],
            "holder_phone": f"1380000{i % 999:04d}",  # every phone shared by two or three holders
            "insured_name": f"客户{i}",
            "institution_id": org["370102"],
        }
        for i in range(2500)
    ]
    from server.policies.services import upsert_policies

    ids = list(upsert_policies(rows, source="test", actor_id=None).values())
    assert detect_for_policies(ids) == 999
    db.session.commit()
    alerts = db.session.scalars(select(RiskAlert)).all()
    assert len(alerts) == 999 and sorted({len(a.policies) for a in alerts}) == [2, 3]
    assert detect_for_policies(ids) == 0


# ---- files read and checked in a second process ------------------------------------------------


def write(tmp_path, rows, name="needs.csv"):
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows))
    return path


def chunks_of(path, parallel: bool, chunk: int = 500):
    with pipeline.open_rows(
        path, need_institution=False, default_institution_code=None, chunk=chunk, parallel=parallel
    ) as reader:
        meta = (reader.format, reader.encoding, reader.layout, reader.total_rows)
        return meta, [list(c) for c in reader]


def test_the_checking_process_gives_what_checking_here_gives(tmp_path):
    rows = [need(i) for i in range(1, 1201)]
    rows[700] = need(701, 投保人电话="12345")  # an error travels back too
    rows[900] = need(901, 投保人证件号码="370102900307123")  # a note (15-digit ID upgraded) too
    path = write(tmp_path, rows)
    here_meta, here = chunks_of(path, parallel=False)
    there_meta, there = chunks_of(path, parallel=True)
    assert here_meta == there_meta
    assert [len(c) for c in there] == [500, 500, 200]
    from server.intake.validators import check_row

    flat_here = [(n, check_row(raw)) for c in here for n, raw in c]
    flat_there = [item for c in there for item in c]
    assert all(isinstance(c, Checked) for _, c in flat_there)
    assert [(n, c.record, c.errors, c.notes) for n, c in flat_there] == [
        (n, c.record, c.errors, c.notes) for n, c in flat_here
    ]
    assert flat_there[700][1].errors[0].code == "phone_invalid"
    assert flat_there[900][1].notes == ["holder_id_number:id15_upgraded"]


def test_the_checking_process_reports_file_errors_and_stops_when_left(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("标题\n一,二\n", encoding="utf-8")
    with pytest.raises(FileError) as caught:
        chunks_of(bad, parallel=True)
    assert caught.value.code == "header_not_found"

    path = write(tmp_path, [need(i) for i in range(1, 3001)])
    with pipeline.open_rows(
        path, need_institution=False, default_institution_code=None, chunk=200, parallel=True
    ) as reader:
        first = next(iter(reader))
        assert len(first) == 200
        child = reader._process
    assert child.poll() is not None  # left after one chunk: the child is gone, not waiting forever


def file_of(n: int, bad_at: int | None = None) -> bytes:
    rows = [need(i, 需求编号=f"BIG{i}", 保单号=f"B{i:06d}") for i in range(1, n + 1)]
    if bad_at is not None:
        rows[bad_at - 1] = need(bad_at, 需求编号=f"BIG{bad_at}", 投保人证件号码="3.70102199003071E+17")
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def run_file(path, org, *, dry_run=False):
    batch = IntakeBatch(kind="cli", filename=path.name, institution_id=org["37"], status="queued")
    db.session.add(batch)
    db.session.commit()
    root = Scope(db.session.get(Institution, org["37"]).path)
    return intake.run_file(batch.id, path, dry_run=dry_run, scope=root)


@pytest.fixture
def in_child(monkeypatch):
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)  # every file goes to the second process


def test_a_large_import_through_the_second_process_writes_what_one_process_writes(
    app_ctx, org, tmp_path, in_child, monkeypatch
):
    path = tmp_path / "big.csv"
    path.write_bytes(file_of(2300))  # two chunks of intake: COPY twice
    batch = run_file(path, org)
    assert batch.status == "imported" and batch.error_count == 0
    assert (batch.counts["rows"], batch.counts["task_created"], batch.rows_done) == (2300, 2300, 2300)
    assert [row["row"] for row in batch.preview] == list(range(2, 202))
    tasks = table_rows(VisitTask)
    assert len(tasks) == 2300 and db.session.scalar(select(func.count()).select_from(TaskEvent)) == 2300
    (audit,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "intake_imported")).all()
    assert audit.data["task_created"] == 2300

    # The same file through one process (another database state: compare what does not depend on ids).
    def shape():
        return sorted(
            db.session.execute(
                select(
                    Policy.policy_number,
                    VisitTask.item,
                    VisitTask.status,
                    VisitTask.due_date,
                    VisitTask.due_rule,
                    VisitTask.questionnaire_code,
                    VisitTask.external_ref,
                ).join(Policy, Policy.id == VisitTask.policy_id)
            ).all()
        )

    first = shape()
    for model in (TaskEvent, VisitTask):
        db.session.execute(model.__table__.delete())
    db.session.execute(Policy.__table__.delete())
    db.session.commit()
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 1 << 40)
    again = run_file(path, org)
    assert again.status == "imported" and again.counts["task_created"] == 2300
    assert shape() == first


def test_a_failed_import_leaves_the_database_exactly_as_it_was(app_ctx, org, tmp_path, in_child):
    earlier = tmp_path / "earlier.csv"
    earlier.write_bytes(csv_bytes([need(i) for i in range(1, 4)]))
    assert run_file(earlier, org).status == "imported"  # the database is not empty before
    path = tmp_path / "late-error.csv"
    path.write_bytes(file_of(4500, bad_at=4400))  # two chunks written by COPY before the bad row
    before = {model.__tablename__: table_rows(model) for model in (Policy, VisitTask, TaskEvent, RiskAlert)}
    counts = table_counts()
    batch = run_file(path, org)
    assert batch.status == "rejected" and batch.error_count == 1
    after = {model.__tablename__: table_rows(model) for model in (Policy, VisitTask, TaskEvent, RiskAlert)}
    assert after == before
    changed = {k: v - counts[k] for k, v in table_counts().items() if v != counts[k]}
    assert changed == {"intake_batch": 1, "intake_row_error": 1}
    (err,) = db.session.scalars(select(IntakeRowError)).all()
    assert (err.row_number, err.column, err.code) == (4401, "holder_id_number", "id_number_rounded")
