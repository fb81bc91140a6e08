"""``flask --app server huifang import-file`` and ``generate``: intake and test data from the shell.

Registered on server.cli's group when server.cli.register imports this module.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from server.cli import group
from server.extensions import db
from server.institutions.models import Institution
from server.intake import services
from server.intake.models import IntakeBatch
from server.scoping import Scope
from server.users.models import User


def _root_scope(username: str | None) -> tuple[Scope, User | None]:
    if username:
        user = db.session.scalars(select(User).where(User.username == username.lower())).first()
        if user is None:
            raise click.ClickException(f"no user {username}")
        return Scope.of(user), user
    root = db.session.scalars(select(Institution).where(Institution.parent_id.is_(None))).first()
    if root is None:
        raise click.ClickException(
            "no institutions yet: run `huifang bootstrap` or `huifang demo-data` first"
        )
    return Scope(root.path), None


@group.command("import-file")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="check and show what would happen; write nothing")
@click.option("--institution", "institution_code", help="institution code for rows without 机构代码")
@click.option("--user", "username", help="import as this user (their subtree only); default: the whole tree")
@click.option(
    "--report", type=click.Path(dir_okay=False, path_type=Path), help="write the error report (.csv or .xlsx)"
)
def import_file(path, dry_run, institution_code, username, report):
    """Import visit needs from a CSV or XLSX file: all rows or none (R1 scope, R5 risk alerts)."""
    scope, user = _root_scope(username)
    if institution_code:
        inst = db.session.scalars(select(Institution).where(Institution.code == institution_code)).first()
        if inst is None or not scope.contains(inst):
            raise click.ClickException(f"no institution {institution_code} in scope")
    root_id = (
        user.institution_id
        if user
        else db.session.scalars(select(Institution.id).where(Institution.path == scope.root_path)).one()
    )
    batch = IntakeBatch(
        kind="cli",
        filename=path.name,
        file_size=path.stat().st_size,
        default_institution_code=institution_code,
        institution_id=root_id,
        created_by=user.id if user else None,
        mode="dry_run" if dry_run else "import",
        status="queued",
    )
    db.session.add(batch)
    db.session.commit()
    batch_id = batch.id
    done = threading.Event()

    def show_progress():
        progress = services.Progress(batch_id)
        while not done.wait(2.0):
            live = progress.read() if progress.sqlite else None
            if live is None and not progress.sqlite:
                with db.engine.connect() as conn:
                    row = conn.execute(
                        select(IntakeBatch.progress, IntakeBatch.rows_done).where(IntakeBatch.id == batch_id)
                    ).first()
                live = {"progress": row[0], "rows_done": row[1]} if row else None
            if live:
                click.echo(f"  {live['progress'] * 100:5.1f}%  {live['rows_done']:>10,} rows", err=True)

    started = time.monotonic()
    app = current_app._get_current_object()

    def watch():
        with app.app_context():
            show_progress()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        batch = services.run_file(batch_id, path, dry_run=dry_run, scope=scope)
    finally:
        done.set()
    seconds = time.monotonic() - started
    counts = batch.counts
    click.echo(f"batch {batch.id}: {batch.status} ({batch.file_format}, {batch.encoding or '-'})")
    if batch.failure:
        click.echo(f"  {batch.failure['message']} / {batch.failure['message_en']}")
    for key in sorted(k for k in counts if k != "seconds"):
        click.echo(f"  {key:<22} {counts[key]:>10,}")
    rows = counts.get("rows", 0)
    click.echo(f"  {rows:,} rows in {seconds:.1f} s ({rows / seconds if seconds else 0:,.0f} rows/s)")
    if batch.unknown_columns:
        click.echo(f"  ignored columns: {', '.join(batch.unknown_columns)}")
    if batch.error_count:
        click.echo(f"  {batch.error_count} errors; first ones:")
        for err in services.row_errors(batch, limit=10):
            click.echo(f"    row {err.row_number} {err.column or ''} {err.value or ''!r}: {err.message}")
    if report:
        if report.suffix.lower() == ".xlsx":
            report.write_bytes(services.report_xlsx(batch))
        else:
            with open(report, "w", encoding="utf-8", newline="") as fh:
                for part in services.report_csv(batch):
                    fh.write(part)
        click.echo(f"  report: {report}")
    if batch.status in ("rejected", "failed") or (dry_run and batch.error_count):
        sys.exit(1)


@group.command("generate")
@click.option("--policies", "count", type=int, default=1000, show_default=True, help="rows (visit needs)")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="write an intake file (.csv or .xlsx)"
)
@click.option("--messy", is_flag=True, help="GBK, full-width digits, odd dates, some Excel-rounded IDs")
@click.option("--rounded-ids", type=float, default=0.0, help="share of rows whose ID Excel rounded (errors)")
@click.option("--seed", type=int, default=20261125, show_default=True)
@click.option("--load", is_flag=True, help="also import the rows into the database")
def generate(count, out, messy, rounded_ids, seed, load):
    """Synthetic visit needs: Chinese names, valid IDs, Shandong addresses, salespersons, planted risks."""
    from server.datagen import generate as gen

    if not out and not load:
        raise click.ClickException("give --out FILE and/or --load")
    institutions = [
        code for (code,) in db.session.execute(select(Institution.code).where(Institution.level == "county"))
    ]
    if not institutions:
        raise click.ClickException("no county institutions: run `huifang demo-data` first")
    target = out or Path(services.intake_dir()) / f"generated-{seed}.csv"
    started = time.monotonic()
    gen.write_file(
        target,
        count,
        institutions=institutions,
        seed=seed,
        messy=messy,
        rounded_ids=rounded_ids,
        latest=_latest_known(),
    )
    click.echo(f"wrote {count:,} rows to {target} in {time.monotonic() - started:.1f} s")
    if load:
        ctx = click.get_current_context()
        ctx.invoke(import_file, path=target, dry_run=False, institution_code=None, username=None, report=None)


def _latest_known():
    """The last day the working-day calendar knows: generated dates stay on its side."""
    from datetime import date

    from server.calendar.models import CalendarYear
    from server.calendar.services import package_years

    years = set(package_years()) | set(db.session.scalars(select(CalendarYear.year)))
    return date(max(years), 12, 31)
