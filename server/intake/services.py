"""Intake: visit needs from files and JSON batches become policies and visit tasks (R1, R4, R5, R12–R15).

One pipeline for every way in (console upload, CLI, JSON batch API):

1. rows are read one by one (server.intake.parsing) and checked (server.intake.validators);
2. every CHUNK rows, what needs the database is done in bulk: institutions and their scope, R1 scope
   (server.tasks.eligibility), duplicates by external reference, the salesperson registry, policy
   upserts (server.policies.services), tasks (server.tasks.services.create_tasks) and R5 risk
   detection (server.risk.services.detect_for_policies);
3. the whole file is one transaction: any invalid row and nothing is written (rolled back), with a
   row-level report; a dry run is the same run, always rolled back, so what it shows is exactly what
   the import would do.

Rows outside R1's scope are reported as skipped with the reason, never dropped silently, and never
block the file. A row whose external reference is already known is a duplicate and is skipped whole:
importing the same file or batch twice creates nothing twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from server.audit import services as audit
from server.callbacks import first_calls
from server.dbtypes import utcnow
from server.errors import HuifangError
from server.extensions import db
from server.institutions.models import Institution
from server.intake import bulk, pipeline
from server.intake.columns import BY_KEY
from server.intake.models import ACTIVE, IntakeBatch, IntakeRowError
from server.intake.parsing import FileError
from server.intake.validators import Checked, RowError, check_row
from server.policies import services as policies
from server.policies.models import Policy
from server.risk.services import detect_for_policies
from server.scoping import Scope
from server.tasks.eligibility import out_of_scope
from server.tasks.services import TaskSpec, create_tasks, existing_external_refs

log = logging.getLogger("huifang.intake")

CHUNK = 2000
PREVIEW_ROWS = 200
MAX_STORED_ERRORS = 10_000  # the report keeps this many; error_count counts them all
PROGRESS_EVERY = 1.0  # seconds between progress writes
STALE_AFTER = timedelta(minutes=2)  # a running batch without a heartbeat for this long has died
API_MAX_ROWS = 5000

POLICY_KEYS = (
    "policy_number",
    "product_code",
    "product_name",
    "product_type",
    "channel",
    "bank_name",
    "group_business",
    "term_months",
    "holder_name",
    "holder_id_type",
    "holder_id_number",
    "holder_phone",
    "holder_address",
    "insured_name",
    "insured_id_number",
    "insured_phone",
    "pays_on_death",
    "premium_fen",
    "payment_frequency",
    "payment_period_years",
    "sum_assured_fen",
    "effective_date",
    "delivery_date",
    "cooling_off_end",
    "premium_due_date",
    "grace_end",
    "lapse_date",
)
# Always written, even empty: what a file row says about these is the snapshot.
_ALWAYS = {"policy_number", "product_name", "product_type", "channel", "holder_name", "insured_name"}


def _error(column, value, code, zh, en) -> RowError:
    return RowError(column, None if value is None else str(value)[:200], code, zh, en)


@dataclass
class Run:
    """The state of one pass over a file or batch: counts, the preview, the errors kept."""

    scope: Scope
    actor_id: int | None
    batch_id: int | None
    default_institution_code: str | None = None
    counts: Counter = field(default_factory=Counter)
    preview: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # (row_number, RowError), capped
    error_count: int = 0
    outcomes: list | None = None  # every row's outcome (JSON batches only)
    _institutions: dict = field(default_factory=dict)
    _preview_rows: set | None = None  # the row numbers of the first PREVIEW_ROWS data rows
    _calls: first_calls.FirstCallMaker | None = None  # made at the first phone-first row

    # -- recording ------------------------------------------------------------------------------

    def _outcome(self, number: int, outcome: str, record: dict | None, **extra) -> None:
        self.counts["rows"] += 1
        self.counts[outcome] += 1
        if number in self._preview_rows or self.outcomes is not None:
            row = {
                "row": number,
                "outcome": outcome,
                "policy_number": (record or {}).get("policy_number"),
                "item": (record or {}).get("item"),
                **extra,
            }
            if number in self._preview_rows:
                self.preview.append(row)
            if self.outcomes is not None:
                self.outcomes.append(row)

    def _fail(self, number: int, errors: list[RowError], record: dict | None) -> None:
        self.error_count += len(errors)
        for err in errors:
            if len(self.errors) < MAX_STORED_ERRORS:
                self.errors.append((number, err))
        first = errors[0]
        self._outcome(
            number,
            "error",
            record,
            reason=first.message,
            reason_en=first.message_en,
            column=first.column,
            errors=len(errors),
        )

    # -- the chunk ------------------------------------------------------------------------------

    def _institution(self, code: str) -> Institution | None:
        if code not in self._institutions:
            self._institutions[code] = policies.institutions_by_code([code]).get(code)
        return self._institutions[code]

    def finish(self) -> None:
        """Rows are decided in stages, errors first: put the preview back in file order."""
        self.preview.sort(key=lambda row: row["row"])
        if self.outcomes is not None:
            self.outcomes.sort(key=lambda row: row["row"])

    def process(self, rows: list[tuple[int, dict]]) -> None:
        if self._preview_rows is None:
            self._preview_rows = {number for number, _ in rows[:PREVIEW_ROWS]}
        checked = []
        for number, raw in rows:
            c = (  # checked already when a second process read the file (server.intake.pipeline)
                raw
                if isinstance(raw, Checked)
                else check_row(raw, default_institution_code=self.default_institution_code)
            )
            if c.errors:
                self._fail(number, c.errors, c.record)
                continue
            for note in c.notes:
                self.counts[f"note:{note.split(':', 1)[1]}"] += 1
            checked.append((number, c))
        if not checked:
            return

        # Institutions: known, active, and inside the caller's subtree (R2).
        ready = []
        for number, c in checked:
            r = c.record
            inst = self._institution(r["institution_code"])
            if inst is None:
                self._fail(
                    number,
                    [
                        _error(
                            "institution_code",
                            r["institution_code"],
                            "institution_unknown",
                            "机构代码不存在",
                            "No such institution code",
                        )
                    ],
                    r,
                )
            elif not self.scope.contains(inst):
                self._fail(
                    number,
                    [
                        _error(
                            "institution_code",
                            r["institution_code"],
                            "out_of_scope",
                            "该机构不在您的管辖范围内",
                            "That institution is outside your part of the organisation",
                        )
                    ],
                    r,
                )
            else:
                r["institution_id"] = inst.id
                ready.append((number, c))

        # A policy already held by another subtree cannot be rewritten from here.
        numbers = list({c.record["policy_number"] for _, c in ready})
        foreign = set()
        for start in range(0, len(numbers), policies.CHUNK):
            foreign.update(
                db.session.scalars(
                    select(Policy.policy_number).where(
                        bulk.among(Policy.policy_number, numbers[start : start + policies.CHUNK]),
                        Policy.institution_id.not_in(self.scope.institution_ids()),
                    )
                )
            )

        # R1 scope, then duplicates (in the database, or earlier in this chunk).
        refs = [c.record["external_ref"] for _, c in ready]
        known_refs = existing_external_refs(refs) | first_calls.existing_external_refs(refs)
        chunk_refs: set[str] = set()
        todo = []
        for number, c in ready:
            r = c.record
            if r["policy_number"] in foreign:
                self._fail(
                    number,
                    [
                        _error(
                            "policy_number",
                            r["policy_number"],
                            "policy_out_of_scope",
                            "该保单属于您管辖范围以外的机构，不能在此导入",
                            "The policy belongs to an institution outside your part of the organisation",
                        )
                    ],
                    r,
                )
                continue
            reason = out_of_scope(
                r["item"],
                group_business=r["group_business"],
                holder_is_person=r["holder_is_person"],
                term_months=r["term_months"],
                amount_fen=r["amount_fen"],
            )
            if reason is not None:
                self._outcome(
                    number,
                    "out_of_scope",
                    r,
                    reason=reason.message,
                    reason_en=reason.message_en,
                    code=reason.code,
                )
                continue
            ref = r["external_ref"]
            if ref in known_refs or ref in chunk_refs:
                self._outcome(
                    number,
                    "duplicate",
                    r,
                    reason=f"需求编号 {ref} 已导入过",
                    reason_en=f"external_ref {ref} was imported before",
                )
                continue
            chunk_refs.add(ref)
            todo.append((number, c))
        if not todo:
            return

        self._salespersons(todo)
        todo = [(number, c) for number, c in todo if "salesperson_error" not in c.record]

        policy_rows = []
        for _, c in todo:
            r = c.record
            row = {k: r[k] for k in POLICY_KEYS if r[k] is not None or k in _ALWAYS}
            row["institution_id"] = r["institution_id"]
            if r.get("salesperson_id"):
                row["salesperson_id"] = r["salesperson_id"]
            policy_rows.append(row)
        result = policies.upsert_policies_detailed(policy_rows, "intake", self.actor_id)
        for outcome in ("created", "updated", "unchanged"):
            self.counts[f"policy_{outcome}"] += sum(1 for _, o in result.values() if o == outcome)

        # R11, phone first: a row whose source is "phone" becomes the item's first phone callback;
        # the other sources say why the phone could not do the job, so they become visit tasks.
        calls = [(number, c) for number, c in todo if c.record["source"] == first_calls.PHONE_FIRST]
        if calls:
            self._create_calls(calls, result)
            todo = [(number, c) for number, c in todo if c.record["source"] != first_calls.PHONE_FIRST]
        specs = [
            TaskSpec(
                policy_id=result[c.record["policy_number"]][0],
                item=c.record["item"],
                source=c.record["source"],
                institution_id=c.record["institution_id"],
                event_date=c.record["event_date"],
                amount_fen=c.record["amount_fen"],
                paid_to_other=bool(c.record["paid_to_other"]),
                external_ref=c.record["external_ref"],
                due_date=c.record["due_date"],
                notes=c.record["notes"],
            )
            for _, c in todo
        ]
        task_ids = self._create_tasks(todo, specs)
        reported: set[str] = set()
        for (number, c), task_id in zip(todo, task_ids, strict=True):
            if task_id is None:
                continue
            pn = c.record["policy_number"]
            policy_outcome = "unchanged" if pn in reported else result[pn][1]
            reported.add(pn)
            self._outcome(number, "task_created", c.record, policy=policy_outcome, task_id=task_id)
        changed = [pid for pid, outcome in result.values() if outcome != "unchanged"]
        if changed:
            self.counts["risk_alerts"] += detect_for_policies(changed)
        db.session.flush()
        db.session.expunge_all()  # a million rows must not pile up in the identity map

    def _salespersons(self, todo) -> None:
        """Sellers named in the rows: found in the registry, or added to it (R5 needs their phones)."""
        wanted = {}
        for _, c in todo:
            r = c.record
            if r["salesperson_code"]:
                wanted.setdefault(r["salesperson_code"], {"code": r["salesperson_code"]}).update(
                    {
                        k: v
                        for k, v in (
                            ("name", r["salesperson_name"]),
                            ("phone", r["salesperson_phone"]),
                            ("institution_id", r["institution_id"]),
                        )
                        if v is not None
                    }
                )
        if not wanted:
            return
        known = policies.salesperson_ids_by_code(wanted)
        unnamed = {code for code in wanted if code not in known and "name" not in wanted[code]}
        for number, c in todo:
            if c.record["salesperson_code"] in unnamed:
                c.record["salesperson_error"] = True
                self._fail(
                    number,
                    [
                        _error(
                            "salesperson_code",
                            c.record["salesperson_code"],
                            "salesperson_unknown",
                            "业务员代码不在销售人员名单中，且未提供业务员姓名",
                            "Unknown salesperson code and no salesperson name given",
                        )
                    ],
                    c.record,
                )
        rows = [row for code, row in wanted.items() if code not in unnamed]
        ids = policies.upsert_salespersons(rows, only_missing_fields=True)
        self.counts["salesperson_created"] += sum(1 for _, o in ids.values() if o == "created")
        for _, c in todo:
            code = c.record["salesperson_code"]
            if code and code in ids:
                c.record["salesperson_id"] = ids[code][0]

    def _create_calls(self, calls, result) -> None:
        if self._calls is None:
            self._calls = first_calls.FirstCallMaker()
        policies_by_id = {
            p.id: p
            for p in db.session.scalars(
                select(Policy).where(Policy.id.in_({result[c.record["policy_number"]][0] for _, c in calls}))
            )
        }
        for number, c in calls:
            r = c.record
            policy = policies_by_id[result[r["policy_number"]][0]]
            try:  # make() checks everything before it adds anything
                callback = self._calls.make(
                    policy,
                    {
                        "item": r["item"],
                        "event_date": r["event_date"],
                        "external_ref": r["external_ref"],
                        "due_date": r["due_date"],
                    },
                    audited=False,  # the batch's own audit entry counts them
                )
            except HuifangError as err:
                column = "due_date" if err.code == "calendar_year_unknown" else "source"
                value = err.details.get("year") if err.code == "calendar_year_unknown" else r["source"]
                self._fail(number, [_error(column, value, err.code, err.message, err.message_en)], r)
                continue
            self._outcome(
                number, "call_created", r, policy=result[r["policy_number"]][1], callback_id=callback.id
            )

    def _create_tasks(self, todo, specs) -> list[int | None]:
        try:
            return create_tasks(specs, actor_id=self.actor_id, batch_id=self.batch_id)
        except HuifangError:
            pass
        # Something in the chunk cannot become a task (a due date in a year the calendar does not
        # know): find the rows one by one. create_tasks checks everything before it inserts.
        ids: list[int | None] = []
        for (number, c), spec in zip(todo, specs, strict=True):
            try:
                ids.extend(create_tasks([spec], actor_id=self.actor_id, batch_id=self.batch_id))
            except HuifangError as err:
                column = "due_date" if err.code == "calendar_year_unknown" else None
                self._fail(
                    number,
                    [_error(column, err.details.get("year"), err.code, err.message, err.message_en)],
                    c.record,
                )
                ids.append(None)
        return ids


# ---- running a file ----------------------------------------------------------------------------


def intake_dir() -> Path:
    path = Path(current_app.instance_path) / "intake"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Progress:
    """Progress of a running batch, readable by every app server.

    PostgreSQL: written to the batch row on a connection of its own, so it is visible while the
    import's transaction is still open. SQLite allows one writer at a time, and the import holds the
    write lock for the whole file: progress goes to a small file beside the database instead.
    """

    def __init__(self, batch_id: int):
        self.batch_id = batch_id
        self.sqlite = db.engine.dialect.name == "sqlite"
        self.path = intake_dir() / f"progress-{batch_id}.json"
        self._last = 0.0

    def __call__(self, progress: float, rows_done: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_EVERY:
            return
        self._last = now
        values = {"progress": round(progress, 4), "rows_done": rows_done, "heartbeat_at": utcnow()}
        if self.sqlite:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(
                json.dumps({**values, "heartbeat_at": values["heartbeat_at"].isoformat()}), encoding="utf-8"
            )
            os.replace(tmp, self.path)
            return
        with db.engine.begin() as conn:
            conn.execute(
                update(IntakeBatch.__table__).where(IntakeBatch.id == self.batch_id).values(**values)
            )

    def read(self) -> dict | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def run_file(batch_id: int, path: Path, *, dry_run: bool, scope: Scope) -> IntakeBatch:
    """Run a dry run or an import of a stored file for this batch, to the end. Commits."""
    path = Path(path)
    batch = db.session.get(IntakeBatch, batch_id)
    batch.status, batch.mode = "running", "dry_run" if dry_run else "import"
    batch.started_at = batch.heartbeat_at = utcnow()
    batch.progress, batch.rows_done, batch.finished_at, batch.failure = 0.0, 0, None, None
    db.session.execute(IntakeRowError.__table__.delete().where(IntakeRowError.batch_id == batch_id))
    db.session.commit()
    institution_id, need_institution = batch.institution_id, batch.default_institution_code is None
    run = Run(scope, batch.created_by, batch_id, batch.default_institution_code)
    progress = Progress(batch_id)
    failure = None
    meta: dict = {}
    started = time.monotonic()
    try:
        with pipeline.open_rows(
            path,
            need_institution=need_institution,
            default_institution_code=run.default_institution_code,
            chunk=CHUNK,
        ) as reader:
            meta = {
                "file_format": reader.format,
                "encoding": reader.encoding,
                "unknown_columns": reader.layout.unknown,
                "rows_total": reader.total_rows,
            }
            for chunk in reader:
                run.process(chunk)
                progress(reader.progress, run.counts["rows"])
        run.finish()
    except FileError as err:
        failure = {
            "code": err.code,
            "message": err.message,
            "message_en": err.message_en,
            "details": err.details,
        }
    except Exception as exc:
        log.exception("intake batch %s failed", batch_id)
        failure = {
            "code": "internal_error",
            "message": "导入过程中发生内部错误，未写入任何数据",
            "message_en": "The run broke off with an internal error; nothing was written",
            "details": {"error": str(exc)[:300]},
        }
    rows = run.counts["rows"]
    if failure is None and run.error_count == 0 and not dry_run and rows:
        audit.record(
            "intake_imported",
            actor=_user(run.actor_id),
            institution_id=institution_id,
            batch_id=batch_id,
            **{k: v for k, v in run.counts.items() if ":" not in k},
        )
        db.session.commit()
        status = "imported"
    else:
        db.session.rollback()
        status = (
            "failed"
            if failure
            else "rejected"
            if run.error_count and not dry_run
            else "checked"
            if dry_run
            else "imported"
        )
    if failure is None and rows == 0:
        failure = {
            "code": "file_empty",
            "message": "文件中没有数据行",
            "message_en": "The file has no data rows",
            "details": {},
        }
        status = "failed"
    _finish(batch_id, run, status, failure, meta, time.monotonic() - started, dry_run)
    progress.clear()
    if status != "checked" and path.parent == intake_dir():
        # An upload is kept only while it waits for its confirmation: customer data does not
        # linger on the app server's disk once imported or refused.
        path.unlink(missing_ok=True)
    return db.session.get(IntakeBatch, batch_id)


def _user(user_id):
    from server.users.models import User

    return db.session.get(User, user_id) if user_id else None


def _finish(batch_id, run: Run, status, failure, meta, seconds, dry_run) -> None:
    batch = db.session.get(IntakeBatch, batch_id)
    batch.status = status
    batch.failure = failure
    batch.counts = {**dict(run.counts), "seconds": round(seconds, 2)}
    batch.preview = run.preview
    batch.error_count = run.error_count
    batch.rows_done = run.counts["rows"]
    batch.progress = 1.0
    batch.finished_at = utcnow()
    if dry_run and status == "checked":
        batch.checked_at = batch.finished_at
    for key, value in meta.items():
        setattr(batch, key, value)
    if batch.rows_total is None:
        batch.rows_total = run.counts["rows"]
    _store_errors(batch_id, run.errors)
    db.session.commit()


def _store_errors(batch_id: int, errors: list) -> None:
    for start in range(0, len(errors), 1000):
        bulk.insert_rows(
            IntakeRowError.__table__,
            [
                {
                    "batch_id": batch_id,
                    "row_number": number,
                    "column": err.column,
                    "value": err.value,
                    "code": err.code[:40],
                    "message": err.message[:300],
                    "message_en": err.message_en[:300],
                }
                for number, err in errors[start : start + 1000]
            ],
        )


def start_run(app: Flask, batch_id: int, path: Path, *, dry_run: bool, scope: Scope) -> None:
    """Run in a background thread of this process; the batch row tells every server how it goes."""

    def work():
        with app.app_context():
            try:
                run_file(batch_id, path, dry_run=dry_run, scope=scope)
            except Exception:
                log.exception("intake batch %s could not finish", batch_id)
                db.session.rollback()
                db.session.execute(
                    update(IntakeBatch)
                    .where(IntakeBatch.id == batch_id)
                    .values(
                        status="failed",
                        failure={
                            "code": "internal_error",
                            "message": "导入过程中发生内部错误，未写入任何数据",
                            "message_en": "Internal error; nothing was written",
                            "details": {},
                        },
                        finished_at=utcnow(),
                    )
                )
                db.session.commit()
            finally:
                db.session.remove()

    threading.Thread(target=work, name=f"intake-{batch_id}", daemon=True).start()


# ---- the API's side ----------------------------------------------------------------------------


def _check_default_institution(scope: Scope, code: str | None) -> None:
    if code is None:
        return
    inst = policies.institutions_by_code([code]).get(code)
    if inst is None:
        raise HuifangError(
            "institution_not_found",
            "机构代码不存在",
            "No such institution code",
            422,
            {"institution_code": code},
        )
    scope.require(inst)


def upload(scope: Scope, user, stream, filename: str, institution_code: str | None) -> IntakeBatch:
    """Keep an uploaded file (streamed to disk, never whole in memory) and start its dry run."""
    _check_default_institution(scope, institution_code)
    filename = os.path.basename(filename.replace("\\", "/"))[:255] or "upload"
    stored = f"{uuid.uuid4().hex}{Path(filename).suffix.lower()[:10]}"
    path = intake_dir() / stored
    size = 0
    with open(path, "wb") as fh:
        while block := stream.read(1 << 20):
            size += len(block)
            fh.write(block)
    if size == 0:
        path.unlink(missing_ok=True)
        raise HuifangError("file_empty", "上传的文件是空的", "The uploaded file is empty", 422)
    batch = IntakeBatch(
        kind="file",
        filename=filename,
        stored_name=stored,
        file_size=path.stat().st_size,
        default_institution_code=institution_code,
        institution_id=user.institution_id,
        created_by=user.id,
        mode="dry_run",
        status="queued",
    )
    db.session.add(batch)
    db.session.flush()
    audit.record("intake_uploaded", target=batch, institution_id=user.institution_id, filename=filename)
    db.session.commit()
    start_run(current_app._get_current_object(), batch.id, path, dry_run=True, scope=scope)
    return batch


def confirm(scope: Scope, user, batch_id: int) -> IntakeBatch:
    """Import a file whose dry run passed."""
    batch = scope.get(IntakeBatch, batch_id, "导入批次", "intake batch")
    if batch.kind != "file" or not batch.stored_name:
        raise HuifangError("batch_not_a_file", "该批次不是文件导入", "This batch is not a file upload", 409)
    if is_running(batch):
        raise HuifangError("batch_running", "该批次正在处理中", "The batch is being processed", 409)
    if batch.status == "imported":
        raise HuifangError("batch_imported", "该文件已导入", "This file has been imported already", 409)
    if batch.status != "checked":
        raise HuifangError(
            "batch_not_checked",
            "请先完成试导入（检查）",
            "Run the dry run first",
            409,
            {"status": batch.status},
        )
    if batch.error_count:
        raise HuifangError(
            "batch_has_errors",
            "试导入发现错误，请修改文件后重新上传",
            "The dry run found errors; fix the file and upload it again",
            409,
            {"error_count": batch.error_count},
        )
    batch.status, batch.mode = "queued", "import"
    db.session.commit()
    start_run(
        current_app._get_current_object(),
        batch.id,
        intake_dir() / batch.stored_name,
        dry_run=False,
        scope=scope,
    )
    return batch


def is_running(batch: IntakeBatch) -> bool:
    return batch.status in ACTIVE and not is_stale(batch)


def is_stale(batch: IntakeBatch) -> bool:
    """A run whose process died (restart, crash) stops sending heartbeats: say so, allow a retry."""
    beat = batch.heartbeat_at or batch.started_at or batch.created_at
    if batch.status not in ACTIVE or beat is None:
        return False
    live = Progress(batch.id).read() if db.engine.dialect.name == "sqlite" else None
    if live and live.get("heartbeat_at"):
        from datetime import datetime

        beat = max(beat, datetime.fromisoformat(live["heartbeat_at"]))
    return utcnow() - beat > STALE_AFTER


def batch_state(batch: IntakeBatch) -> dict:
    """The batch as the API shows it, with live progress on SQLite (see Progress)."""
    data = {c.name: getattr(batch, c.name) for c in IntakeBatch.__table__.columns}
    if batch.status == "running" and db.engine.dialect.name == "sqlite":
        live = Progress(batch.id).read()
        if live:
            data["progress"], data["rows_done"] = live["progress"], live["rows_done"]
    data["stale"] = is_stale(batch)
    return data


def list_batches(scope: Scope, args: dict):
    stmt = scope.filter(select(IntakeBatch), IntakeBatch).order_by(IntakeBatch.id.desc())
    if args.get("cursor"):
        stmt = stmt.where(IntakeBatch.id < policies._decode_cursor(args["cursor"]))
    limit = args["limit"]
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, policies._encode_cursor(rows[-1].id) if more else None


def row_errors(batch: IntakeBatch, *, offset: int = 0, limit: int | None = None):
    stmt = (
        select(IntakeRowError)
        .where(IntakeRowError.batch_id == batch.id)
        .order_by(IntakeRowError.row_number, IntakeRowError.id)
        .offset(offset)
    )
    if limit:
        stmt = stmt.limit(limit)
    return db.session.scalars(stmt)


REPORT_HEADER = ("行号", "列", "列名 Column", "内容", "原因", "Reason", "错误代码 Code")


def _report_rows(batch: IntakeBatch):
    for err in row_errors(batch):
        col = BY_KEY.get(err.column)
        yield (
            err.row_number,
            col.zh if col else "",
            err.column or "",
            err.value or "",
            err.message,
            err.message_en,
            err.code,
        )


def report_csv(batch: IntakeBatch):
    """The row-level error report as CSV in UTF-8 with BOM (Excel opens it in Chinese)."""

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(REPORT_HEADER)
        for i, row in enumerate(_report_rows(batch)):
            writer.writerow(row)
            if i % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return generate()


def report_xlsx(batch: IntakeBatch) -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("错误明细")
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 16
    sheet.column_dimensions["C"].width = 18
    sheet.column_dimensions["D"].width = 24
    sheet.column_dimensions["E"].width = 60
    sheet.column_dimensions["F"].width = 60
    from openpyxl.cell import WriteOnlyCell

    header = []
    for title in REPORT_HEADER:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in _report_rows(batch):
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---- JSON batches ------------------------------------------------------------------------------


def payload_hash(payload: dict) -> str:
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def import_json(scope: Scope, user, payload: dict) -> tuple[dict, int]:
    """A JSON batch from the policy system: synchronous, idempotent by its external_ref.

    The same ref with the same content answers what the first delivery did (200); the same ref with
    other content is a conflict (409). Invalid rows reject the whole batch (422) and write nothing.
    """
    ref = payload.get("external_ref")
    digest = payload_hash({k: v for k, v in payload.items() if k != "dry_run"})
    dry_run = payload.get("dry_run", False)
    if not dry_run:
        existing = db.session.scalars(select(IntakeBatch).where(IntakeBatch.external_ref == ref)).first()
        if existing is not None:
            return _replay(scope, existing, digest), 200
    _check_default_institution(scope, payload.get("institution_code"))
    batch = None
    if not dry_run:
        batch = IntakeBatch(
            kind="api",
            external_ref=ref,
            payload_sha256=digest,
            default_institution_code=payload.get("institution_code"),
            institution_id=user.institution_id,
            created_by=user.id,
            mode="import",
            status="running",
            started_at=utcnow(),
        )
        db.session.add(batch)
        db.session.flush()
    run = Run(scope, user.id, batch.id if batch else None, payload.get("institution_code"), outcomes=[])
    rows = payload["rows"]
    for start in range(0, len(rows), CHUNK):
        run.process([(start + i + 1, raw) for i, raw in enumerate(rows[start : start + CHUNK])])
    run.finish()
    counts = {k: v for k, v in run.counts.items() if ":" not in k}
    errors = [
        {
            "row": number,
            "column": e.column,
            "value": e.value,
            "code": e.code,
            "message": e.message,
            "message_en": e.message_en,
        }
        for number, e in run.errors
    ]
    body = {
        "external_ref": ref,
        "dry_run": dry_run,
        "counts": counts,
        "outcomes": run.outcomes,
        "errors": errors,
    }
    if dry_run:
        db.session.rollback()
        return body, 200
    if run.error_count:
        db.session.rollback()
        raise HuifangError(
            "intake_rejected",
            f"批次中有 {len(errors)} 处错误，未导入任何数据",
            f"The batch has {len(errors)} errors; nothing was imported",
            422,
            {"counts": counts, "errors": errors[:1000]},
        )
    batch.status, batch.counts, batch.preview = "imported", counts, run.outcomes[:PREVIEW_ROWS]
    batch.rows_done = batch.rows_total = counts.get("rows", 0)
    batch.progress, batch.finished_at = 1.0, utcnow()
    audit.record(
        "intake_imported", target=batch, institution_id=user.institution_id, external_ref=ref, **counts
    )
    try:
        db.session.commit()
    except IntegrityError:
        # The same batch delivered twice at the same moment: the other delivery won.
        db.session.rollback()
        existing = db.session.scalars(select(IntakeBatch).where(IntakeBatch.external_ref == ref)).one()
        return _replay(scope, existing, digest), 200
    body["batch_id"] = batch.id
    return body, 201


def _replay(scope: Scope, batch: IntakeBatch, digest: str) -> dict:
    if (
        not scope.contains(db.session.get(Institution, batch.institution_id))
        or batch.payload_sha256 != digest
    ):
        raise HuifangError(
            "batch_ref_conflict",
            "该批次编号已用于另一批内容",
            "This external_ref was used for a different batch",
            409,
            {"external_ref": batch.external_ref},
        )
    return {
        "external_ref": batch.external_ref,
        "dry_run": False,
        "replayed": True,
        "batch_id": batch.id,
        "counts": batch.counts,
        "outcomes": batch.preview,
        "errors": [],
    }
