"""The outbox: enqueue work inside a business transaction, run it later, retry it, keep the dead.

``enqueue`` adds a job to the current transaction and never commits: the job exists if and only if
the business change it belongs to committed (ARCHITECTURE: "writes that must reach another system go
through an outbox table in the same transaction").

``run_pending`` is what every worker calls. It claims due jobs in a short transaction of its own
(``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of workers on any number of
machines take disjoint jobs without waiting for each other), then runs each job's handler outside
that transaction. A handler's failure schedules a retry with exponential backoff and jitter; after
``max_attempts`` the job is ``dead`` and waits for an operator to replay it. A worker that dies in the
middle of a job (SIGKILL, a lost machine) leaves it ``running``; once its lease has run out any
worker takes it again. So a handler may run more than once for one job, never twice at the same
time: handlers must be idempotent (a webhook carries a stable event id for the receiver to dedupe).

Each claim increments ``attempts``; finishing a job checks that the row is still the one this
worker claimed (same worker, same attempt), so a worker that overran its lease never overwrites the
outcome of the worker that took the job over.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from server.dbtypes import utcnow
from server.errors import HuifangError, not_found
from server.extensions import db
from server.outbox.models import STATUSES, OutboxJob

log = logging.getLogger("huifang.outbox")

Handler = Callable[[OutboxJob], None]
Backoff = Callable[[int], float]

_handlers: dict[str, Handler] = {}

DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_LEASE_SECONDS = 300
BACKOFF_BASE_SECONDS = 60.0
BACKOFF_CAP_SECONDS = 6 * 3600.0
BACKOFF_JITTER = 0.25
MAX_ERROR_LENGTH = 2000
LEASE_EXPIRED_ON_LAST_ATTEMPT = "lease expired on the last allowed attempt: the worker stopped mid-job"


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register ``fn(job) -> None`` as the handler of jobs of this kind; an exception means "retry later".

    A domain registers its handlers in a module that its api.py imports, so that every process made
    by the app factory (web server and worker alike) knows them.
    """

    def register(fn: Handler) -> Handler:
        if _handlers.get(kind, fn) is not fn:
            raise ValueError(f"a handler for outbox kind {kind!r} is registered already")
        _handlers[kind] = fn
        return fn

    return register


def handler_for(kind: str) -> Handler | None:
    _load_builtin_handlers()
    return _handlers.get(kind)


def _load_builtin_handlers() -> None:
    from server.outbox import webhook  # noqa: F401 - registers the "webhook" handler


def _config(name: str, default):
    value = current_app.config.get(name)
    return default if value is None else value


def enqueue(
    kind: str,
    payload: dict,
    *,
    dedupe_key: str | None = None,
    institution_id: int | None = None,
    run_at: datetime | None = None,
) -> OutboxJob:
    """Add a job to the current transaction (never commits). The same dedupe_key again returns that job.

    The key is looked for among the session's unflushed objects, then in the database. On PostgreSQL
    a concurrent transaction that inserts the same key first is caught by the unique constraint inside
    a savepoint and its job is returned, so the caller's own transaction goes on either way.
    """
    if not kind or len(kind) > 64:
        raise ValueError("an outbox kind is 1 to 64 characters")
    if dedupe_key is not None and not 1 <= len(dedupe_key) <= 200:
        raise ValueError("a dedupe_key is 1 to 200 characters")
    if run_at is not None and run_at.tzinfo is None:
        raise ValueError("run_at must be timezone-aware")
    if dedupe_key is not None:
        existing = _find_by_dedupe_key(dedupe_key)
        if existing is not None:
            return existing
    job = OutboxJob(
        kind=kind,
        payload=payload,
        dedupe_key=dedupe_key,
        institution_id=institution_id,
        status="pending",
        attempts=0,
        max_attempts=int(_config("HUIFANG_OUTBOX_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)),
        next_attempt_at=run_at or _now(),
        created_at=_now(),
    )
    if dedupe_key is None or db.session.get_bind().dialect.name == "sqlite":
        # SQLite serialises writers, so the look-up above is nearly always enough and the unique
        # constraint is the last line; a savepoint there could even commit early (pysqlite opens no
        # transaction before a SAVEPOINT, so releasing it would be a COMMIT).
        db.session.add(job)
        return job
    # Flush the caller's own changes first, so that only our insert is inside the savepoint.
    db.session.flush()
    savepoint = db.session.begin_nested()
    try:
        db.session.add(job)
        db.session.flush()
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        existing = _find_by_dedupe_key(dedupe_key)
        if existing is None:
            raise
        return existing
    return job


def _find_by_dedupe_key(dedupe_key: str) -> OutboxJob | None:
    for obj in db.session.new:
        if isinstance(obj, OutboxJob) and obj.dedupe_key == dedupe_key:
            return obj
    return db.session.scalars(select(OutboxJob).where(OutboxJob.dedupe_key == dedupe_key)).first()


def exponential_backoff(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failure: 60 s doubling each time, +0-25 % jitter, ≤ 6 h.

    The jitter spreads the retries of many jobs that failed together (the receiver was down), so
    that they do not all come back at the same second.
    """
    raw = BACKOFF_BASE_SECONDS * 2 ** max(0, min(attempts, 32) - 1)
    return min(BACKOFF_CAP_SECONDS, raw + random.uniform(0, raw * BACKOFF_JITTER))


def default_worker_id() -> str:
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{threading.get_ident() % 10**8}"


def run_pending(
    limit: int = 50,
    worker_id: str | None = None,
    *,
    now: datetime | None = None,
    backoff: Backoff | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict:
    """Claim up to ``limit`` due jobs, run them, and record each outcome. Commits the current session.

    Due: ``pending`` with ``next_attempt_at <= now``, or ``running`` whose lease
    (HUIFANG_OUTBOX_LEASE seconds from ``locked_at``) has run out. ``now`` and ``backoff`` are there
    for tests (time travel, no sleeping). When ``should_stop()`` turns true (the worker got SIGTERM),
    the jobs claimed but not started yet are handed back at once instead of waiting for their lease.
    Returns ``{claimed, done, retried, dead}``.
    """
    worker_id = (worker_id or default_worker_id())[:128]
    backoff = backoff or exponential_backoff
    claimed, dead = _claim(limit, worker_id, now or _now())
    counts = {"claimed": len(claimed), "done": 0, "retried": 0, "dead": dead}
    for index, (job_id, attempt) in enumerate(claimed):
        if should_stop is not None and should_stop():
            _release(claimed[index:], worker_id)
            break
        counts[_run_one(job_id, attempt, worker_id, backoff, now)] += 1
    return counts


def _release(claims: list[tuple[int, int]], worker_id: str) -> None:
    """Hand back claimed jobs that were never started: pending again, the attempt not counted."""
    back = {"status": "pending", "locked_by": None, "locked_at": None}
    for job_id, attempt in claims:
        _finish(job_id, attempt, worker_id, {**back, "attempts": attempt - 1})
    db.session.commit()
    log.info("outbox worker %s stopping: %s claimed jobs handed back", worker_id, len(claims))


def _now() -> datetime:
    return utcnow()


def _claim(limit: int, worker_id: str, now: datetime) -> tuple[list[tuple[int, int]], int]:
    """Mark due jobs running for this worker in one short committed transaction; [(id, attempt)], dead."""
    if db.session.new or db.session.dirty or db.session.deleted:
        # Claiming commits; committing (or dropping) someone else's unfinished changes is never right.
        raise RuntimeError("run_pending needs a clean session: commit or roll back first")
    db.session.rollback()  # end any read-only transaction: the claim is a short one of its own
    lease_start = now - timedelta(seconds=int(_config("HUIFANG_OUTBOX_LEASE", DEFAULT_LEASE_SECONDS)))
    expired = and_(OutboxJob.status == "running", OutboxJob.locked_at < lease_start)
    due = or_(and_(OutboxJob.status == "pending", OutboxJob.next_attempt_at <= now), expired)
    postgres = db.session.get_bind().dialect.name == "postgresql"

    # A job whose worker died on its last allowed attempt is not tried again: it is dead.
    dying = select(OutboxJob.id).where(expired, OutboxJob.attempts >= OutboxJob.max_attempts)
    if postgres:
        dying = dying.with_for_update(skip_locked=True)
    dying_ids = list(db.session.scalars(dying.limit(limit)))
    dead = 0
    if dying_ids:
        dead = db.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id.in_(dying_ids), expired, OutboxJob.attempts >= OutboxJob.max_attempts)
            .values(
                status="dead",
                locked_by=None,
                locked_at=None,
                last_error=func.coalesce(OutboxJob.last_error + "; ", "") + LEASE_EXPIRED_ON_LAST_ATTEMPT,
            )
            .execution_options(synchronize_session=False)
        ).rowcount

    stmt = (
        select(OutboxJob.id)
        .where(due, OutboxJob.attempts < OutboxJob.max_attempts)
        .order_by(OutboxJob.next_attempt_at, OutboxJob.id)
        .limit(limit)
    )
    if postgres:
        # Rows another worker is claiming right now are skipped, not waited for.
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(stmt))
    claimed: list[tuple[int, int]] = []
    if ids:
        # The WHERE is checked again at write time: on SQLite (no row locks, a plain select above)
        # two workers may have read the same ids, and only the first write matches.
        db.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id.in_(ids), due, OutboxJob.attempts < OutboxJob.max_attempts)
            .values(status="running", locked_by=worker_id, locked_at=now, attempts=OutboxJob.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        claimed = [
            (row.id, row.attempts)
            for row in db.session.execute(
                select(OutboxJob.id, OutboxJob.attempts)
                .where(
                    OutboxJob.id.in_(ids),
                    OutboxJob.status == "running",
                    OutboxJob.locked_by == worker_id,
                    OutboxJob.locked_at == now,
                )
                .order_by(OutboxJob.next_attempt_at, OutboxJob.id)
            )
        ]
    db.session.commit()
    return claimed, dead


def _run_one(job_id: int, attempt: int, worker_id: str, backoff: Backoff, now: datetime | None) -> str:
    job = db.session.get(OutboxJob, job_id, populate_existing=True)
    if job is None:  # deleted by hand while claimed
        return "retried"
    try:
        fn = handler_for(job.kind)
        if fn is None:
            raise LookupError(f"no handler is registered for outbox kind {job.kind!r}")
        fn(job)
    except Exception as exc:
        db.session.rollback()  # whatever the handler wrote is undone
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
        job = db.session.get(OutboxJob, job_id, populate_existing=True)
        if attempt >= job.max_attempts:
            outcome, values = "dead", {"status": "dead"}
            log.error("outbox job %s (%s) is dead after %s attempts: %s", job_id, job.kind, attempt, error)
        else:
            delay = max(0.0, float(backoff(attempt)))
            at = (now or _now()) + timedelta(seconds=delay)
            outcome, values = "retried", {"status": "pending", "next_attempt_at": at}
            log.warning(
                "outbox job %s (%s) failed attempt %s, retry in %.0f s: %s",
                job_id,
                job.kind,
                attempt,
                delay,
                error,
            )
        values.update(last_error=error, locked_by=None, locked_at=None)
    else:
        outcome, values = "done", {"status": "done", "done_at": _now(), "locked_by": None, "locked_at": None}
    if not _finish(job_id, attempt, worker_id, values):
        db.session.rollback()
        log.warning("outbox job %s: lease lost before it finished; another worker has it now", job_id)
        return "retried"
    db.session.commit()  # with the handler's own writes, when it succeeded
    return outcome


def _finish(job_id: int, attempt: int, worker_id: str, values: dict) -> bool:
    """Write the outcome only if the job is still this worker's claim (same worker, same attempt)."""
    result = db.session.execute(
        update(OutboxJob)
        .where(
            OutboxJob.id == job_id,
            OutboxJob.status == "running",
            OutboxJob.locked_by == worker_id,
            OutboxJob.attempts == attempt,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


# The operator's view (server/outbox/api.py): scoped reads, stats and replay.


def visible(stmt, user):
    """Jobs of the caller's subtree; jobs of no institution only for administrators at the root."""
    from server.scoping import Scope

    scope = Scope.of(user)
    in_subtree = OutboxJob.institution_id.in_(scope.institution_ids())
    if user.institution.parent_id is None:
        return stmt.where(or_(in_subtree, OutboxJob.institution_id.is_(None)))
    return stmt.where(in_subtree)


def list_jobs(user, args: dict) -> tuple[list[OutboxJob], int | None]:
    """Newest first; keyset on id (``cursor`` is the last id of the previous page)."""
    stmt = visible(select(OutboxJob), user)
    for key in ("status", "kind"):
        if key in args:
            stmt = stmt.where(getattr(OutboxJob, key) == args[key])
    if "cursor" in args:
        stmt = stmt.where(OutboxJob.id < args["cursor"])
    rows = list(db.session.scalars(stmt.order_by(OutboxJob.id.desc()).limit(args["limit"] + 1)))
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    return rows, (rows[-1].id if more else None)


def get_job(user, job_id: int) -> OutboxJob:
    job = db.session.scalars(visible(select(OutboxJob).where(OutboxJob.id == job_id), user)).first()
    if job is None:
        raise not_found("后台任务", "outbox job")
    return job


def stats(user) -> dict:
    """Counts by status and how long the oldest pending job has waited (for alerting on a stuck worker)."""
    now = _now()
    counts = dict.fromkeys(STATUSES, 0)
    stmt = visible(select(OutboxJob.status, func.count()).group_by(OutboxJob.status), user)
    for status, count in db.session.execute(stmt):
        counts[status] = count
    oldest_created, oldest_due = db.session.execute(
        visible(
            select(
                func.min(OutboxJob.created_at),
                func.min(OutboxJob.next_attempt_at).filter(OutboxJob.next_attempt_at <= now),
            ).where(OutboxJob.status == "pending"),
            user,
        )
    ).one()
    return {
        "counts": counts,
        "oldest_pending_age_seconds": _age(oldest_created, now),
        "oldest_due_age_seconds": _age(oldest_due, now),
    }


def _age(value, now: datetime) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite's MIN() of a datetime column comes back as text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return max(0.0, round((now - value).total_seconds(), 3))


def replay(user, job_id: int) -> OutboxJob:
    """A dead job goes back to pending with its attempts reset (audited). Commits."""
    from server.audit import services as audit

    job = get_job(user, job_id)
    if job.status != "dead":
        raise HuifangError(
            "job_not_dead",
            "只有已失败（dead）的后台任务可以重新投递",
            "Only a dead job can be replayed",
            409,
            {"status": job.status},
        )
    audit.record(
        "outbox_job_replayed",
        actor=user,
        target=job,
        institution_id=job.institution_id,
        kind=job.kind,
        attempts=job.attempts,
        last_error=job.last_error,
    )
    job.status = "pending"
    job.attempts = 0
    job.next_attempt_at = _now()
    job.locked_by = None
    job.locked_at = None
    db.session.commit()
    return job
