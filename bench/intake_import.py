"""Intake of a large CSV on PostgreSQL: rows per second, peak memory, and where the time goes.

    .venv/bin/python -m bench.intake_import --rows 1000000

Generates the file with server.datagen (streamed), makes a fresh database (dropped at the end unless
--keep), migrates it, loads the demo tree, and runs the real import (one transaction, as the console
and the CLI do). Peak memory is this process's maximum resident set (resource.getrusage), which
includes the generator's run before the import (both stream); the checking process's peak is shown
apart (RUSAGE_CHILDREN). Stage times are wall-clock and CPU seconds inside each step, measured by
wrapping the functions the pipeline calls; rows are checked in the second process
(server.intake.pipeline) for files of 4 MB or more, so "check rows" appears only for small files.
CPU is counted for this process, the checking process and this database's PostgreSQL backends
(from /proc), because the machine is shared: wall time depends on what else runs.

    --profile FILE   cProfile of the import (this process only) to FILE

Prints a Markdown table to paste into bench/RESULTS.md with the command that produced it.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HUIFANG_INSTANCE_DIR", tempfile.mkdtemp(prefix="huifang-bench-"))
os.environ.setdefault("HUIFANG_SECRET_KEY", "bench-secret-key-that-is-long-enough-for-hs256!!")
os.environ.setdefault("HUIFANG_LOG_LEVEL", "WARNING")

STAGES = defaultdict(float)  # wall seconds inside each stage
STAGE_CPU = defaultdict(float)  # this process's CPU seconds inside each stage


def timed(name, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            STAGES[name] += time.perf_counter() - start
            STAGE_CPU[name] += time.process_time() - cpu

    return wrapper


def backend_cpu(db, text) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each PostgreSQL backend connected to this
    database, read from /proc (the server runs on this machine): the database's share of the work."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    pids = db.session.scalars(
        text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
    ).all()
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-url", help="an empty database to use instead of a fresh one")
    parser.add_argument("--file", type=Path, help="an existing intake file instead of a generated one")
    parser.add_argument("--messy", action="store_true", help="GBK, full-width digits, mixed date forms")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database and the file")
    parser.add_argument("--profile", type=Path, help="write cProfile stats of the import to this file")
    args = parser.parse_args()

    import flask_migrate
    from sqlalchemy import create_engine, text

    from server import create_app, demo
    from server.config import normalise_database_url
    from server.datagen.generate import write_file
    from server.extensions import db
    from server.intake import services
    from server.intake.models import IntakeBatch
    from server.scoping import Scope

    path = args.file
    started = time.perf_counter()
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="huifang-intake-")) / f"needs-{args.rows}.csv"
        write_file(path, args.rows, institutions=["370102", "370103", "370202", "370211"], messy=args.messy)
    generated = time.perf_counter() - started
    size_mb = path.stat().st_size / 2**20
    rss_after_generate = rss_mb()

    admin = None
    name = None
    url = args.database_url
    if url is None:
        admin = create_engine(normalise_database_url(args.admin_url), isolation_level="AUTOCOMMIT")
        name = f"huifang_bench_intake_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = args.admin_url.rsplit("/", 1)[0] + f"/{name}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url)})

    services.check_row = timed("check rows (validators)", services.check_row)
    services.create_tasks = timed("create_tasks (tasks)", services.create_tasks)
    services.detect_for_policies = timed("detect_for_policies (risk)", services.detect_for_policies)
    services.existing_external_refs = timed("existing_external_refs (tasks)", services.existing_external_refs)
    services.policies.upsert_policies_detailed = timed(
        "upsert policies", services.policies.upsert_policies_detailed
    )
    services.policies.upsert_salespersons = timed(
        "upsert salespersons", services.policies.upsert_salespersons
    )
    try:
        with app.app_context():
            flask_migrate.upgrade()
            tree = demo.load_tree()
            db.session.commit()
            root = tree["37"]
            batch = IntakeBatch(kind="cli", filename=path.name, institution_id=root.id, status="queued")
            db.session.add(batch)
            db.session.commit()
            pg0 = backend_cpu(db, text)
            db.session.commit()
            cpu0 = os.times()
            started = time.perf_counter()
            profiler = None
            if args.profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            batch = services.run_file(batch.id, path, dry_run=args.dry_run, scope=Scope(root.path))
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(args.profile)
            seconds = time.perf_counter() - started
            cpu1 = os.times()
            pg1 = backend_cpu(db, text)
            db.session.commit()
            counts = dict(batch.counts)
            status, errors = batch.status, batch.error_count
            db.session.remove()
    finally:
        if admin is not None and not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if args.file is None and not args.keep:
            path.unlink(missing_ok=True)

    rows = counts.get("rows", 0)
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    child_cpu = (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system)
    pg_cpu = sum(value - pg0.get(pid, 0.0) for pid, value in pg1.items())
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    given = f" --file {args.file}" if args.file else ""
    print(
        f"`.venv/bin/python -m bench.intake_import --rows {args.rows}{given}{' --messy' if args.messy else ''}`"
    )
    print()
    print("| what | figure |")
    print("| --- | ---: |")
    print(f"| file | {rows:,} rows, {size_mb:,.0f} MB CSV (generated in {generated:,.0f} s) |")
    print(f"| result | {status}, {errors} errors |")
    print(f"| import wall time | {seconds:,.1f} s |")
    print(f"| **rows per second** | **{rows / seconds:,.0f}** |")
    print(f"| this process's CPU (user + system) | {cpu:,.1f} s ({cpu / seconds:.0%} of one core) |")
    print(f"| the checking process's CPU | {child_cpu:,.1f} s |")
    print(f"| PostgreSQL's CPU (this database's backends) | {pg_cpu:,.1f} s |")
    total = cpu + child_cpu + pg_cpu
    print(f"| all CPU | {total:,.1f} s: **{rows / total:,.0f} rows per CPU-second** |")
    peak = rss_mb()
    print(
        f"| **peak resident memory** | **{peak:,.0f} MB** (after generating: {rss_after_generate:,.0f} MB); "
        f"checking process {child_rss:,.0f} MB |"
    )
    for key in (
        "task_created",
        "out_of_scope",
        "duplicate",
        "policy_created",
        "salesperson_created",
        "risk_alerts",
    ):
        print(f"| {key} | {counts.get(key, 0):,} |")
    print()
    print("| stage | wall s | share | CPU s of this process |")
    print("| --- | ---: | ---: | ---: |")
    accounted = accounted_cpu = 0.0
    for stage, value in sorted(STAGES.items(), key=lambda kv: -kv[1]):
        accounted += value
        accounted_cpu += STAGE_CPU[stage]
        print(f"| {stage} | {value:,.1f} | {value / seconds:.0%} | {STAGE_CPU[stage]:,.1f} |")
    rest = seconds - accounted
    print(
        f"| reading the file, scope checks, the rest | {rest:,.1f} | {rest / seconds:.0%} "
        f"| {max(0.0, cpu - accounted_cpu):,.1f} |"
    )


if __name__ == "__main__":
    main()
